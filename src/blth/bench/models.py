"""The step benchmark's contestants: one full Adam update of blth's network or of torch_blue's,
as a closure over its model, optimiser and batch."""

from __future__ import annotations

from collections.abc import Callable

import torch

from blth.bench.cases import CLASSES, DATA_SIZE, LR, MODELS, TEMPERATURE, Case
from blth.config.hparams import TrainHparams

Step = Callable[[], torch.Tensor]  # one optimiser step; returns the detached loss


def blth_step(case: Case, device: torch.device, x: torch.Tensor, y: torch.Tensor) -> Step:
    """A step of blth's network of ``case`` on the batch (x [B, C, H, W], y [B])."""
    from blth.models.registry import build
    from blth.training.epoch import loss_terms

    bayes = case.bayes()
    model = build(case.model, MODELS[case.model], CLASSES, bayes, seed=0).to(device)
    model.set_channels_last(TrainHparams().channels_last)  # the training default
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=LR)

    def step() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        logits = model(x, samples=case.samples)
        kl = model.kl("closed") if case.bayesian else logits.new_zeros(())
        loss, _ = loss_terms(logits, y, kl, DATA_SIZE, TEMPERATURE, case.bayesian)
        loss.backward()
        opt.step()
        return loss.detach()

    return step


def torch_blue_step(case: Case, device: torch.device, x: torch.Tensor, y: torch.Tensor) -> Step:
    """A step of torch_blue's network of ``case`` on the batch (needs torch_blue installed)."""
    from blth.bench import torch_blue_nets

    model = torch_blue_nets.network(case.model)
    model.to(device).train()
    criterion = torch_blue_nets.elbo_loss(DATA_SIZE, TEMPERATURE)
    opt = torch.optim.Adam(model.parameters(), lr=LR)

    def step() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        loss = criterion(model(x, samples=case.samples), y)
        loss.backward()
        opt.step()
        return loss.detach()

    return step


def step_for(case: Case, device: torch.device, x: torch.Tensor, y: torch.Tensor) -> Step:
    """The step of ``case``'s implementation."""
    build = torch_blue_step if case.impl == "torch_blue" else blth_step
    return build(case, device, x, y)


def torch_blue_available() -> bool:
    """Whether the optional torch_blue is installed (``pip install 'blth[bench]'``)."""
    try:
        import torch_blue  # noqa: F401
    except ImportError:
        return False
    return True
