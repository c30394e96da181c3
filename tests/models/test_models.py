"""Every model builds in both versions with the expected size; unknown names fail clearly."""

import pytest
import torch

from blth.bayes.hparams import BayesHparams
from blth.models.registry import build

COUNTS = {  # deterministic parameter counts (weights + biases + norms)
    "lenet_300_100": 266_610,
    "resnet20": 272_474,
    "vgg11": 9_231_114,
}


@pytest.mark.parametrize(
    "name,shape",
    [
        ("lenet_300_100", (1, 28, 28)),
        ("resnet20", (3, 32, 32)),
        ("vgg11", (3, 32, 32)),
        ("vit_tiny", (3, 32, 32)),
    ],
)
def test_builds_deterministic_and_bayesian(name, shape):
    det = build(name, shape, 10)
    bnn = build(name, shape, 10, BayesHparams())
    n_det = sum(p.numel() for p in det.parameters())
    n_bnn = sum(p.numel() for p in bnn.parameters())
    if name in COUNTS:
        assert n_det == COUNTS[name]
    norms = sum(
        p.numel()
        for m in det.modules()
        if isinstance(m, torch.nn.BatchNorm2d | torch.nn.LayerNorm)
        for p in m.parameters()
    )
    assert n_bnn == 2 * (n_det - norms) + norms  # mean + log_std per weight, norms unchanged
    x = torch.randn(2, *shape)
    assert det(x).shape == (1, 2, 10)
    assert bnn(x, samples=3).shape == (3, 2, 10)


def test_resnet20_has_027m_weights():
    net = build("resnet20", (3, 32, 32), 10)
    weights = sum(m.weight.numel() for m in net.prunable_layers().values())
    assert 0.26e6 < weights < 0.28e6


def test_same_seed_same_weights_other_seed_other_weights():
    a, b, c = (build("lenet_300_100", (1, 8, 8), 10, seed=s) for s in (0, 0, 1))
    assert torch.equal(a.net.fc.weight, b.net.fc.weight)
    assert not torch.equal(a.net.fc.weight, c.net.fc.weight)


def test_unknown_model_names_the_choices():
    with pytest.raises(ValueError, match="unknown model 'alexnet'.*resnet20"):
        build("alexnet", (3, 32, 32), 10)
    with pytest.raises(ValueError, match="6n\\+2"):
        build("resnet21", (3, 32, 32), 10)
