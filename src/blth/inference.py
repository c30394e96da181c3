"""Predictions of a trained network: per-sample class probabilities over a test loader."""

from __future__ import annotations

import torch
from torch import Tensor

from blth.data import DeviceLoader
from blth.models.base import Classifier


def amp_active(device: torch.device, enabled: bool, on_cpu: bool = False) -> bool:
    """Whether ``train.amp`` (``enabled``) autocasts on ``device``: on CUDA, and on the CPU only
    where a caller asks for it (``on_cpu``, e.g. tests): bf16 there is unmeasured for speed."""
    return enabled and (device.type == "cuda" or (on_cpu and device.type == "cpu"))


def autocast(device: torch.device, enabled: bool, on_cpu: bool = False) -> torch.autocast:
    """bf16 autocast where :func:`amp_active` (parameters stay fp32); a no-op elsewhere."""
    return torch.autocast(
        device.type, dtype=torch.bfloat16, enabled=amp_active(device, enabled, on_cpu)
    )


@torch.no_grad()
def predict(
    model: Classifier,
    loader: DeviceLoader,
    samples: int,
    generator: torch.Generator | None = None,
    amp: bool = True,
) -> Tensor:
    """Per-sample class probabilities [S, N, C] (float32) over a non-shuffled loader."""
    was_training, previous = model.training, model.generator
    model.eval()
    model.generator = generator
    device = loader.x.device
    try:
        with autocast(device, amp):
            probs = [torch.softmax(model(x, samples).float(), -1) for x, _ in loader]
    finally:
        model.train(was_training)
        model.generator = previous
    return torch.cat(probs, dim=1)
