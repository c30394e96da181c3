"""One training run (the ``train`` and ``rewind_point`` jobs, GPU jobs).

A job is described once, by a :class:`TrainJob` its script builds from the rule (the spec, the
input and output files, the host settings), and :func:`run` does the rest: claim the device,
build the network from its start state and mask, train it (resumable through a scratch
checkpoint beside the outputs) and write the outputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from blth.config.runspec import TrainSpec
from blth.io import paths, states
from blth.lottery import masks

if TYPE_CHECKING:
    from blth.data.prepared import ImageData
    from blth.models.base import Classifier
    from blth.training.train import TrainResult

log = logging.getLogger(__name__)


def _file_digest(*paths: str | None) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(b"" if p is None else Path(p).read_bytes())
    return h.hexdigest()


def resume_key(spec: TrainSpec, *inputs: str | None) -> str:
    """What a checkpoint must have been written for: the spec and the inputs' content."""
    return hashlib.sha256((spec.key() + _file_digest(*inputs)).encode()).hexdigest()


@dataclass(frozen=True)
class TrainOutputs:
    """The files a training job writes."""

    final: str  # the trained state (safetensors), always
    init: str | None = None  # the masked start state (safetensors)
    epochs: str | None = None  # the epoch rows (Parquet, table ``run_epochs``)


@dataclass(frozen=True)
class TrainJob:
    """One training job: its spec, its files and the host settings it runs under (which never
    change a result). Nothing here is read before the device check of :func:`run`."""

    spec: TrainSpec
    data: str  # the prepared data file
    start: str  # the state training starts from (safetensors)
    mask: str | None  # None: the dense run
    outputs: TrainOutputs
    threads: int  # torch CPU threads
    device: str = "auto"  # the config's device: auto, cpu, cuda[:i]
    tensorboard: bool = False  # also write the epochs' scalars (blth.platform.tensorboard)
    gpus_declared: int = 0  # the rule's resource ``gpu``: the job stops if it cannot use one

    @property
    def name(self) -> str:
        """The run's name in logs and errors: the folder of its final state."""
        return str(Path(self.outputs.final).parent)

    @property
    def checkpoint(self) -> Path:
        """The scratch checkpoint, outside the outputs (results/<experiment>/checkpoints/…)."""
        return paths.beside(self.outputs.final, "checkpoints").with_suffix(".pt")

    @property
    def tensorboard_dir(self) -> Path:
        """Where the TensorBoard events go (results/<experiment>/tensorboard/…)."""
        return paths.beside(self.outputs.final, "tensorboard")

    def run_key(self) -> str:
        """The key its checkpoint is written under: the spec and the content of its inputs."""
        return resume_key(self.spec, self.start, self.mask, self.data)


def model_for(job: TrainJob, images: ImageData, device: str) -> Classifier:
    """The network of ``job`` on ``device``: its start state under its mask (None: dense)."""
    from blth.models.registry import build

    spec = job.spec
    net = build(spec.model, images.input_shape, images.classes, spec.bayes, **spec.model_options)
    state, _ = states.load_state(job.start)
    net.load_numpy_state(state)
    if job.mask is not None:
        net.apply_masks(masks.load_masks(job.mask))
    return net.to(device)


def run(job: TrainJob) -> None:
    """Train ``job``'s run on its device and write its outputs; resumable through
    ``job.checkpoint``, which goes once the outputs are complete."""
    import torch

    from blth.data import prepared as data
    from blth.platform import gpus
    from blth.training import train

    torch.set_num_threads(max(1, job.threads))
    with contextlib.ExitStack() as stack:
        # several visible GPUs (a workstation): claim one for this job, see blth.platform.gpus
        device = stack.enter_context(gpus.job_device(job.device, job.name, job.gpus_declared))
        on_epoch = None
        if job.tensorboard:
            from blth.platform.tensorboard import EpochWriter

            on_epoch = stack.enter_context(EpochWriter(job.tensorboard_dir))
        images = data.load(job.data)
        net = model_for(job, images, device)
        if job.outputs.init is not None:
            states.save_state(net.numpy_state(), job.outputs.init, net.describe())
        result = train.train(
            net,
            images,
            job.spec.train,
            job.spec.bayes,
            seed=job.spec.seed,
            device=device,
            checkpoint=job.checkpoint,
            run_key=job.run_key(),
            name=job.name,
            start_epoch=job.spec.start_epoch,
            stop_epoch=job.spec.stop_epoch,
            on_epoch=on_epoch,
        )
        _write_outputs(job.outputs, net, result, device)
        job.checkpoint.unlink(missing_ok=True)  # outputs are complete: the scratch copy can go
    _log_summary(job.name, result, device)


def _write_outputs(
    outputs: TrainOutputs, net: Classifier, result: TrainResult, device: str
) -> None:
    """The final state and, if asked for, the epoch rows (with the device they ran on)."""
    from blth.io import artefacts

    states.save_state(net.numpy_state(), outputs.final, net.describe())
    if outputs.epochs is not None:
        rows = [
            {**{k: v for k, v in r.items() if k != "images"}, "device": device}
            for r in result.epochs
        ]
        artefacts.write_table(rows, outputs.epochs, "run_epochs")


def _log_summary(name: str, result: TrainResult, device: str) -> None:
    from blth.platform.hardware import peak_memory

    log.info(
        "%s: %.1f s training, %.0f images/s, best test accuracy %.4f, %s",
        name,
        result.train_seconds,
        result.images_per_second,
        max((r["test_acc"] for r in result.epochs), default=float("nan")),
        peak_memory(device),
    )
