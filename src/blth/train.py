"""Training loop of the paper (section 3): Adam, step LR schedule, per-epoch test accuracy.

Bayesian loss (torch_blue's negative ELBO): N · mean_b[−log (1/S) Σ_s softmax(f_s(x_b))_y]
+ T · KL(q‖p), N = training-set size. Deterministic loss: mean cross-entropy.

Checkpoints go to a scratch path after every epoch (model, optimizer, RNG states and the epoch
log) and a restarted run with the same ``run_key`` resumes from there, bit for bit on the CPU.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor

from blth import compiling, hardware, metrics, safefiles
from blth.data import DeviceLoader, ImageData
from blth.hparams import BayesHparams, TrainHparams
from blth.inference import autocast, predict
from blth.models.base import Classifier

log = logging.getLogger(__name__)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


@dataclass
class TrainResult:
    epochs: list[dict] = field(default_factory=list)  # one row per epoch (see EPOCH_FIELDS)
    resumed_from: int = 0  # epochs taken from a checkpoint

    @property
    def train_seconds(self) -> float:
        return sum(r["seconds"] for r in self.epochs)

    @property
    def images_per_second(self) -> float:
        return sum(r["images"] for r in self.epochs) / max(self.train_seconds, 1e-9)


def loss_terms(
    logits: Tensor, labels: Tensor, kl: Tensor, data_size: int, temperature: float, bayesian: bool
) -> tuple[Tensor, Tensor]:
    """(loss, NLL of the sample-averaged predictive); logits [S, B, C], labels [B]."""
    log_probs = F.log_softmax(logits.float(), dim=-1)
    log_pred = torch.logsumexp(log_probs, dim=0) - math.log(logits.shape[0])
    nll = F.nll_loss(log_pred, labels)
    loss = data_size * nll + temperature * kl if bayesian else nll
    return loss, nll


def _decay_pairs(model: Classifier) -> list[tuple[Tensor, Tensor | None]]:
    """(parameter, mask) for weight decay; pruned entries must stay untouched."""
    masked = {}
    for name, layer in model.prunable_layers().items():
        for pname, _ in layer.named_parameters(recurse=False):
            kind = "bias" if pname.startswith("bias") else "weight"
            masked[f"{name}.{pname}"] = getattr(layer, f"{kind}_mask")
    return [(p, masked.get(n)) for n, p in model.net.named_parameters()]


def _save_checkpoint(path: Path, state: dict) -> None:
    with safefiles.replacing(path) as f:  # an interruption never leaves a half-written checkpoint
        torch.save(state, f)


_CHECKPOINT_KEYS = {"run_key", "model", "optimizer", "data_rng", "noise_rng", "epochs"}


def _load_checkpoint(path: Path | None, run_key: str) -> dict | None:
    if path is None or not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types; an unreadable scratch file is only lost time
        why = str(e).partition("\n")[0].partition(". ")[0]  # torch's advice runs to paragraphs
        _discard_checkpoint(path, f"unreadable, {type(e).__name__}: {why}".rstrip(": "))
        return None
    if not isinstance(state, dict) or not state.keys() >= _CHECKPOINT_KEYS:
        _discard_checkpoint(path, "not a training checkpoint")
        return None
    if state["run_key"] != run_key:
        log.warning("ignoring checkpoint %s: it belongs to another run configuration", path)
        return None
    return state


def _discard_checkpoint(path: Path, reason: str) -> None:
    """Set a damaged checkpoint aside (kept once, as ``*.damaged``) so training starts over."""
    aside = path.with_name(f"{path.name}.damaged")
    path.replace(aside)
    log.warning(
        "discarding damaged checkpoint %s (%s); moved to %s, training from the start",
        path,
        reason,
        aside,
    )


def prepare(
    model: Classifier, hp: TrainHparams, device: torch.device, seed: int
) -> tuple[torch.optim.Optimizer, Callable[..., Tensor]]:
    """Put ``model`` on ``device`` for training (layout, weight-noise generator from ``seed``)
    and give its Adam and its forward: compiled under ``hp.compile``, or a clear refusal
    (:class:`blth.compiling.CompileUnsupported`) before anything runs."""
    model.to(device).train()
    model.set_channels_last(hp.channels_last)
    model.generator = torch.Generator(device).manual_seed(seed + 1)
    forward = compiling.compiled(model, device) if hp.compile else model
    return torch.optim.Adam(model.parameters(), lr=hp.lr), forward


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued kernels, so that a clock reading covers them."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train_epoch(
    model: Classifier,
    forward: Callable[..., Tensor],
    loader: DeviceLoader,
    optimizer: torch.optim.Optimizer,
    hp: TrainHparams,
    bayes: BayesHparams | None,
    data_size: int,
    max_steps: int | None = None,
) -> Tensor:
    """One pass of optimiser steps over ``loader`` (the first ``max_steps`` batches, if given).

    ``forward``: the model or its compiled form (:func:`blth.compiling.compiled`). Returns the
    sums over the examples of loss, NLL, KL and correct predictions [4], on the device, unsynced.
    """
    device = loader.x.device
    samples = bayes.samples if bayes else 1
    temperature = bayes.temperature if bayes else 0.0
    decay = _decay_pairs(model) if hp.weight_decay else []
    sums = torch.zeros(4, device=device)  # loss, nll, kl, correct
    for step, (x, y) in enumerate(loader):
        if step == max_steps:
            break
        with autocast(device, hp.amp):
            logits = forward(x, samples)
        kl = model.kl(bayes.kl) if bayes else torch.zeros((), device=device)
        loss, nll = loss_terms(logits, y, kl, data_size, temperature, model.bayesian)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        for p, m in decay:
            p.grad.add_(p if m is None else p * m, alpha=hp.weight_decay)
        optimizer.step()
        with torch.no_grad():
            correct = (logits.float().softmax(-1).mean(0).argmax(-1) == y).sum()
            sums += torch.stack(
                [loss.detach() * len(y), nll.detach() * len(y), kl.detach() * len(y), correct]
            )
    return sums


def _log_epoch(name: str, row: dict, stop_epoch: int, note: str) -> None:
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
    on_epoch: Callable[[dict], None] | None = None,
) -> TrainResult:
    """Train ``model`` in place (masks already applied) and return its per-epoch log.

    Epochs ``start_epoch`` .. ``stop_epoch`` (default ``hp.epochs``) of the schedule run, so a
    late-rewound ticket continues the schedule at its rewind epoch and a rewind point stops
    there. ``checkpoint``: scratch file written every epoch; a later call with the same
    ``run_key`` resumes from it. Raises :class:`TrainingDiverged` naming ``name`` and the epoch.
    ``on_epoch``: called with each new epoch row once it is logged and checkpointed (e.g.
    :func:`blth.tensorboard.writer`); epochs restored from a checkpoint are not replayed.
    """
    device = torch.device(device)
    stop_epoch = hp.epochs if stop_epoch is None else stop_epoch
    if model.bayesian != (bayes is not None):
        raise ValueError(f"{name}: bayes hparams must be given exactly for Bayesian models")
    if not 0 <= start_epoch <= stop_epoch <= hp.epochs:
        raise ValueError(
            f"{name}: need 0 <= start_epoch ({start_epoch}) <= stop_epoch ({stop_epoch}) "
            f"<= epochs ({hp.epochs})"
        )
    optimizer, forward = prepare(model, hp, device, seed)
    mean, std = data.channel_stats()
    data_gen = torch.Generator(device).manual_seed(seed)
    train_loader = DeviceLoader(
        data.train_x,
        data.train_y,
        hp.batch_size,
        mean,
        std,
        device,
        train=True,
        augment=data.augment,
        generator=data_gen,
    )
    test_loader = DeviceLoader(data.test_x, data.test_y, hp.eval_batch_size, mean, std, device)
    samples = bayes.samples if bayes else 1
    eval_samples = bayes.eval_samples if bayes else 1
    log.info(hardware.header(name, model, device, samples, hp.amp, hp.compile))
    result = TrainResult()

    state = _load_checkpoint(checkpoint, run_key)
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        data_gen.set_state(state["data_rng"])
        model.generator.set_state(state["noise_rng"])
        result.epochs = state["epochs"]
        result.resumed_from = len(result.epochs)
        # Snakemake deletes a rerun job's log: the restored epochs are logged again
        for row in result.epochs:
            _log_epoch(name, row, stop_epoch, "(restored from the checkpoint)")
        log.info("%s: resuming after epoch %d from %s", name, result.resumed_from, checkpoint)

    n_train = len(data.train_y)
    for epoch in range(start_epoch + result.resumed_from, stop_epoch):
        lr = hp.lr * hp.lr_factor(epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr
        start = time.perf_counter()
        sums = train_epoch(model, forward, train_loader, optimizer, hp, bayes, n_train)
        synchronize(device)
        seconds = time.perf_counter() - start
        loss_sum, nll_sum, kl_sum, correct = sums.tolist()
        if not math.isfinite(loss_sum):
            raise TrainingDiverged(
                f"{name}: training loss became {loss_sum} in epoch "
                f"{epoch + 1}; last good state is in {checkpoint}"
            )
        eval_gen = torch.Generator(device).manual_seed(seed * 1_000_003 + epoch)
        probs = predict(model, test_loader, eval_samples, eval_gen, hp.amp)
        mean_probs = probs.mean(0)
        row = {
            "epoch": epoch + 1,
            "lr": lr,
            "train_loss": loss_sum / n_train,
            "train_nll": nll_sum / n_train,
            "train_kl": kl_sum / n_train,
            "train_acc": correct / n_train,
            "test_acc": metrics.accuracy(mean_probs, test_loader.y),
            "test_nll": metrics.nll(mean_probs, test_loader.y),
            "seconds": seconds,
            "images": n_train,
            "images_per_second": n_train / seconds,
        }
        result.epochs.append(row)
        eta = (time.perf_counter() - start) * (stop_epoch - epoch - 1)  # training + test pass
        _log_epoch(name, row, stop_epoch, f"ETA {_fmt_seconds(eta)}")
        if checkpoint is not None:
            _save_checkpoint(
                checkpoint,
                {
                    "run_key": run_key,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "data_rng": data_gen.get_state(),
                    "noise_rng": model.generator.get_state(),
                    "epochs": result.epochs,
                },
            )
        if on_epoch is not None:
            on_epoch(row)
    return result
