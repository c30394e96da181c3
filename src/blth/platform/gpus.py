"""One GPU per training job on a multi-GPU workstation: lock-file device claims.

Snakemake's ``--resources gpu=N`` caps how many training jobs run at once, but it does not say
*which* GPU a job should use. Each job therefore claims a device slot by taking an exclusive
``fcntl.flock`` on ``<lock_dir>/gpu{i}.{slot}.lock``. The kernel drops the lock when the job
ends, even on a crash or ``kill -9``, so a slot can never leak; the lock files themselves stay
(deleting them would race with a job opening them).

``jobs_per_gpu`` slots per device let small models share a GPU (``BLTH_JOBS_PER_GPU``); slot 0
of every device is tried before slot 1, so jobs spread over the GPUs first.

Nothing global is set here: the caller gets an index and uses ``cuda:{index}``. Under SLURM a job
sees only the GPUs allocated to it (``CUDA_VISIBLE_DEVICES``); with one visible device no lock is
taken at all.

Environment:
    BLTH_GPU_LOCK_DIR   lock folder (default ``results/.gpu-locks``; a subfolder per host, and
                        per SLURM job inside an allocation, is added)
    BLTH_JOBS_PER_GPU   training jobs that may share one GPU (default 1)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import re
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

log = logging.getLogger(__name__)

LOCK_DIR_ENV = "BLTH_GPU_LOCK_DIR"
JOBS_PER_GPU_ENV = "BLTH_JOBS_PER_GPU"
DEFAULT_LOCK_DIR = "results/.gpu-locks"


class GpuClaimTimeout(TimeoutError):
    """No device slot became free within the timeout."""


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding an exclusive flock on ``path``, or None if it is taken."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    with contextlib.suppress(OSError):  # who holds it, for people looking at the folder
        os.ftruncate(fd, 0)
        os.write(fd, f"{socket.gethostname()} pid {os.getpid()}\n".encode())
    return fd


def _release(fd: int) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


@contextlib.contextmanager
def claim_gpu(
    lock_dir: str | os.PathLike,
    n_gpus: int,
    jobs_per_gpu: int = 1,
    timeout: float | None = None,
    poll: float = 0.5,
    names: Sequence[str] | None = None,
) -> Iterator[int]:
    """Hold one of ``n_gpus × jobs_per_gpu`` device slots; yields the device index.

    Tries every slot without blocking, then sleeps ``poll`` seconds and tries again, until
    ``timeout`` seconds have passed (None: wait for ever), then raises
    :class:`GpuClaimTimeout`. ``names`` label the lock files (default ``0 … n_gpus-1``), e.g.
    physical device ids, so that jobs seeing different ``CUDA_VISIBLE_DEVICES`` still agree.
    """
    if n_gpus < 1:
        raise ValueError(f"n_gpus must be at least 1, got {n_gpus}")
    if jobs_per_gpu < 1:
        raise ValueError(f"jobs_per_gpu must be at least 1, got {jobs_per_gpu}")
    names = [str(i) for i in range(n_gpus)] if names is None else [_safe(n) for n in names]
    if len(names) != n_gpus:
        raise ValueError(f"{len(names)} names for {n_gpus} GPUs")
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    waited = False
    while True:
        for slot in range(jobs_per_gpu):
            for index in range(n_gpus):
                fd = _try_lock(lock_dir / f"gpu{names[index]}.{slot}.lock")
                if fd is None:
                    continue
                if waited:
                    log.info("claimed GPU %d (slot %d) after waiting", index, slot)
                try:
                    yield index
                finally:
                    _release(fd)
                return
        if deadline is not None and time.monotonic() >= deadline:
            raise GpuClaimTimeout(
                f"no free slot on {n_gpus} GPU(s) × {jobs_per_gpu} job(s) in {lock_dir} "
                f"after {timeout} s"
            )
        if not waited:
            log.info("all %d GPU slots in %s are taken; waiting", n_gpus * jobs_per_gpu, lock_dir)
            waited = True
        time.sleep(poll)


def jobs_per_gpu() -> int:
    """``BLTH_JOBS_PER_GPU`` (default 1)."""
    value = os.environ.get(JOBS_PER_GPU_ENV, "1")
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{JOBS_PER_GPU_ENV} must be a positive integer, got {value!r}") from None
    if n < 1:
        raise ValueError(f"{JOBS_PER_GPU_ENV} must be a positive integer, got {value!r}")
    return n


def in_slurm_allocation() -> bool:
    """True inside a SLURM job whose GPUs SLURM chose (it set ``CUDA_VISIBLE_DEVICES``)."""
    return bool(os.environ.get("SLURM_JOB_ID")) and bool(os.environ.get("CUDA_VISIBLE_DEVICES"))


def lock_dir() -> Path:
    """Lock folder: ``BLTH_GPU_LOCK_DIR`` or ``results/.gpu-locks``, one subfolder per host.

    Inside a SLURM allocation device indices are relative to the job's own GPUs, so jobs of
    different allocations must not share locks: the folder is then per SLURM job.
    """
    base = Path(os.environ.get(LOCK_DIR_ENV) or DEFAULT_LOCK_DIR)
    host = _safe(socket.gethostname())
    if in_slurm_allocation():
        return base / f"{host}-slurm{_safe(os.environ['SLURM_JOB_ID'])}"
    return base / host


def device_names(n_gpus: int) -> list[str]:
    """Stable names of the visible devices: ``CUDA_VISIBLE_DEVICES`` entries where set."""
    visible = [v.strip() for v in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")]
    visible = [v for v in visible if v]
    if len(visible) >= n_gpus and not in_slurm_allocation():
        return visible[:n_gpus]
    return [str(i) for i in range(n_gpus)]


def _visible_cuda_devices() -> int:
    import torch

    return torch.cuda.device_count()


@contextlib.contextmanager
def device_for_job(device: str, timeout: float | None = None) -> Iterator[str]:
    """The torch device a training job should use, held for the duration of the block.

    Only a plain ``"cuda"`` with several visible GPUs takes a claim (``cuda:{i}``); any other
    device (``cpu``, an explicit ``cuda:1``, a single visible GPU as under SLURM) is yielded
    unchanged without locks.
    """
    if device != "cuda":
        yield device
        return
    n = _visible_cuda_devices()
    if n <= 1:
        yield device
        return
    folder = lock_dir()
    with claim_gpu(folder, n, jobs_per_gpu(), timeout=timeout, names=device_names(n)) as index:
        log.info("using GPU %d of %d (locks in %s)", index, n, folder)
        yield f"cuda:{index}"


def select_device(requested: str, job: str = "this job") -> str:
    """``auto``: CUDA when available, else the CPU; a CUDA device that is not there is an error
    (:class:`blth.platform.hardware.GpuUnavailable`) that says why and names ``job``."""
    import torch

    from blth.platform import hardware

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise hardware.unavailable(job, f"device {requested!r} was requested")
    return requested


@contextlib.contextmanager
def job_device(requested: str, job: str = "this job", declared_gpus: int = 0) -> Iterator[str]:
    """The device of a GPU job (the config's ``device``), claimed for the block.

    ``declared_gpus``: the job's Snakemake resource ``gpu``; a job that declared one but cannot
    use CUDA stops here, naming ``job`` (:func:`blth.platform.hardware.check_gpu_job`).
    """
    import torch

    from blth.platform import hardware

    hardware.check_gpu_job(job, declared_gpus, requested)
    with device_for_job(select_device(requested, job)) as device:
        if device.startswith("cuda:"):
            torch.cuda.set_device(device)  # no stray CUDA context on GPU 0
        yield device
