"""BatchNorm that normalises each weight sample with its own batch statistics."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SampleBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm with per-sample batch statistics, also on stacked inputs [S*B, C, H, W] (as
    under vmap); ``samples`` = S stacked in each input, set by the model before each forward
    (:attr:`blth.bayes.draw.DrawState.stacked_samples`)."""

    samples: int = 1

    def forward(self, x: Tensor) -> Tensor:
        if self.samples == 1 or not (self.training or self.running_mean is None):
            return super().forward(x)
        return torch.cat([super(SampleBatchNorm2d, self).forward(c) for c in x.chunk(self.samples)])
