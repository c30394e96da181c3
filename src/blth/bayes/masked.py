"""Pruning masks, and the deterministic layers that apply them.

Every prunable layer (deterministic or variational) carries 0/1 masks ``weight_mask`` [*weight
shape] and ``bias_mask`` [out] (None without a bias), stored as floats so that applying them
costs no bool-to-float conversion.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def mask_name(kind: str) -> str:
    """Attribute of a layer's mask of tensor ``kind`` (``weight`` or ``bias``)."""
    return f"{kind}_mask"


def mask_of(module: nn.Module, kind: str) -> Tensor | None:
    """The mask of ``module``'s tensor ``kind``; None for a missing bias or an unmasked module."""
    mask = getattr(module, mask_name(kind), None)
    return mask if isinstance(mask, Tensor) else None


def register_masks(module: nn.Module, weight_shape: torch.Size, has_bias: bool, out: int) -> None:
    """All-ones ``weight_mask`` [*weight_shape] and ``bias_mask`` [out] (None without a bias)."""
    # Masks are not persistent: they travel as their own artefact (mask.safetensors).
    module.register_buffer(mask_name("weight"), torch.ones(weight_shape), False)
    mask = torch.ones(out) if has_bias else None
    module.register_buffer(mask_name("bias"), mask, False)


class MaskedLinear(nn.Linear):
    """Deterministic linear layer whose pruned weights are held at exactly 0."""

    weight_mask: Tensor
    bias_mask: Tensor | None

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias)
        register_masks(self, self.weight.shape, bias, out_features)

    def forward(self, x: Tensor) -> Tensor:
        bias = None if self.bias is None or self.bias_mask is None else self.bias * self.bias_mask
        return F.linear(x, self.weight * self.weight_mask, bias)


class MaskedConv2d(nn.Conv2d):
    """Deterministic 2-D convolution whose pruned weights are held at exactly 0."""

    weight_mask: Tensor
    bias_mask: Tensor | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        register_masks(self, self.weight.shape, self.bias is not None, self.out_channels)

    def forward(self, x: Tensor) -> Tensor:
        bias = None if self.bias is None or self.bias_mask is None else self.bias * self.bias_mask
        return self._conv_forward(x, self.weight * self.weight_mask, bias)
