"""The step benchmark's clock: cases interleaved, a block of steps each in turn, so that a slow
phase of the machine hits all of them alike."""

from __future__ import annotations

import time

import torch

from blth.bench.cases import Case
from blth.bench.models import Step
from blth.training.epoch import synchronize


def time_interleaved(
    steps: dict[Case, Step], plans: dict[Case, tuple[int, int, int]], device: torch.device
) -> dict[Case, list[float]]:
    """Seconds of each timed step of every case, after its warm-up; ``plans``: per case
    (warm-up steps, rounds, timed steps per round), see :func:`blth.bench.cases.schedule`.
    Raises RuntimeError if a case's loss is not finite."""
    for case, step in steps.items():  # warm-up (allocator, oneDNN primitive caches, lazy inits)
        for _ in range(plans[case][0]):
            step()
        synchronize(device)
    times: dict[Case, list[float]] = {case: [] for case in steps}
    for round_ in range(max(plan[1] for plan in plans.values())):  # round robin over blocks
        for case, step in steps.items():
            _, rounds, block = plans[case]
            if round_ >= rounds:
                continue
            for _ in range(block):
                synchronize(device)
                t0 = time.perf_counter()
                loss = step()
                synchronize(device)
                times[case].append(time.perf_counter() - t0)
            if not torch.isfinite(loss).item():
                raise RuntimeError(f"non-finite loss in benchmark case {case}")
    return times
