"""LeNet-300-100 (Frankle & Carbin's MLP) for any small image size."""

from __future__ import annotations

import math

from torch import Tensor, nn

from blth.bayes.factory import Layers


class LeNet(nn.Module):
    def __init__(
        self,
        layers: Layers,
        input_shape: tuple[int, ...],
        classes: int,
        hidden: tuple[int, ...] = (300, 100),
    ) -> None:
        super().__init__()
        sizes = (math.prod(input_shape), *hidden)
        self.hidden = nn.ModuleList(layers.linear(i, o) for i, o in zip(sizes, sizes[1:]))
        self.fc = layers.linear(sizes[-1], classes, classifier=True)

    def forward(self, x: Tensor) -> Tensor:
        x = x.flatten(1)
        for layer in self.hidden:
            x = nn.functional.relu(layer(x))
        return self.fc(x)
