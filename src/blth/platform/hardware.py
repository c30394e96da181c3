"""Where a job runs: its first log line, and the check that a job which declared a GPU has one.

A cluster's submit host usually has no GPU, so whether a GPU job can use its GPU is decided in
the job, never when Snakemake builds the DAG.
"""

from __future__ import annotations

import logging
import os
import platform
import resource
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from blth.evaluation.inference import amp_active

if TYPE_CHECKING:
    from blth.models.base import Classifier

log = logging.getLogger(__name__)

# The oldest Linux driver that runs a CUDA major version's wheels (NVIDIA's CUDA release notes).
MIN_DRIVER = {11: 450, 12: 525, 13: 580}


class GpuUnavailable(RuntimeError):
    """A job that declared a GPU (or asked for ``cuda``) sees no usable CUDA device."""


def cuda_problem() -> str | None:
    """Why torch cannot use a CUDA device in this process, in torch's words; None if it can."""
    if torch.version.cuda is None:
        return f"torch {torch.__version__} is a CPU build (torch.version.cuda is None)"
    if torch.cuda.is_available():
        return None
    try:  # is_available() only says False; initialising says why (no driver, too old, ...)
        torch.cuda.init()
        reason = "no CUDA device is visible"
    except Exception as error:  # RuntimeError or AssertionError, depending on the cause
        reason = str(error).strip().splitlines()[0]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    where = "" if visible is None else f", CUDA_VISIBLE_DEVICES={visible!r}"
    return f"torch.cuda.is_available() is False ({reason}{where})"


def cuda_fix() -> str:
    """What makes a GPU job of this installation run."""
    cpu = "set device: cpu and resources.gpu: 0"
    if torch.version.cuda is None:
        return f"{cpu}, or install a CUDA build of torch"
    major = int(torch.version.cuda.split(".")[0])
    driver = MIN_DRIVER.get(major)
    needs = f" >= {driver}" if driver else ""
    return f"{cpu}, or install an NVIDIA driver{needs} for this CUDA {major} wheel"


def unavailable(job: str, why: str) -> GpuUnavailable:
    """The error of ``job``, which needs a GPU because ``why``."""
    return GpuUnavailable(
        f"{job}: {why}, but it sees no usable CUDA device on {platform.node()}: "
        f"{cuda_problem()}; torch {torch.__version__}, CUDA {torch.version.cuda}. "
        f"Fix: {cuda_fix()}"
    )


def check_gpu_job(job: str, declared: int, requested: str) -> None:
    """Stop ``job`` if it declared ``declared`` >= 1 GPUs (its Snakemake resource ``gpu``) and
    cannot use one. ``requested``: the config's ``device``; ``cpu`` was chosen on purpose, so
    it only gets a warning that the GPU it holds stays idle."""
    if declared < 1:
        return
    if requested == "cpu":
        log.warning(
            "%s: resources.gpu is %d but device is cpu: the job runs on the CPU and its GPU "
            "stays idle (set resources.gpu: 0)",
            job,
            declared,
        )
        return
    if cuda_problem() is not None:
        raise unavailable(job, f"it declared resources.gpu: {declared}")


def cpu_model() -> str:
    """The CPU's model name (x86 and ARM Linux, else what platform knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("model name", "Model")):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe_device(device: torch.device) -> str:
    """GPU name, compute capability and memory, or the CPU model and its logical CPUs."""
    if device.type == "cuda":
        index = torch.cuda.current_device() if device.index is None else device.index
        p = torch.cuda.get_device_properties(index)
        return (
            f"{device} ({p.name}, compute capability {p.major}.{p.minor}, "
            f"{p.total_memory / 2**30:.1f} GiB, GPU {index} of {torch.cuda.device_count()})"
        )
    return f"{device} ({cpu_model()}, {os.cpu_count()} logical CPUs)"


def versions(device: torch.device) -> str:
    """The versions of torch, its CUDA and, on a GPU, cuDNN."""
    cuda = torch.version.cuda or "none (CPU build)"
    text = f"torch {torch.__version__}, CUDA {cuda}"
    if device.type == "cuda" and torch.backends.cudnn.is_available():
        text += f", cuDNN {torch.backends.cudnn.version()}"
    return text


def header(
    job: str,
    model: Classifier,
    device: torch.device,
    samples: int,
    amp: bool,
    compiled: bool,
) -> str:
    """The first log line of a training or evaluation job: device, versions and settings."""
    bayes = model.bayes
    if bayes is not None:
        strategy = bayes.strategy_on(device.type)
        kind = f"Bayesian, sample strategy {strategy}, estimator {bayes.estimator}"
    else:
        kind = "deterministic"
    if amp_active(device, amp):
        precision = "amp bf16"
    else:
        precision = f"amp off{' (train.amp is CUDA-only)' if amp else ''}"
    parameters = sum(p.numel() for p in model.parameters())
    total, unpruned = model.weight_counts()
    return (
        f"{job}: on {describe_device(device)}; {versions(device)}; "
        f"{type(model.net).__name__} ({kind}), S={samples}, {precision}, "
        f"compile {'on' if compiled else 'off'}, threads {torch.get_num_threads()}; "
        f"{parameters:,} parameters, {unpruned:,} of {total:,} weights and biases unpruned "
        f"({100 * unpruned / max(total, 1):.1f} %)"
    )


def peak_memory(device: torch.device | str) -> str:
    """This process's peak memory, for a job's last log line: resident host memory and, on a
    GPU, what torch allocated there. A job run by the job server is a forked child, so
    Snakemake's benchmark file measures the waiting process; this line measures the work."""
    host = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux -> MiB
    found = f"peak memory {host:,.0f} MiB host"
    device = torch.device(device)
    if device.type == "cuda":
        found += f", {torch.cuda.max_memory_allocated(device) / 2**20:,.0f} MiB GPU (allocated)"
    return found
