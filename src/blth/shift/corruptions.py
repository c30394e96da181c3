"""Corruptions of a test set, computed on its device: Gaussian noise, Gaussian blur, contrast
and rotation at severities 1–5.

Noise, blur and contrast take the CIFAR-10-C parameters (Hendrycks & Dietterich, 2019; blur
σ scaled from its 32-pixel images to the image height); rotation turns by 6° per severity level.
Images go in and come out as uint8 [N, C, H, W], as the test set is stored (CIFAR-10-C's files
are uint8 too).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from blth.shift import CORRUPTIONS, SEVERITIES

NOISE_STD = (0.04, 0.06, 0.08, 0.09, 0.10)  # in [0, 1] units
BLUR_SIGMA_32PX = (0.4, 0.6, 0.7, 0.8, 1.0)  # pixels of a 32-pixel image
CONTRAST = (0.75, 0.5, 0.4, 0.3, 0.15)  # factor on the distance to the image's mean
ROTATION_DEGREES = (6.0, 12.0, 18.0, 24.0, 30.0)

Corruption = Callable[[Tensor, int, torch.Generator], Tensor]  # x in [0, 1], severity, gen


def _gaussian_noise(x: Tensor, severity: int, gen: torch.Generator) -> Tensor:
    noise = torch.randn(x.shape, generator=gen, device=x.device, dtype=x.dtype)
    return x + NOISE_STD[severity - 1] * noise


def _gaussian_blur(x: Tensor, severity: int, gen: torch.Generator) -> Tensor:
    sigma = BLUR_SIGMA_32PX[severity - 1] * x.shape[-2] / 32
    radius = min(max(1, math.ceil(3 * sigma)), min(x.shape[-2:]) - 1)
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    kernel = torch.exp(-(t**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = x.shape[1]
    rows = kernel.view(1, 1, -1, 1).repeat(channels, 1, 1, 1)
    x = F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), rows, groups=channels)
    cols = kernel.view(1, 1, 1, -1).repeat(channels, 1, 1, 1)
    return F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), cols, groups=channels)


def _contrast(x: Tensor, severity: int, gen: torch.Generator) -> Tensor:
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * CONTRAST[severity - 1] + mean


def _rotation(x: Tensor, severity: int, gen: torch.Generator) -> Tensor:
    angle = math.radians(ROTATION_DEGREES[severity - 1])
    cos, sin = math.cos(angle), math.sin(angle)
    theta = torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]], device=x.device, dtype=x.dtype)
    grid = F.affine_grid(theta.expand(len(x), 2, 3), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


REGISTRY: dict[str, Corruption] = dict(
    zip(CORRUPTIONS, (_gaussian_noise, _gaussian_blur, _contrast, _rotation), strict=True)
)


def corrupt(images: Tensor, name: str, severity: int, gen: torch.Generator) -> Tensor:
    """``images`` uint8 [N, C, H, W] under corruption ``name`` at ``severity`` (1–5), uint8,
    on the images' device; random corruptions draw from ``gen`` (on that device)."""
    if name not in REGISTRY:
        raise ValueError(f"unknown corruption {name!r}; known: {', '.join(REGISTRY)}")
    if severity not in SEVERITIES:
        raise ValueError(f"corruption severity {severity} is not one of {SEVERITIES}")
    x = REGISTRY[name](images.float() / 255, severity, gen)
    return (x.clamp(0, 1) * 255).round().to(torch.uint8)
