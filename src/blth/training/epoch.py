"""One epoch of optimiser steps: the model's set-up for training, the loss, masked weight decay.

Bayesian loss (torch_blue's negative ELBO): N · mean_b[−log (1/S) Σ_s softmax(f_s(x_b))_y]
+ T · KL(q‖p), N = training-set size. Deterministic loss: mean cross-entropy.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from blth.bayes.hparams import BayesHparams
from blth.config import seeds
from blth.config.hparams import TrainHparams
from blth.data.prepared import DeviceLoader
from blth.evaluation.inference import autocast
from blth.models.base import Classifier
from blth.platform import compiling


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


def prepare(
    model: Classifier, hp: TrainHparams, device: torch.device, seed: int
) -> tuple[torch.optim.Optimizer, Callable[..., Tensor]]:
    """Put ``model`` on ``device`` for training (layout, weight-noise generator from ``seed``)
    and give its Adam and its forward: compiled under ``hp.compile``, or a clear refusal
    (:class:`blth.platform.compiling.CompileUnsupported`) before anything runs."""
    model.to(device).train()
    model.set_channels_last(hp.channels_last)
    model.generator = torch.Generator(device).manual_seed(seeds.weight_noise(seed))
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

    ``forward``: the model or its compiled form (:func:`blth.platform.compiling.compiled`). Returns
    the
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
        loss.backward()  # type: ignore[no-untyped-call]
        for p, m in decay:
            assert p.grad is not None  # every parameter takes part in the loss
            p.grad.add_(p if m is None else p * m, alpha=hp.weight_decay)
        optimizer.step()
        with torch.no_grad():
            correct = (logits.float().softmax(-1).mean(0).argmax(-1) == y).sum()
            sums += torch.stack(
                [loss.detach() * len(y), nll.detach() * len(y), kl.detach() * len(y), correct]
            )
    return sums
