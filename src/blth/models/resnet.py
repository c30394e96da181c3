"""CIFAR ResNet-(6n+2) with 16/32/64 filters (He et al. 2016; the paper's "ResNet18" is n=3)."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from blth.bayes.factory import Layers


class Block(nn.Module):
    def __init__(self, layers: Layers, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = layers.conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = layers.batchnorm2d(cout)
        self.conv2 = layers.conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = layers.batchnorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:  # 1x1 strided projection (open_lth)
            self.shortcut = nn.Sequential(
                layers.conv2d(cin, cout, 1, stride, bias=False), layers.batchnorm2d(cout)
            )

    def forward(self, x: Tensor) -> Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(
        self, layers: Layers, depth: int, classes: int, in_channels: int = 3, width: int = 16
    ) -> None:
        super().__init__()
        if (depth - 2) % 6 != 0 or depth < 8:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2 (20, 32, 56, 110, ...), got {depth}")
        blocks = (depth - 2) // 6
        self.conv = layers.conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn = layers.batchnorm2d(width)
        stages, cin = [], width
        for i, cout in enumerate((width, 2 * width, 4 * width)):
            stage = []
            for j in range(blocks):
                stage.append(Block(layers, cin, cout, 2 if (i > 0 and j == 0) else 1))
                cin = cout
            stages.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = layers.linear(cin, classes, classifier=True)

    def forward(self, x: Tensor) -> Tensor:
        x = F.relu(self.bn(self.conv(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))
