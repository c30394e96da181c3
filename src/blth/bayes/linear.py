"""Variational linear layer."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from blth.bayes.layer import VILayer


class VILinear(VILayer):
    """Variational linear layer on [B, ..., in] (per_sample) or [S*B, ..., in] (stacked)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        prior_std: float = 1.0,
        init_std: float = 0.01,
        estimator: str = "weight_samples",
    ) -> None:
        self.in_features, self.out_features = in_features, out_features
        shape = (out_features, in_features)
        super().__init__(shape, out_features, bias, in_features, prior_std, init_std, estimator)

    def _drop_draw_results(self) -> None:
        super()._drop_draw_results()
        self._shared_outputs: tuple[Tensor, ...] | None = None  # see _per_sample_forward

    def _op(self, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        return F.linear(x, w, b)

    def _stacked_op(self, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        """One batched matmul."""
        samples = w.shape[0]
        xs = x.reshape(samples, -1, self.in_features)
        if b is not None:
            out = torch.baddbmm(b.unsqueeze(1), xs, w.transpose(1, 2))
        else:
            out = torch.bmm(xs, w.transpose(1, 2))
        return out.reshape(*x.shape[:-1], self.out_features)

    def _sign_shape(self, t: Tensor) -> tuple[int, ...]:
        return (t.shape[0], *[1] * (t.dim() - 2), t.shape[-1])

    def _per_sample_forward(self, x: Tensor) -> Tensor:
        """The active sample's pass. A layer fed the network's input (the first layer) sees the
        same input in every pass: it computes all S passes in one matmul in the first pass and
        serves the others from it, as one [B, in] x [in, S*out] product, forward and backward,
        is about twice as fast on a CPU as S products [B, in] x [in, out]."""
        state = self.draw_state
        if state.active is None or not state.is_network_input(x):
            return super()._per_sample_forward(x)
        if self._shared_outputs is None:
            w, b = self.drawn_stack("weight"), self.drawn_stack("bias")
            if w is None:
                raise RuntimeError(f"{type(self).__name__}: draw() before the forward")
            out = F.linear(x, w.flatten(0, 1), None if b is None else b.flatten())
            self._shared_outputs = out.unflatten(-1, (w.shape[0], self.out_features)).unbind(-2)
        return self._shared_outputs[state.active]
