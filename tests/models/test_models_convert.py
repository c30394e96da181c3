"""Any network as a blth model: torchvision's ResNet-18 and a user's factory, converted into the
masked deterministic and the Bayesian network; layers that cannot be converted fail clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from blth.bayes.batchnorm import SampleBatchNorm2d
from blth.bayes.factory import Layers
from blth.bayes.hparams import BayesHparams
from blth.bayes.layer import VILayer
from blth.bayes.masked import MaskedConv2d, MaskedLinear
from blth.lottery import masks, prune, scores, transplant
from blth.models import model_names
from blth.models.convert import convert
from blth.models.registry import build

SHAPE = (3, 32, 32)
RESNET = "torchvision:resnet18"


def images(batch: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, *SHAPE, generator=generator)
    return x, torch.randint(0, 10, (batch,), generator=generator)


@pytest.fixture(scope="module")
def resnets():
    """The deterministic and the Bayesian ResNet-18 (seed 0); tests must not change them."""
    return build(RESNET, SHAPE, 10), build(RESNET, SHAPE, 10, BayesHparams())


def test_every_layer_is_converted_and_the_classifier_found(resnets):
    det, bnn = resnets
    assert det.classifier == bnn.classifier == "fc"
    assert list(det.prunable_layers()) == list(bnn.prunable_layers())
    assert len(det.prunable_layers()) == 21  # 17 convs, 3 projections, fc
    for net, weighted in ((det, (MaskedLinear, MaskedConv2d)), (bnn, (VILayer,))):
        for module in net.net.modules():
            if any(True for _ in module.parameters(recurse=False)):
                assert isinstance(module, (*weighted, SampleBatchNorm2d)), type(module)
    n_det = sum(p.numel() for p in det.parameters())
    norms = sum(
        p.numel() for m in det.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters()
    )
    assert n_det == 11_181_642  # torchvision's resnet18(num_classes=10)
    assert sum(p.numel() for p in bnn.parameters()) == 2 * (n_det - norms) + norms


@pytest.mark.parametrize("strategy", ["per_sample", "stacked"])
def test_bayesian_resnet18_forward_under_both_strategies(strategy):
    bnn = build(RESNET, SHAPE, 10, BayesHparams(sample_strategy=strategy))
    x, _ = images(2)
    logits = bnn(x, samples=3)
    assert logits.shape == (3, 2, 10) and torch.isfinite(logits).all()
    assert not torch.equal(logits[0], logits[1])  # each sample its own weights


def test_deterministic_forward(resnets):
    x, _ = images(2)
    assert resnets[0](x).shape == (1, 2, 10)


@pytest.mark.parametrize("bayes", [None, BayesHparams()], ids=["det", "bnn"])
def test_one_adam_step_reaches_every_parameter(bayes):
    net = build(RESNET, SHAPE, 10, bayes)
    x, y = images(2)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)

    def loss() -> torch.Tensor:
        logits = net(x, samples=2)
        nll = nn.functional.cross_entropy(logits.flatten(0, 1), y.repeat(logits.shape[0]))
        return nll + net.kl() / 1000

    before = loss()
    before.backward()
    for name, parameter in net.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
    optimiser.step()
    if bayes is None:  # a Bayesian loss is noisy from one draw to the next
        assert loss() < before


def test_a_magnitude_level_prunes_all_but_the_classifier():
    det = build(RESNET, SHAPE, 10)
    state, meta = det.numpy_state(), det.describe()
    names = masks.prunable_names(meta, state)
    assert "fc.weight" not in names and len(names) == 20
    level1 = prune.prune(
        scores.scores("magnitude", state, names, False), masks.dense_masks(state, names, False), 0.2
    )
    det.apply_masks(level1)
    for name, mask in level1.items():
        weight = det.state_dict()[name].numpy()
        assert (weight[~mask] == 0).all() and (weight[mask] != 0).all()
    assert (det.state_dict()["fc.weight"] != 0).all()
    total, remaining = masks.counts(level1)
    assert remaining == total - int(np.ceil(0.2 * total))


def test_the_same_seed_gives_the_same_network():
    for bayes in (None, BayesHparams()):
        a, b, c = (build(RESNET, SHAPE, 10, bayes, seed=s).state_dict() for s in (0, 0, 1))
        assert all(torch.equal(a[k], b[k]) for k in a)
        key = "conv1.weight_mean" if bayes else "conv1.weight"
        assert not torch.equal(a[key], c[key])


def test_a_deterministic_ticket_transplants_into_the_bnn(resnets):
    det, bnn = resnets
    moved = transplant.transplant_state(det.numpy_state(), bnn.numpy_state())
    target = build(RESNET, SHAPE, 10, BayesHparams())
    target.load_numpy_state(moved)
    assert torch.equal(
        target.state_dict()["layer1.0.conv1.weight_mean"], det.net.layer1[0].conv1.weight
    )
    assert torch.equal(target.state_dict()["bn1.weight"], det.state_dict()["bn1.weight"])


def test_a_users_factory_builds_both_networks():
    det = build("user_nets:small_cnn", SHAPE, 10, width=4)
    bnn = build("user_nets:small_cnn", SHAPE, 10, BayesHparams(), width=4, classifier="7")
    assert det.classifier == "9" and bnn.classifier == "7"  # the last Linear, or the one named
    assert list(det.prunable_layers()) == ["0", "7", "9"]
    assert det.net[1].eps == bnn.net[1].eps == 1e-3
    x, _ = images(2)
    assert det(x).shape == (1, 2, 10) and bnn(x, samples=2).shape == (2, 2, 10)


def with_layer(layer: nn.Module) -> nn.Module:
    return nn.Sequential(nn.Sequential(nn.Identity(), layer), nn.Flatten(), nn.Linear(4, 10))


@pytest.mark.parametrize(
    "layer,reason",
    [
        (nn.Conv2d(4, 4, 3, groups=2), "(Conv2d): groups=2"),
        (nn.Conv2d(4, 4, 3, dilation=2), "(Conv2d): dilation=(2, 2)"),
        (nn.Conv2d(4, 4, (3, 1)), "(Conv2d): non-square kernel_size=(3, 1)"),
        (nn.Conv2d(4, 4, 3, stride=(1, 2)), "(Conv2d): non-square stride=(1, 2)"),
        (nn.Conv2d(4, 4, 3, padding="same"), "(Conv2d): padding='same'"),
        (nn.Conv2d(4, 4, 3, padding=1, padding_mode="reflect"), "(Conv2d): padding_mode='reflect'"),
        (nn.BatchNorm2d(4, affine=False), "(BatchNorm2d): affine=False"),
        (nn.LayerNorm(4), "(LayerNorm): its parameters cannot be made variational"),
        (nn.Embedding(4, 4), "(Embedding): its parameters cannot be made variational"),
    ],
)
def test_a_layer_that_cannot_be_converted_is_refused(layer, reason):
    with pytest.raises(ValueError) as error:
        convert(with_layer(layer), Layers(BayesHparams()))
    message = str(error.value)
    assert message.startswith(f"model layer '0.1' {reason}")
    assert "blth converts nn.Linear, nn.Conv2d (groups=1" in message


def test_a_network_without_a_classifier_to_find_is_refused():
    with pytest.raises(ValueError, match="classifier: the network has no nn.Linear; name its"):
        convert(nn.Sequential(nn.Conv2d(3, 4, 3)), Layers())
    with pytest.raises(ValueError, match=r"'<root>' \(Linear\): the network is one layer"):
        convert(nn.Linear(3, 4), Layers())


def test_names_and_options_that_build_nothing_are_refused():
    refusals = {
        "torchvision:resnet19": "model 'torchvision:resnet19': torchvision has no classification "
        "model; did you mean resnet18",
        "no_such_module_xyz:build": "model 'no_such_module_xyz:build': cannot import module "
        "'no_such_module_xyz'",
        "user_nets:missing": "model 'user_nets:missing': module 'user_nets' has no function "
        "'missing'",
        "user_nets:not_a_network": "model 'user_nets:not_a_network': not_a_network() returned "
        "int, no nn.Module",
        "a:b:c": "unknown model 'a:b:c'; known models: lenet_300_100",
    }
    for name, message in refusals.items():
        with pytest.raises(ValueError) as error:
            build(name, SHAPE, 10)
        assert str(error.value).startswith(message), str(error.value)
    with pytest.raises(ValueError, match="'torchvision:resnet18' must not set weights"):
        build(RESNET, SHAPE, 10, weights="DEFAULT")
    with pytest.raises(ValueError, match=r"must not set num_classes \(blth sets it"):
        model_names.options("user_nets:small_cnn", {"num_classes": 3})
    with pytest.raises(ValueError, match="classifier: 'head' is no nn.Linear or nn.Conv2d"):
        build("user_nets:small_cnn", SHAPE, 10, classifier="head")


@pytest.mark.parametrize("bayes", [None, BayesHparams()])
def test_a_torchvision_network_takes_a_grayscale_dataset(bayes):
    """Its first convolution is remade for the dataset's one channel (torchvision's take RGB)."""
    net = build(RESNET, (1, 28, 28), 10, bayes)
    first = next(m for m in net.net.modules() if isinstance(m, (MaskedConv2d, VILayer)))
    assert first.in_channels == 1
    x = torch.randn(2, 1, 28, 28)
    out = net(x) if bayes is None else net(x, samples=2)
    assert out.shape[-2:] == (2, 10) and torch.isfinite(out).all()


def test_a_network_that_cannot_take_the_images_is_refused_at_build():
    with pytest.raises(ValueError) as error:
        build("user_nets:small_cnn", (1, 8, 8), 10)
    message = str(error.value)
    assert message.startswith(
        "model 'user_nets:small_cnn' cannot take the dataset's images of shape (1, 8, 8): "
    ), message
    assert "channels" in message  # torch's reason, first line only
    assert "\n" not in message
