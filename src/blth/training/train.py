"""Training loop of the paper (section 3): Adam, step LR schedule, per-epoch test accuracy.

:func:`train` reads as the protocol: set up (:class:`blth.training.session.Training`), resume
from the scratch checkpoint (:func:`resume`), then for each epoch its optimiser steps (loss in
:mod:`blth.training.epoch`), the test pass, the log line and the checkpoint. Checkpoints go to
a scratch path after every epoch (model, optimizer, RNG states and the epoch log,
:mod:`blth.training.checkpoint`) and a restarted run with the same ``run_key`` resumes from
there, bit for bit on the CPU.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from blth.bayes.hparams import BayesHparams
from blth.config.hparams import TrainHparams
from blth.data.prepared import ImageData
from blth.models.base import Classifier
from blth.platform import hardware
from blth.training import checkpoint as checkpoints
from blth.training.session import EpochFit, Training

log = logging.getLogger(__name__)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass
class TrainResult:
    """The epoch rows of a training, those restored from its checkpoint first."""

    epochs: list[dict[str, Any]] = field(default_factory=list)  # one row per epoch (see _epoch_row)
    resumed_from: int = 0  # epochs taken from a checkpoint

    @property
    def train_seconds(self) -> float:
        return float(sum(r["seconds"] for r in self.epochs))

    @property
    def images_per_second(self) -> float:
        return float(sum(r["images"] for r in self.epochs) / max(self.train_seconds, 1e-9))


def resume(
    training: Training, checkpoint: Path | None, run_key: str, name: str, stop_epoch: int
) -> TrainResult:
    """The epochs so far: from ``checkpoint``, restored into ``training``, if it was written
    for ``run_key``; none otherwise. The restored epochs are logged again, as Snakemake
    deletes a rerun job's log."""
    state = checkpoints.load(checkpoint, run_key)
    if state is None:
        return TrainResult()
    training.restore(state)
    result = TrainResult(state["epochs"], resumed_from=len(state["epochs"]))
    for row in result.epochs:
        _log_epoch(name, row, stop_epoch, "(restored from the checkpoint)")
    log.info("%s: resuming after epoch %d from %s", name, result.resumed_from, checkpoint)
    return result


def _epoch_row(epoch: int, fit: EpochFit, test: dict[str, float], images: int) -> dict[str, Any]:
    """The log row of epoch ``epoch`` (0-based): per-image means of the training sums."""
    return {
        "epoch": epoch + 1,
        "lr": fit.lr,
        "train_loss": fit.loss / images,
        "train_nll": fit.nll / images,
        "train_kl": fit.kl / images,
        "train_acc": fit.correct / images,
        **test,
        "seconds": fit.seconds,
        "images": images,
        "images_per_second": images / fit.seconds,
    }


def _log_epoch(name: str, row: dict[str, Any], stop_epoch: int, note: str) -> None:
    """The progress line of one epoch row."""
    log.info(
        "%s epoch %d/%d loss %.4g (nll %.4f kl %.4g) train_acc %.4f test_acc %.4f "
        "lr %.2g %.0f img/s %s",
        name,
        row["epoch"],
        stop_epoch,
        row["train_loss"],
        row["train_nll"],
        row["train_kl"],
        row["train_acc"],
        row["test_acc"],
        row["lr"],
        row["images_per_second"],
        note,
    )


def _fmt_seconds(s: float) -> str:
    h, rem = divmod(int(s), 3600)
    return f"{h}h{rem // 60:02d}m" if h else f"{rem // 60}m{rem % 60:02d}s"


def _check_arguments(
    model: Classifier,
    hp: TrainHparams,
    bayes: BayesHparams | None,
    name: str,
    start: int,
    stop: int,
) -> None:
    if model.bayesian != (bayes is not None):
        raise ValueError(f"{name}: bayes hparams must be given exactly for Bayesian models")
    if not 0 <= start <= stop <= hp.epochs:
        raise ValueError(
            f"{name}: need 0 <= start_epoch ({start}) <= stop_epoch ({stop}) "
            f"<= epochs ({hp.epochs})"
        )


def train(
    model: Classifier,
    data: ImageData,
    hp: TrainHparams,
    bayes: BayesHparams | None,
    *,
    seed: int,
    device: torch.device | str = "cpu",
    checkpoint: Path | None = None,
    run_key: str = "",
    name: str = "run",
    start_epoch: int = 0,
    stop_epoch: int | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> TrainResult:
    """Train ``model`` in place (masks already applied) and return its per-epoch log.

    Epochs ``start_epoch`` .. ``stop_epoch`` (default ``hp.epochs``) of the schedule run, so a
    late-rewound ticket continues the schedule at its rewind epoch and a rewind point stops
    there. ``checkpoint``: scratch file written every epoch; a later call with the same
    ``run_key`` resumes from it. Raises :class:`TrainingDiverged` naming ``name`` and the epoch.
    ``on_epoch``: called with each new epoch row once it is logged and checkpointed (e.g.
    :func:`blth.platform.tensorboard.writer`); epochs restored from a checkpoint are not replayed.
    """
    device = torch.device(device)
    stop_epoch = hp.epochs if stop_epoch is None else stop_epoch
    _check_arguments(model, hp, bayes, name, start_epoch, stop_epoch)
    training = Training.set_up(model, data, hp, bayes, seed, device)
    samples = bayes.samples if bayes else 1
    log.info(hardware.header(name, model, device, samples, hp.amp, hp.compile))
    result = resume(training, checkpoint, run_key, name, stop_epoch)
    for epoch in range(start_epoch + result.resumed_from, stop_epoch):
        start = time.perf_counter()
        fit = training.fit(epoch)
        if not math.isfinite(fit.loss):
            raise TrainingDiverged(
                f"{name}: training loss became {fit.loss} in epoch "
                f"{epoch + 1}; last good state is in {checkpoint}"
            )
        row = _epoch_row(epoch, fit, training.evaluate(epoch), training.images)
        result.epochs.append(row)
        eta = (time.perf_counter() - start) * (stop_epoch - epoch - 1)  # training + test pass
        _log_epoch(name, row, stop_epoch, f"ETA {_fmt_seconds(eta)}")
        if checkpoint is not None:
            checkpoints.save(checkpoint, training.state(run_key, result.epochs))
        if on_epoch is not None:
            on_epoch(row)
    return result
