"""KL(q‖p) of one mean-field Gaussian tensor q = N(μ, σ²) from the prior p = N(0, prior_std²).

Every function sums over the unpruned entries only (``mask`` [*shape], 0/1), in nats.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def closed_form_kl(mean: Tensor, log_std: Tensor, mask: Tensor, prior_std: float) -> Tensor:
    """Σ m ⊙ [log(σ_p/σ) + (σ² + μ²)/(2σ_p²) − ½]; ``mean``, ``log_std`` [*shape]."""
    log_prior, var_prior = math.log(prior_std), prior_std**2
    per_entry = log_prior - log_std + (torch.exp(2 * log_std) + mean**2) / (2 * var_prior) - 0.5
    return (per_entry * mask).sum()


def monte_carlo_kl(
    weights: Tensor, log_std: Tensor, mask: Tensor, eps: Tensor, prior_std: float
) -> Tensor:
    """log q(w_s) − log p(w_s) summed over entries, averaged over S samples (torch_blue's
    estimate); ``weights`` w_s = m⊙μ + m⊙σ⊙ε_s and ``eps`` ε [S, *shape], ``log_std`` [*shape].
    The constant ½·log 2π cancels."""
    log_prior, var_prior = math.log(prior_std), prior_std**2
    per_entry = (log_prior - log_std) - 0.5 * eps**2 + weights**2 / (2 * var_prior)
    return (per_entry * mask).sum() / eps.shape[0]
