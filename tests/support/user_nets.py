"""Factories of a user's own networks, built by the tests as ``user_nets:<function>``."""

from __future__ import annotations

from torch import nn


def small_cnn(num_classes: int, width: int = 8) -> nn.Module:
    """[B, 3, H, W] -> [B, num_classes]: conv, norm, pooling, dropout and two linear layers."""
    return nn.Sequential(
        nn.Conv2d(3, width, 3, padding=1, bias=False),
        nn.BatchNorm2d(width, eps=1e-3),  # kept by the conversion
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(4 * width, 16),
        nn.ReLU(),
        nn.Linear(16, num_classes),
    )


def not_a_network(num_classes: int) -> int:
    return num_classes
