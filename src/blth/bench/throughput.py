"""The step benchmark's driver (``blth bench``): blth (deterministic / mean-field VI) against
torch_blue, every case timed, one JSON row each.

One timed step is a full Adam update (lr 1e-3) on a random batch: zero_grad, forward, loss,
backward, step. Each case reports the median over its timed steps after a warm-up. The cases of
one model and device are interleaved (:mod:`blth.bench.timer`), so that the ratio Bayesian /
(S × deterministic) stays fair.

Each row: ``model, impl, bayesian, samples, batch, device, images_per_s, step_ms`` (median),
``step_ms_min, step_ms_max, steps, mode, threads, torch``; a Bayesian blth case adds its
``sample_strategy``, ``estimator`` and, on a CPU, ``cpu_noise``; every Bayesian case adds
``ratio_to_det_x_samples``: its step time over S × the deterministic step's.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Iterable
from typing import Protocol

import torch

from blth.bench import models
from blth.bench.cases import BATCH, CLASSES, MODELS, Case, schedule
from blth.bench.timer import time_interleaved


class Writer(Protocol):
    """Where the JSON lines go: a text stream, or anything with its ``write`` and ``flush``."""

    def write(self, s: str, /) -> object: ...

    def flush(self) -> object: ...


def resolve_device(name: str = "auto") -> torch.device:
    """The device ``name`` names; ``auto``: CUDA if available, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


def _time_group(
    group: list[Case], quick: bool, device: torch.device, steps_override: int | None
) -> dict[Case, list[float]]:
    """Step times of the cases of one model, all on the same random batch."""
    shape = MODELS[group[0].model]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(BATCH, *shape, generator=gen).to(device)
    y = torch.randint(0, CLASSES, (BATCH,), generator=gen).to(device)
    steps, plans = {}, {}
    for case in group:
        steps[case] = models.step_for(case, device, x, y)
        plans[case] = schedule(case, quick, steps_override)
    return time_interleaved(steps, plans, device)


def _row(
    case: Case, times: list[float], det_ms: float | None, quick: bool, device: torch.device
) -> dict:
    """The JSON row of ``case`` from its step times in seconds; ``det_ms``: the median
    deterministic step of its model in ms (None: not measured)."""
    step_ms = 1e3 * statistics.median(times)
    row = {
        "model": case.model,
        "impl": case.impl,
        "bayesian": case.bayesian,
        "samples": case.samples,
        "batch": BATCH,
        "device": device.type,
        "images_per_s": round(1e3 * BATCH / step_ms, 1),
        "step_ms": round(step_ms, 3),
        "step_ms_min": round(1e3 * min(times), 3),
        "step_ms_max": round(1e3 * max(times), 3),
        "steps": len(times),
        "mode": "quick" if quick else "normal",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }
    bayes = case.bayes()
    if bayes is not None:
        row["sample_strategy"] = bayes.strategy_on(device.type)
        row["estimator"] = bayes.estimator
        if device.type == "cpu" and bayes.estimator != "local_reparam":
            row["cpu_noise"] = bayes.cpu_noise
    if case.bayesian:
        ratio = None if det_ms is None else step_ms / (case.samples * det_ms)
        row["ratio_to_det_x_samples"] = None if ratio is None else round(ratio, 3)
    return row


def run(
    cases: Iterable[Case],
    quick: bool,
    device: torch.device | str = "cpu",
    out: Writer | None = sys.stdout,
    steps: int | None = None,
) -> list[dict]:
    """Time every case; print (to ``out``, if not None) and return one dict per case.

    ``steps`` fixes the number of timed steps of every case (1 warm-up step, blocks of 1).
    torch_blue's cases are skipped, with a note, when it is not installed.
    """
    device = resolve_device(device) if isinstance(device, str) else device
    todo = list(cases)
    if any(c.impl == "torch_blue" for c in todo) and not models.torch_blue_available():
        print(
            "note: torch_blue is not installed (pip install 'blth[bench]'); "
            "skipping the torch_blue cases",
            file=sys.stderr,
        )
        todo = [c for c in todo if c.impl != "torch_blue"]
    results = []
    for model in dict.fromkeys(c.model for c in todo):
        group = [c for c in todo if c.model == model]
        times = _time_group(group, quick, device, steps)
        dets = [1e3 * statistics.median(times[c]) for c in group if not c.bayesian]
        det_ms = dets[0] if dets else None
        for case in group:
            row = _row(case, times[case], det_ms, quick, device)
            results.append(row)
            if out is not None:
                print(json.dumps(row), file=out, flush=True)
    return results
