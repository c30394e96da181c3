"""The two per-example estimators (``bayes.estimator``), as functions of a layer's moments.

``weight_samples`` (the paper's, and torch_blue's) needs nothing here: each of the S weight sets
is one draw shared by the whole batch (:class:`blth.bayes.layer.VILayer`). The other two give every
example of a batch its own weights, and so a lower-variance gradient. With μ̃ = m⊙μ, σ̃ = m⊙σ
and ``op`` the layer's linear operation (matmul or convolution):

- ``local_reparam`` (Kingma et al. 2015): no weights are drawn; each pre-activation is drawn from
  its Gaussian marginal N(op(x, μ̃), op(x², σ̃²)).
- ``flipout`` (Wen et al. 2018): the S weight perturbations Δw_s = σ̃ ⊙ ε_s are drawn as usual and
  decorrelated across examples by random signs, y = op(x, μ̃) + op(x ⊙ s, Δw_s) ⊙ r with
  s, r ∈ {±1} per example and input / output feature (channel). Each example's weights are
  exactly N(μ̃, σ̃²).

Their noise (ε per output entry, signs) is drawn here, in the forward, from the draw's generator.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from blth.bayes.draw import DrawState
from blth.bayes.noise import normal


def local_reparam_output(mean: Tensor, var: Tensor, state: DrawState) -> Tensor:
    """mean + sqrt(var) ⊙ ε, ε ~ N(0, 1) per entry; ``mean`` = op(x, μ̃), ``var`` = op(x², σ̃²),
    both of the layer's output shape."""
    eps = normal(mean.shape, state.generator, mean.device, state.cpu_noise).to(mean.dtype)
    # the clamp keeps the gradient of sqrt finite where every weight of a unit is pruned
    return torch.addcmul(mean, var.clamp_min(1e-16).sqrt(), eps)


def random_signs(shape: tuple[int, ...], like: Tensor, state: DrawState) -> Tensor:
    """±1 with probability ½ each, of ``shape``, on the device and in the dtype of ``like``."""
    z = normal(shape, state.generator, like.device, state.cpu_noise)
    return torch.where(z >= 0, 1.0, -1.0).to(like.dtype)


def flipout_output(
    x: Tensor,
    mean: Tensor,
    perturbation: Callable[[Tensor], Tensor],
    sign_shape: Callable[[Tensor], tuple[int, ...]],
    state: DrawState,
) -> Tensor:
    """mean + perturbation(x ⊙ s) ⊙ r: ``mean`` = op(x, μ̃), ``perturbation(x)`` = op(x, Δw);
    ``sign_shape(t)`` is one sign per example (row of t) and feature (channel), broadcast over
    the rest."""
    sign_in = random_signs(sign_shape(x), x, state)
    sign_out = random_signs(sign_shape(mean), mean, state)
    return torch.addcmul(mean, perturbation(x * sign_in), sign_out)
