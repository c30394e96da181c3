"""Variational layers: KL, masks, and the S-sample forward."""

import math

import pytest
import torch

from blth.bayes.conv import VIConv2d
from blth.bayes.draw import DrawState
from blth.bayes.hparams import BayesHparams
from blth.bayes.linear import VILinear
from blth.models.registry import build


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
    layer.draw(DrawState(20_000))
    assert layer.kl("mc").item() == pytest.approx(layer.kl("closed").item(), rel=0.02)


@pytest.mark.parametrize("estimator", ["weight_samples", "flipout"])
@pytest.mark.parametrize("per_sample", [True, False])
def test_masked_weights_are_zero_in_every_sample_and_get_no_gradient(per_sample, estimator):
    layer = VIConv2d(2, 3, 3, padding=1, estimator=estimator)
    mask = torch.rand(layer.weight_mask.shape) < 0.5
    layer.weight_mask.copy_(mask)
    state = DrawState(4, per_sample)
    layer.draw(state)
    if per_sample:
        out = torch.zeros(())
        for s in range(4):
            state.active = s
            assert torch.all(layer.drawn("weight")[~mask] == 0)
            out = out + layer(torch.randn(5, 2, 6, 6))
    else:
        assert torch.all(layer.drawn("weight")[:, ~mask] == 0)
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


@pytest.mark.parametrize("strategy", ["per_sample", "stacked"])
@pytest.mark.parametrize(
    "model,shape", [("lenet_300_100", (1, 8, 8)), ("resnet20", (3, 8, 8)), ("vit_tiny", (3, 8, 8))]
)
def test_s_sample_forward_equals_separate_single_sample_forwards(model, shape, strategy):
    net = build(
        model,
        shape,
        10,
        BayesHparams(sample_strategy=strategy),
        seed=0,
        **({"patch": 4, "depth": 1} if model.startswith("vit") else {}),
    )
    assert net.bayes.per_sample_on("cpu") == (strategy == "per_sample")
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


@pytest.mark.parametrize("model,shape", [("lenet_300_100", (1, 8, 8)), ("resnet20", (3, 8, 8))])
def test_strategies_give_the_same_logits_gradients_and_batchnorm_statistics(model, shape):
    """per_sample and stacked compute the same training step: BatchNorm normalises each sample
    with its own batch statistics in both."""
    nets = {
        s: build(model, shape, 10, BayesHparams(sample_strategy=s), seed=0)
        for s in ("per_sample", "stacked")
    }
    x = torch.randn(6, *shape)
    noise = {
        name: {t: torch.randn(3, *getattr(layer, f"{t}_mean").shape) for t in layer.tensor_names()}
        for name, layer in nets["stacked"]._vi
    }
    logits = {}
    for s, net in nets.items():
        logits[s] = net(x, 3, noise)
        (logits[s].square().mean() + net.kl()).backward()
    torch.testing.assert_close(logits["per_sample"], logits["stacked"], rtol=1e-5, atol=1e-5)
    a, b = (dict(n.net.named_parameters()) for n in nets.values())
    for name in a:
        torch.testing.assert_close(a[name].grad, b[name].grad, rtol=1e-4, atol=1e-6)
    a, b = (dict(n.net.named_buffers()) for n in nets.values())
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-5, atol=1e-6)


def test_only_the_layer_fed_the_network_input_computes_all_samples_in_one_product():
    """per_sample: the first layer sees the same input in every pass and serves all passes from
    one [B, in] x [in, S*out] product (the equivalence tests above check its values and
    gradients); later layers see a different input per pass."""
    net = build("lenet_300_100", (1, 8, 8), 10, BayesHparams(), seed=0)
    net(torch.randn(4, 1, 8, 8), 3).sum().backward()
    layers = dict(net._vi)
    assert len(layers["hidden.0"]._shared_outputs) == 3
    assert layers["hidden.1"]._shared_outputs is None and layers["fc"]._shared_outputs is None


def test_unknown_sample_strategy_names_the_key():
    with pytest.raises(ValueError, match="bayes.sample_strategy"):
        BayesHparams(sample_strategy="loop")


def test_auto_strategy_follows_the_device_of_the_input():
    assert BayesHparams().per_sample_on("cpu") and not BayesHparams().per_sample_on("cuda")
    assert BayesHparams(sample_strategy="stacked").per_sample_on("cpu") is False
    net = build("lenet_300_100", (1, 8, 8), 10, BayesHparams(), seed=0)
    net(torch.randn(2, 1, 8, 8), 3)
    # CPU input: one pass per sample
    assert all(layer.draw_state.per_sample for _, layer in net._vi)


@pytest.mark.parametrize("estimator", ["local_reparam", "flipout"])
@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_per_example_estimators_draw_the_marginal_of_weight_sampling(kind, estimator):
    """Each output of a local-reparameterised or flipout layer has the mean and variance that
    sampling the weights gives (mean-field Gaussian weights: the pre-activations are exactly
    Gaussian)."""
    torch.manual_seed(0)
    pair = ("weight_samples", estimator)
    if kind == "linear":
        layers = [VILinear(6, 4, init_std=2.0, estimator=e) for e in pair]
        x = torch.randn(3, 6)
    else:
        layers = [VIConv2d(2, 3, 3, init_std=2.0, estimator=e) for e in pair]
        x = torch.randn(3, 2, 4, 4)
    weights, other = layers
    other.load_state_dict(weights.state_dict())
    for layer in layers:
        layer.weight_mask[0].fill_(0)  # a pruned unit: its output is the bias alone
    n = 20_000
    xs = x.repeat(n, *([1] * (x.dim() - 1)))
    with torch.no_grad():
        weights.draw(DrawState(n, generator=torch.Generator().manual_seed(1)))
        a = weights(xs).reshape(n, *x.shape[:1], -1)
        other.draw(DrawState(n, generator=torch.Generator().manual_seed(2)))
        b = other(xs).reshape(n, *x.shape[:1], -1)
    torch.testing.assert_close(b.mean(0), a.mean(0), atol=0.05 * a.std(0).max().item(), rtol=0)
    torch.testing.assert_close(b.var(0), a.var(0), rtol=0.06, atol=1e-6)


@pytest.mark.parametrize("estimator", ["weight_samples", "local_reparam", "flipout"])
def test_only_per_example_estimators_give_identical_examples_different_outputs(estimator):
    layer = VILinear(5, 3, init_std=1.0, estimator=estimator)
    layer.draw(DrawState(1, generator=torch.Generator().manual_seed(0)))
    with torch.no_grad():
        out = layer(torch.randn(1, 5).repeat(2, 1))
    assert torch.equal(out[0], out[1]) == (estimator == "weight_samples")


def test_local_reparam_gives_pruned_weights_no_gradient_and_needs_closed_kl():
    layer = VILinear(5, 3, estimator="local_reparam")
    mask = torch.rand(3, 5) < 0.5
    layer.weight_mask.copy_(mask)
    layer.draw(DrawState(2))
    (layer(torch.randn(4, 5)).square().sum() + layer.kl("closed")).backward()
    assert torch.all(layer.weight_mean.grad[~mask] == 0)
    assert torch.all(layer.weight_log_std.grad[~mask] == 0)
    assert torch.isfinite(layer.weight_log_std.grad).all()
    with pytest.raises(ValueError, match="bayes.kl"):
        BayesHparams(estimator="local_reparam", kl="mc")
    with pytest.raises(ValueError, match="bayes.estimator"):
        BayesHparams(estimator="reinforce")


@pytest.mark.parametrize("estimator", ["local_reparam", "flipout"])
def test_per_example_estimators_reuse_first_layer_moments_but_draw_fresh_noise_per_sample(
    estimator,
):
    net = build("lenet_300_100", (1, 8, 8), 10, BayesHparams(estimator=estimator), seed=0)
    with torch.no_grad():
        logits = net(torch.randn(4, 1, 8, 8), 3)
    assert logits.shape == (3, 4, 10)
    assert not torch.equal(logits[0], logits[1])  # every sample has its own noise
    first = net.net.hidden[0]
    # the first layer is fed the network's input: its moments serve every pass of the draw
    assert first._shared_moments is not None and net.net.fc._shared_moments is None
