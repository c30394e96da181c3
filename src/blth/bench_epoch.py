"""Epoch benchmark: a training job's epochs, timed per model, kind and setting (benchmarks/gpu.sh).

Every case does what a training job does: ``blth.models.build``, :func:`blth.train.prepare`
(channels-last, noise generator, Adam, ``torch.compile`` or its refusal), a
:class:`~blth.data.DeviceLoader` over CIFAR-shaped synthetic images held on the device (shuffle,
random crop, flip) and :func:`blth.train.train_epoch`. Warm-up steps come first, ending on a
batch the size of an epoch's last, so that compilation and cuDNN autotuning stay out of the
timed epoch; their time is reported as ``warmup_s``. An epoch that would take longer than
``max_timed_s`` is timed over the steps that fit and scaled to the whole (``full_epoch: false``).

Cases run in :data:`PLAN` order within a time budget; a case that no longer fits is reported as
skipped. One JSON line per case, flushed as it is measured. ``jobs > 1`` cases run that many
processes on one device at once (:mod:`blth.bench_share`), as ``BLTH_JOBS_PER_GPU`` does.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import torch

from blth import gpus, hardware, train
from blth.compiling import CompileUnsupported
from blth.data import DeviceLoader
from blth.hparams import BayesHparams, TrainHparams
from blth.inference import amp_active
from blth.models import build

MODELS = ("resnet20", "vgg11", "vit_tiny")
PAPER_MINUTES = {  # Table 1 of the paper: minutes per IMP level, (deterministic, Bayesian)
    "resnet20": (12, 33),
    "vgg11": (13, 72),
    "vit_tiny": (9, 51),
}
TARGET_EPOCH_S = {("resnet20", False): 0.4, ("resnet20", True): 1.9}  # one H100


@dataclass(frozen=True)
class Sizes:
    images: int  # training images per epoch
    shape: tuple[int, int, int]
    batch: int
    samples: int  # S of the Bayesian cases
    warmup: int  # full warm-up steps before the last-batch-sized one
    max_timed_s: float  # longer epochs are timed in part and scaled


SIZES = {
    "full": Sizes(50_000, (3, 32, 32), 128, 10, 10, 20.0),
    "quick": Sizes(16, (3, 16, 16), 8, 2, 1, 1.0),  # CPU, seconds: checks the machinery only
}


@dataclass(frozen=True)
class Case:
    model: str
    kind: str  # det, stacked or per_sample (the Bayesian sample strategy)
    amp: bool = True
    compile: bool = False
    jobs: int = 1  # processes training at once on the device

    def bayes(self, sizes: Sizes) -> BayesHparams | None:
        if self.kind == "det":
            return None
        return BayesHparams(
            samples=sizes.samples, eval_samples=sizes.samples, sample_strategy=self.kind
        )


def _plan() -> list[Case]:
    """Most telling first, as the budget cuts from the end; ResNet-20 gets every combination."""
    kinds = ("det", "stacked", "per_sample")
    plan = [Case(m, k) for m in MODELS for k in kinds]  # amp on, eager: the defaults
    plan += [Case("resnet20", k, compile=True) for k in kinds]
    plan += [Case("resnet20", k, jobs=2) for k in ("det", "stacked")]
    plan += [Case("resnet20", k, amp=False) for k in kinds]
    plan += [Case(m, k, compile=True) for m in MODELS[1:] for k in kinds]
    plan += [Case(m, k, amp=False) for m in MODELS[1:] for k in kinds]
    plan += [Case("resnet20", k, amp=False, compile=True) for k in kinds]
    return plan


PLAN = _plan()
QUICK_PLAN = [  # every model, kind and setting once, not every combination
    *(Case("resnet20", k) for k in ("det", "stacked", "per_sample")),
    Case("vgg11", "det"),
    Case("vit_tiny", "per_sample"),
    Case("resnet20", "stacked", amp=False),
    Case("resnet20", "per_sample", compile=True),  # refused on any device: the refusal's row
    Case("resnet20", "det", jobs=2),
]


def synthetic_images(sizes: Sizes, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images [N, C, H, W] and labels [N] drawn on ``device`` (content is irrelevant)."""
    gen = torch.Generator(device).manual_seed(0)
    shape = (sizes.images, *sizes.shape)
    x = torch.randint(0, 256, shape, generator=gen, device=device, dtype=torch.uint8)
    return x, torch.randint(0, 10, (sizes.images,), generator=gen, device=device)


def _loader(x, y, sizes: Sizes, device: torch.device, seed: int) -> DeviceLoader:
    mean = torch.full((sizes.shape[0],), 0.5)
    std = torch.full((sizes.shape[0],), 0.25)
    gen = torch.Generator(device).manual_seed(seed)
    return DeviceLoader(x, y, sizes.batch, mean, std, device, True, True, gen)


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(
    case: Case,
    sizes: Sizes,
    device: torch.device,
    steps: int | None = None,
    before_timing: Callable[[], None] | None = None,
) -> dict:
    """One case in this process: warm-up, ``before_timing()`` (e.g. a barrier), then ``steps``
    timed steps (None: an epoch, or as many as ``max_timed_s`` allows). The timing fields."""
    bayes = case.bayes(sizes)
    hp = TrainHparams(batch_size=sizes.batch, amp=case.amp, compile=case.compile)
    model = build(case.model, sizes.shape, 10, bayes, seed=0)
    optimizer, forward = train.prepare(model, hp, device, seed=0)
    x, y = synthetic_images(sizes, device)
    per_epoch = math.ceil(sizes.images / sizes.batch)
    warm_n = min(sizes.images, sizes.warmup * sizes.batch + (sizes.images % sizes.batch))
    warm = _loader(x[:warm_n], y[:warm_n], sizes, device, seed=1)

    def run(loader: DeviceLoader, max_steps: int | None = None) -> None:
        train.train_epoch(model, forward, loader, optimizer, hp, bayes, sizes.images, max_steps)
        train.synchronize(device)

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    warmup_s = _timed(lambda: run(warm))
    step_s = _timed(lambda: run(warm, 1))  # one steady step: how much of an epoch fits
    if steps is None:
        steps = min(per_epoch, max(2, math.ceil(sizes.max_timed_s / max(step_s, 1e-6))))
    if before_timing is not None:
        before_timing()
    seconds = _timed(lambda: run(_loader(x, y, sizes, device, seed=2), steps))
    epoch_s = seconds * per_epoch / steps
    row = {
        "steps_per_epoch": per_epoch,
        "steps_timed": steps,
        "full_epoch": steps == per_epoch,
        "warmup_s": round(warmup_s, 3),
        "epoch_s": round(epoch_s, 3),
        "images_per_s": round(sizes.images / epoch_s, 1),
        "step_ms": round(1e3 * epoch_s / per_epoch, 3),
        "level_min_est": round(epoch_s * TrainHparams().epochs / 60, 2),  # training only
    }
    if device.type == "cuda":
        row["peak_mem_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 2)
    return row


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
    from blth import bench_share

    row = describe(case, sizes, device)
    try:
        if case.jobs > 1:
            row |= bench_share.measure_shared(case, sizes, device, results)
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
    plan: list[Case], sizes: Sizes, device: torch.device, budget_s: float, emit: Callable
) -> list[dict]:
    """Every case of ``plan`` that fits in ``budget_s`` seconds; ``emit(row)`` as each ends."""
    started, results = time.monotonic(), []
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


def _cost(case: Case, sizes: Sizes) -> float:
    """Seconds a case may take at most: timed part, warm-up, compilation, process starts."""
    cost = 2 * sizes.max_timed_s + (90 if case.compile else 10)
    return cost + (30 if case.jobs > 1 else 0)


def find(results: list[dict], case: Case) -> dict | None:
    """The measured row of ``case`` among ``results``, if any."""
    fields = dataclasses.asdict(case)
    for row in results:
        key = {"model": row["model"], "amp": row["amp"], "compile": row["compile"]}
        key |= {"kind": row["sample_strategy"] or "det", "jobs": row["jobs"]}
        if key == fields and row.get("status") == "ok":
            return row
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m blth.bench_epoch",
        description="Training epochs as a job runs them, per model, kind, amp, compile and "
        "processes per device; one JSON line per case (benchmarks/gpu.sh).",
    )
    p.add_argument("--quick", action="store_true", help="tiny sizes: the machinery in seconds")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--budget-s", type=float, default=420.0, help="stop starting cases after")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    p.add_argument("--out", help="also append the JSON lines to this file")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(gpus.select_device(args.device, "blth.bench_epoch"))
    plan, sizes = (QUICK_PLAN, SIZES["quick"]) if args.quick else (PLAN, SIZES["full"])
    with open(args.out, "a") if args.out else contextlib.nullcontext() as out:

        def emit(row: dict) -> None:
            for stream in (sys.stdout, out):
                if stream is not None:
                    print(json.dumps(row), file=stream, flush=True)

        run(plan, sizes, device, args.budget_s, emit)
    return 0


if __name__ == "__main__":  # the package's module, not a second copy as __main__
    from blth.bench_epoch import main as package_main

    sys.exit(package_main())
