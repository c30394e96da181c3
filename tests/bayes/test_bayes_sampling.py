"""Weight sets with the per-sample backward, the estimators' noise, and the KL terms."""

import math

import pytest
import torch

from blth.bayes.draw import DrawState
from blth.bayes.estimators import random_signs
from blth.bayes.kl import closed_form_kl, monte_carlo_kl
from blth.bayes.sampling import PerSampleWeights, StackedWeights


@pytest.mark.parametrize("function", [PerSampleWeights, StackedWeights])
def test_custom_backward_equals_autograd(function):
    torch.manual_seed(0)
    centre = torch.randn(4, 3, requires_grad=True)
    scale = torch.rand(4, 3, requires_grad=True)
    eps, g = torch.randn(5, 4, 3), torch.randn(5, 4, 3)
    out = function.apply(centre, scale, eps)
    out = torch.stack(out) if isinstance(out, tuple) else out
    torch.testing.assert_close(out, torch.addcmul(centre, scale, eps))
    grads = torch.autograd.grad(out, (centre, scale), g)
    expected = torch.autograd.grad(torch.addcmul(centre, scale, eps), (centre, scale), g)
    for a, b in zip(grads, expected, strict=True):
        torch.testing.assert_close(a, b)


def test_random_signs_are_plus_or_minus_one_in_the_dtype_asked():
    like = torch.zeros((), dtype=torch.bfloat16)
    state = DrawState(1, generator=torch.Generator().manual_seed(0), cpu_noise="torch")
    signs = random_signs((1000,), like, state)
    assert signs.dtype == torch.bfloat16 and set(signs.tolist()) == {-1.0, 1.0}


def test_kl_terms_skip_pruned_entries():
    mean, log_std = torch.full((2,), 0.5), torch.full((2,), math.log(0.3))
    mask = torch.tensor([1.0, 0.0])
    expected = math.log(2 / 0.3) + (0.09 + 0.25) / 8 - 0.5  # one unpruned entry
    assert closed_form_kl(mean, log_std, mask, 2.0).item() == pytest.approx(expected, rel=1e-6)
    eps = torch.zeros(3, 2)
    weights = torch.addcmul(mean * mask, log_std.exp() * mask, eps)
    mc = monte_carlo_kl(weights, log_std, mask, eps, 2.0).item()
    assert mc == pytest.approx(math.log(2 / 0.3) + 0.25 / 8, rel=1e-6)
