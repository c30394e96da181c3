"""Weight sets w_s = c + s ⊙ ε_s of one tensor, with a backward that suits a CPU's caches.

``c`` and ``s`` are a tensor's centre and scale [*shape] (or broadcastable to it), ``ε`` the
draw's noise [S, *shape]. Both functions give the gradients Σ_s g_s (centre) and Σ_s g_s ⊙ ε_s
(scale), accumulated in place one sample at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor


def _weight_grads(
    grads: Sequence[Tensor | None], eps: Tensor, need_centre: bool
) -> tuple[Tensor | None, Tensor | None]:
    """(Σ_s g_s, Σ_s g_s ⊙ ε_s), accumulated in place one sample at a time, so that no
    [S, *shape] temporary overflows the caches (the main cost of the generic autograd path
    for large layers on a CPU). Σ_s g_s is None unless ``need_centre``."""
    grad_centre: Tensor | None = None
    grad_scale: Tensor | None = None
    for g, e in zip(grads, eps.unbind(0), strict=True):
        if g is None:  # a sample whose weights did not reach the loss
            continue
        if grad_scale is None:
            grad_centre, grad_scale = (g.clone() if need_centre else None), g * e
        else:
            grad_scale.addcmul_(g, e)
            if grad_centre is not None:
                grad_centre.add_(g)
    return grad_centre, grad_scale


class PerSampleWeights(torch.autograd.Function):
    """w_s = c + s ⊙ ε_s for every sample s, as S separate tensors [*shape]."""

    @staticmethod
    def forward(ctx: Any, centre: Tensor, scale: Tensor, eps: Tensor) -> tuple[Tensor, ...]:
        ctx.save_for_backward(eps)
        ctx.set_materialize_grads(False)
        return tuple(torch.addcmul(centre, scale, e) for e in eps.unbind(0))

    @staticmethod
    def backward(ctx: Any, *grads: Tensor | None) -> tuple[Tensor | None, Tensor | None, None]:
        (eps,) = ctx.saved_tensors
        return *_weight_grads(grads, eps, ctx.needs_input_grad[0]), None


class StackedWeights(torch.autograd.Function):
    """w = c + s ⊙ ε as one tensor [S, *shape], with the per-sample backward (CPU)."""

    @staticmethod
    def forward(ctx: Any, centre: Tensor, scale: Tensor, eps: Tensor) -> Tensor:
        ctx.save_for_backward(eps)
        return torch.addcmul(centre, scale, eps)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor | None, Tensor | None, None]:
        (eps,) = ctx.saved_tensors
        return *_weight_grads(grad.unbind(0), eps, ctx.needs_input_grad[0]), None
