"""torch_blue's versions of the step benchmark's networks (ResNet-20, LeNet-300-100), built
from its mean-field layers. Imports torch_blue, an optional dependency (``blth[bench]``):
import this module only once :func:`blth.bench.models.torch_blue_available` says so."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_blue import vi
from torch_blue.vi.distributions import Categorical, MeanFieldNormal

from blth.bench.cases import CLASSES


class Layers:
    """torch_blue's mean-field layers, all with prior N(0, 1) and initial σ 0.01."""

    def __init__(self) -> None:
        self.kw = {
            "prior": MeanFieldNormal(mean=0.0, std=1.0),
            "variational_distribution": MeanFieldNormal(std=0.01),
        }

    def conv(self, cin: int, cout: int, k: int, stride: int, padding: int) -> nn.Module:
        return vi.VIConv2d(cin, cout, k, stride=stride, padding=padding, bias=False, **self.kw)

    def linear(self, fin: int, fout: int) -> nn.Module:
        return vi.VILinear(fin, fout, **self.kw)


def _bn(c: int) -> nn.Module:  # running stats fail under torch_blue's vmap
    return nn.BatchNorm2d(c, track_running_stats=False)


class Block(vi.VIModule):
    """ResNet-20's basic block, with a projection shortcut where the shape changes."""

    def __init__(self, layers: Layers, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1, self.bn1 = layers.conv(cin, cout, 3, stride, 1), _bn(cout)
        self.conv2, self.bn2 = layers.conv(cout, cout, 3, 1, 1), _bn(cout)
        self.proj = stride != 1 or cin != cout
        if self.proj:
            self.sc_conv, self.sc_bn = layers.conv(cin, cout, 1, stride, 0), _bn(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.sc_bn(self.sc_conv(x)) if self.proj else x))  # no in-place


class ResNet20(vi.VIModule):
    """ResNet-20 for 3 × 32 × 32 images: x [S, B, 3, 32, 32] -> logits [S, B, CLASSES]."""

    def __init__(self, layers: Layers) -> None:
        super().__init__()
        self.conv, self.bn = layers.conv(3, 16, 3, 1, 1), _bn(16)
        blocks, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(3):
                blocks.append(Block(layers, cin, cout, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.fc = layers.linear(64, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn(self.conv(x)))
        for block in self.blocks:
            x = block(x)
        return self.fc(x.mean(dim=(-2, -1)))


class LeNet300(vi.VIModule):
    """LeNet-300-100 for 1 × 28 × 28 images: x [S, B, 1, 28, 28] -> logits [S, B, CLASSES]."""

    def __init__(self, layers: Layers) -> None:
        super().__init__()
        self.fc1 = layers.linear(784, 300)
        self.fc2 = layers.linear(300, 100)
        self.fc3 = layers.linear(100, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.fc1(x.flatten(start_dim=-3)))
        return self.fc3(F.relu(self.fc2(x)))


def network(model: str) -> nn.Module:
    """The torch_blue network of benchmark model ``model``, initialised from seed 0."""
    layers = Layers()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return ResNet20(layers) if model == "resnet20" else LeNet300(layers)


def elbo_loss(data_size: int, temperature: float) -> nn.Module:
    """torch_blue's negative ELBO for classification: (logits, labels) -> loss."""
    return vi.KullbackLeiblerLoss(Categorical(), dataset_size=data_size, heat=temperature)
