"""Variational layers: KL, masks, and the S-sample forward."""

import math

import pytest
import torch

from blth.bayes import VIConv2d, VILinear
from blth.hparams import BayesHparams
from blth.models import build


def test_closed_form_kl_matches_formula():
    layer = VILinear(3, 2, bias=False, prior_std=2.0)
    with torch.no_grad():
        layer.weight_mean.fill_(0.5)
        layer.weight_log_std.fill_(math.log(0.3))
    # KL(N(0.5, 0.3²) ‖ N(0, 2²)) = log(2/0.3) + (0.3² + 0.5²)/(2·2²) − ½, six entries
    expected = 6 * (math.log(2 / 0.3) + (0.09 + 0.25) / 8 - 0.5)
    assert layer.kl("closed").item() == pytest.approx(expected, rel=1e-6)


def test_mc_kl_converges_to_closed_form():
    torch.manual_seed(0)
    layer = VILinear(20, 10, prior_std=1.0, init_std=0.5)
    layer.draw(20_000, None)
    assert layer.kl("mc").item() == pytest.approx(layer.kl("closed").item(), rel=0.02)


@pytest.mark.parametrize("strategy", ["loop", "grouped"])
def test_masked_weights_are_zero_in_every_sample_and_get_no_gradient(strategy):
    layer = VIConv2d(2, 3, 3, padding=1, strategy=strategy)
    mask = torch.rand(layer.weight_mask.shape) < 0.5
    layer.weight_mask.copy_(mask)
    layer.draw(4, None)
    assert torch.all(layer.sampled["weight"][:, ~mask] == 0)
    out = layer(torch.randn(4 * 5, 2, 6, 6))
    (out.sum() + layer.kl("closed")).backward()
    assert torch.all(layer.weight_mean.grad[~mask] == 0)
    assert torch.all(layer.weight_log_std.grad[~mask] == 0)
    assert layer.weight_mean.grad[mask].abs().sum() > 0


def test_pruned_entries_add_nothing_to_kl():
    layer = VILinear(4, 3)
    full = layer.kl("closed").item()
    layer.weight_mask[0].fill_(False)
    assert layer.kl("closed").item() < full


@pytest.mark.parametrize(
    "model,shape", [("lenet_300_100", (1, 8, 8)), ("resnet20", (3, 8, 8)), ("vit_tiny", (3, 8, 8))]
)
def test_s_sample_forward_equals_separate_single_sample_forwards(model, shape):
    net = build(
        model,
        shape,
        10,
        BayesHparams(conv_strategy="grouped"),
        seed=0,
        **({"patch": 4, "depth": 1} if model.startswith("vit") else {}),
    )
    net.eval()  # BatchNorm with running statistics: samples do not interact
    x = torch.randn(3, *shape)
    samples = 4
    noise = {
        name: {
            t: torch.randn(samples, *getattr(layer, f"{t}_mean").shape)
            for t in layer.tensor_names()
        }
        for name, layer in net._vi
    }
    together = net(x, samples, noise)
    for s in range(samples):
        single = {n: {t: e[s : s + 1] for t, e in d.items()} for n, d in noise.items()}
        torch.testing.assert_close(net(x, 1, single)[0], together[s], rtol=1e-4, atol=1e-5)


def test_loop_and_grouped_convolutions_agree():
    a = VIConv2d(3, 4, 3, stride=2, padding=1, strategy="loop")
    b = VIConv2d(3, 4, 3, stride=2, padding=1, strategy="grouped")
    b.load_state_dict(a.state_dict())
    noise = {t: torch.randn(3, *getattr(a, f"{t}_mean").shape) for t in a.tensor_names()}
    a.draw(3, None, noise)
    b.draw(3, None, noise)
    x = torch.randn(3 * 2, 3, 8, 8)
    torch.testing.assert_close(a(x), b(x), rtol=1e-4, atol=1e-5)
