"""Variational 2-D convolution."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from blth.bayes.layer import VILayer


class VIConv2d(VILayer):
    """Variational 2-D convolution on [B, C, H, W] (per_sample) or [S*B, C, H, W] (stacked)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
        prior_std: float = 1.0,
        init_std: float = 0.01,
        estimator: str = "weight_samples",
    ) -> None:
        self.in_channels, self.out_channels = in_channels, out_channels
        self.stride, self.padding = stride, padding
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        fan_in = in_channels * kernel_size**2
        super().__init__(shape, out_channels, bias, fan_in, prior_std, init_std, estimator)

    def _op(self, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        return F.conv2d(x, w, b, self.stride, self.padding)

    def _stacked_op(self, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        """The samples become the groups of one convolution on [B, S*C, H, W]."""
        samples = w.shape[0]
        batch = x.shape[0] // samples
        xg = x.reshape(samples, batch, *x.shape[1:]).transpose(0, 1).flatten(1, 2)
        out = F.conv2d(
            xg,
            w.flatten(0, 1),
            None if b is None else b.flatten(),
            self.stride,
            self.padding,
            groups=samples,
        )
        out = out.reshape(batch, samples, self.out_channels, *out.shape[2:]).transpose(0, 1)
        return out.reshape(samples * batch, *out.shape[2:])

    def _sign_shape(self, t: Tensor) -> tuple[int, ...]:
        return (t.shape[0], t.shape[1], 1, 1)
