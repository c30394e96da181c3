"""One epoch-benchmark case timed in this process, as a training job runs its epochs.

The case does what a job does: ``blth.models.build``, :func:`blth.training.epoch.prepare`
(channels-last, noise generator, Adam, ``torch.compile`` or its refusal), a
:class:`~blth.data.prepared.DeviceLoader` over synthetic images held on the device (shuffle, random
crop, flip) and :func:`blth.training.epoch.train_epoch`. Warm-up steps come first, ending on a
batch the size of an epoch's last, so that compilation and cuDNN autotuning stay out of the
timed epoch; their time is reported as ``warmup_s``. An epoch that would take longer than
``max_timed_s`` is timed over the steps that fit and scaled to the whole.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import torch

from blth.bench.epoch_plan import Case, Sizes
from blth.config.hparams import TrainHparams
from blth.data.prepared import DeviceLoader
from blth.models.registry import build
from blth.training.epoch import prepare, synchronize, train_epoch


def synthetic_images(sizes: Sizes, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images [N, C, H, W] and labels [N] drawn on ``device`` (content is irrelevant)."""
    gen = torch.Generator(device).manual_seed(0)
    shape = (sizes.images, *sizes.shape)
    x = torch.randint(0, 256, shape, generator=gen, device=device, dtype=torch.uint8)
    return x, torch.randint(0, 10, (sizes.images,), generator=gen, device=device)


def _loader(
    x: torch.Tensor, y: torch.Tensor, sizes: Sizes, device: torch.device, seed: int
) -> DeviceLoader:
    mean = torch.full((sizes.shape[0],), 0.5)
    std = torch.full((sizes.shape[0],), 0.25)
    gen = torch.Generator(device).manual_seed(seed)
    return DeviceLoader(x, y, sizes.batch, mean, std, device, True, True, gen)


def _timed(fn: Callable[[], None]) -> float:
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
    optimizer, forward = prepare(model, hp, device, seed=0)
    x, y = synthetic_images(sizes, device)
    per_epoch = math.ceil(sizes.images / sizes.batch)
    warm_n = min(sizes.images, sizes.warmup * sizes.batch + (sizes.images % sizes.batch))
    warm = _loader(x[:warm_n], y[:warm_n], sizes, device, seed=1)

    def run(loader: DeviceLoader, max_steps: int | None = None) -> None:
        train_epoch(model, forward, loader, optimizer, hp, bayes, sizes.images, max_steps)
        synchronize(device)

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
