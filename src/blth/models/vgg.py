"""CIFAR VGG with BatchNorm (open_lth plans): 3x3 convs, max-pools, global average pool, FC."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from blth.bayes.factory import Layers

PLANS: dict[int, list[int | str]] = {
    11: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
    13: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512],
    16: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512],
    19: [
        64,
        64,
        "M",
        128,
        128,
        "M",
        256,
        256,
        256,
        256,
        "M",
        512,
        512,
        512,
        512,
        "M",
        512,
        512,
        512,
        512,
    ],
}


class ConvBN(nn.Module):
    def __init__(self, layers: Layers, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = layers.conv2d(cin, cout, 3, 1, 1, bias=True)
        self.bn = layers.batchnorm2d(cout)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(self.bn(self.conv(x)))


class VGG(nn.Module):
    def __init__(self, layers: Layers, depth: int, classes: int, in_channels: int = 3) -> None:
        super().__init__()
        if depth not in PLANS:
            raise ValueError(f"VGG depth must be one of {sorted(PLANS)}, got {depth}")
        features: list[nn.Module] = []
        cin = in_channels
        for item in PLANS[depth]:
            if isinstance(item, int):
                features.append(ConvBN(layers, cin, item))
                cin = item
            else:  # "M"
                features.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*features)
        self.fc = layers.linear(cin, classes, classifier=True)

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))
