"""Several trainings on one device at once: ``jobs`` processes of one epoch-benchmark case
(:mod:`blth.bench.epoch`), against the same case alone (``BLTH_JOBS_PER_GPU``, docs/cluster.md).

Each process is a fresh interpreter, as a Snakemake job is, and claims its device through
:func:`blth.platform.gpus.job_device` with ``BLTH_JOBS_PER_GPU`` set to ``jobs``, restricted to one
GPU.
All warm up, wait for each other at a file barrier, then time the same steps as the case alone.
A process is ``python -m blth.bench.share CASE_JSON SIZES_JSON DEVICE STEPS BARRIER_DIR``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from blth.bench.epoch_measure import measure
from blth.bench.epoch_plan import Case, Sizes, find
from blth.platform import gpus

TIMEOUT_S = 600


def _env(device: torch.device, jobs: int, threads: int) -> dict[str, str]:
    env = {**os.environ, gpus.JOBS_PER_GPU_ENV: str(jobs)}
    if device.type == "cuda" and torch.cuda.device_count() > 1:  # all on the first one
        env["CUDA_VISIBLE_DEVICES"] = gpus.device_names(torch.cuda.device_count())[0]
    env["OMP_NUM_THREADS"] = str(threads)  # the CPU's threads shared as between jobs
    return env


def measure_shared(case: Case, sizes: Sizes, device: torch.device, results: list[dict]) -> dict:
    """Timing fields of ``case.jobs`` processes at once; ``vs_one_at_a_time``: their total
    images/s over those of the case alone (an earlier row of ``results``), >1 is a gain."""
    alone = find(results, dataclasses.replace(case, jobs=1))
    steps = alone["steps_timed"] if alone else None
    threads = max(1, torch.get_num_threads() // case.jobs)
    with tempfile.TemporaryDirectory() as barrier:
        spec = [json.dumps(dataclasses.asdict(c)) for c in (case, sizes)]
        args = [*spec, device.type, str(steps), barrier]
        cmd = [sys.executable, "-m", "blth.bench.share", *args]
        env = _env(device, case.jobs, threads)
        procs = [
            subprocess.Popen(
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
            )
            for _ in range(case.jobs)
        ]
        outputs = [p.communicate(timeout=TIMEOUT_S) for p in procs]
    for p, (_, err) in zip(procs, outputs, strict=True):
        if p.returncode != 0:
            raise RuntimeError(f"a shared-device process failed ({p.returncode}): {err[-2000:]}")
    rows = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    total = sum(r["images_per_s"] for r in rows)
    shared = {
        "steps_per_epoch": rows[0]["steps_per_epoch"],
        "steps_timed": rows[0]["steps_timed"],
        "full_epoch": rows[0]["full_epoch"],
        "epoch_s": max(r["epoch_s"] for r in rows),  # the slowest job sets the pace
        "epoch_s_each": [r["epoch_s"] for r in rows],
        "images_per_s_total": round(total, 1),
        "threads_each": threads,
    }
    if alone is not None:
        shared["vs_one_at_a_time"] = round(total / alone["images_per_s"], 3)
    return shared


def _barrier(folder: Path, jobs: int, timeout: float = TIMEOUT_S) -> None:
    """Wait until ``jobs`` processes have reached this point (one file each)."""
    (folder / f"ready.{os.getpid()}").touch()
    deadline = time.monotonic() + timeout
    while len(list(folder.glob("ready.*"))) < jobs:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the other processes did not get ready in {timeout} s")
        time.sleep(0.01)


def child(case_json: str, sizes_json: str, device: str, steps: str, barrier: str) -> None:
    """One of the processes: print the timing fields of its share as a JSON line."""
    case = Case(**json.loads(case_json))
    fields = json.loads(sizes_json)
    sizes = Sizes(**(fields | {"shape": tuple(fields["shape"])}))
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    with gpus.job_device(device) as claimed:
        row = measure(
            case,
            sizes,
            torch.device(claimed),
            None if steps == "None" else int(steps),
            lambda: _barrier(Path(barrier), case.jobs),
        )
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    child(*sys.argv[1:])
