"""Epoch benchmark: a training job's epochs, timed per model, kind and setting (benchmarks/gpu.sh).

Each case (:mod:`blth.bench.epoch_plan`) is timed as a job runs it
(:mod:`blth.bench.epoch_measure`). Cases run in :data:`~blth.bench.epoch_plan.PLAN` order
within a time budget; a case that no longer fits is reported as skipped. One JSON line per
case, flushed as it is measured: identity and context fields (:func:`describe`), ``status``
(ok, refused, error, skipped) and the timing fields. ``jobs > 1`` cases run that many processes
on one device at once (:mod:`blth.bench.share`), as ``BLTH_JOBS_PER_GPU`` does.

``python -m blth.bench.epoch [--quick] [--device auto|cpu|cuda] [--budget-s S] [--max-timed-s S]
[--out FILE]``
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import time
import traceback
from collections.abc import Callable

import torch

from blth.bench import share
from blth.bench.epoch_measure import measure
from blth.bench.epoch_plan import (
    PAPER_MINUTES,
    PLAN,
    QUICK_PLAN,
    SIZES,
    TARGET_EPOCH_S,
    Case,
    Sizes,
)
from blth.evaluation.inference import amp_active
from blth.platform import gpus, hardware
from blth.platform.compiling import CompileUnsupported


def describe(case: Case, sizes: Sizes, device: torch.device) -> dict:
    """The row's identity and context fields."""
    bayesian = case.kind != "det"
    row = {
        "model": case.model,
        "bayesian": bayesian,
        "sample_strategy": case.kind if bayesian else None,
        "samples": sizes.samples if bayesian else 1,
        "batch": sizes.batch,
        "images": sizes.images,
        "image_shape": list(sizes.shape),
        "amp": case.amp,
        "amp_active": amp_active(device, case.amp),
        "compile": case.compile,
        "jobs": case.jobs,
        "device": hardware.describe_device(device),
        "versions": hardware.versions(device),
        "threads": torch.get_num_threads(),
        "paper_min_per_level": PAPER_MINUTES[case.model][bayesian],
    }
    if (case.model, bayesian) in TARGET_EPOCH_S:
        row["target_epoch_s"] = TARGET_EPOCH_S[case.model, bayesian]
    return row


def run_case(case: Case, sizes: Sizes, device: torch.device, results: list[dict]) -> dict:
    """Measure ``case`` (in this process, or in ``case.jobs`` at once); a refusal is a row."""
    row = describe(case, sizes, device)
    try:
        if case.jobs > 1:
            row |= share.measure_shared(case, sizes, device, results)
        else:
            row |= measure(case, sizes, device)
        row["status"] = "ok"
    except CompileUnsupported as refusal:
        row |= {"status": "refused", "reason": str(refusal)}
    except Exception as error:  # one failed case must not cost the rest of a short GPU window
        traceback.print_exc()
        row |= {"status": "error", "reason": f"{type(error).__name__}: {error}"}
    finally:
        torch._dynamo.reset()  # each case compiles afresh, as in its own job
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return row


def run(
    plan: list[Case],
    sizes: Sizes,
    device: torch.device,
    budget_s: float,
    emit: Callable[[dict], None],
) -> list[dict]:
    """Every case of ``plan`` that fits in ``budget_s`` seconds; ``emit(row)`` as each ends."""
    started = time.monotonic()
    results: list[dict] = []
    for case in plan:
        left = max(0.0, budget_s - (time.monotonic() - started))
        need = _cost(case, sizes)
        if left < need:
            why = f"time budget: {left:.0f} s left of {budget_s:.0f}, the case may need {need:.0f}"
            row = describe(case, sizes, device) | {"status": "skipped", "reason": why}
        else:
            row = run_case(case, sizes, device, results)
        results.append(row)
        emit(row)
    return results


COMPILE_S = {False: 90.0, True: 240.0}  # compiling, deterministic / Bayesian (H200: 30, > 195)


def _cost(case: Case, sizes: Sizes) -> float:
    """Seconds a case may take at most: timed part, warm-up, compilation, process starts."""
    cost = 2 * sizes.max_timed_s + (COMPILE_S[case.kind != "det"] if case.compile else 10)
    return cost + (30 if case.jobs > 1 else 0)


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    p = argparse.ArgumentParser(
        prog="python -m blth.bench.epoch",
        description="Training epochs as a job runs them, per model, kind, amp, compile and "
        "processes per device; one JSON line per case (benchmarks/gpu.sh).",
    )
    p.add_argument("--quick", action="store_true", help="tiny sizes: the machinery in seconds")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--budget-s", type=float, default=420.0, help="stop starting cases after")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    p.add_argument(
        "--max-timed-s",
        type=float,
        help="time longer epochs over this many seconds and scale (default: the sizes')",
    )
    p.add_argument(
        "--from-case",
        type=int,
        default=0,
        help="start at this index of the plan (an earlier GPU window measured those before it)",
    )
    p.add_argument("--out", help="also append the JSON lines to this file")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(gpus.select_device(args.device, "blth.bench.epoch"))
    plan, sizes = (QUICK_PLAN, SIZES["quick"]) if args.quick else (PLAN, SIZES["full"])
    if args.max_timed_s is not None:
        sizes = dataclasses.replace(sizes, max_timed_s=args.max_timed_s)
    with open(args.out, "a") if args.out else contextlib.nullcontext() as out:

        def emit(row: dict) -> None:
            for stream in (sys.stdout, out):
                if stream is not None:
                    print(json.dumps(row), file=stream, flush=True)

        run(plan[args.from_case :], sizes, device, args.budget_s, emit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
