"""Model registry: ``build(name, ...)`` gives the deterministic or Bayesian version of a model."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from blth.bayes.factory import Layers
from blth.bayes.hparams import BayesHparams
from blth.models import convert, model_names
from blth.models.base import Classifier, init_bayesian, init_deterministic
from blth.models.lenet import LeNet
from blth.models.resnet import ResNet
from blth.models.vgg import VGG
from blth.models.vit import SimpleViT

Shape = tuple[int, int, int]
Built = tuple[nn.Module, str]  # the network and its classifier's module name


def _lenet(match: re.Match, layers: Layers, shape: Shape, classes: int) -> Built:
    hidden = tuple(int(h) for h in (match["hidden"] or "300_100").split("_"))
    return LeNet(layers, shape, classes, hidden), "fc"


def _resnet(match: re.Match, layers: Layers, shape: Shape, classes: int) -> Built:
    return ResNet(layers, int(match["depth"]), classes, in_channels=shape[0]), "fc"


def _vgg(match: re.Match, layers: Layers, shape: Shape, classes: int) -> Built:
    return VGG(layers, int(match["depth"]), classes, in_channels=shape[0]), "fc"


def _vit(
    match: re.Match,
    layers: Layers,
    shape: Shape,
    classes: int,
    patch: int,
    depth: int,
) -> Built:
    dim, heads, dim_head, mlp, _ = model_names.VIT_SIZES[match["size"]]
    return SimpleViT(layers, shape, classes, patch, dim, depth, heads, dim_head, mlp), "fc"


def _external(
    match: re.Match,
    layers: Layers,
    shape: Shape,
    classes: int,
    classifier: str | None = None,
    **options: Any,
) -> Built:
    """A torchvision network or a user's factory, its layers converted (blth.models.convert):
    a torchvision network's first convolution takes ``shape``'s channels; a network that cannot
    take an image of ``shape`` is refused."""
    net = convert.network(match, classes, options)
    if match[0].startswith("torchvision:"):
        convert.take_channels(net, shape[0])
    convert.check_input(net, match[0], shape)
    return net, convert.convert(net, layers, classifier)


BUILDERS: dict[str, Callable[..., Built]] = {
    "lenet": _lenet,
    "resnet": _resnet,
    "vgg": _vgg,
    "vit": _vit,
    "torchvision": _external,
    "module": _external,
}


def build(
    name: str,
    input_shape: Shape,
    classes: int,
    bayes: BayesHparams | None = None,
    seed: int = 0,
    **options,
) -> Classifier:
    """Build model ``name`` with initial weights drawn from ``seed`` (global RNG untouched).

    ``bayes`` = None gives the deterministic network; ``options`` are model-specific
    (ViT: ``patch``, ``depth``; an external network: its constructor's, and ``classifier``).
    """
    family, match = model_names.parse(name)
    builder = BUILDERS[family]
    options = model_names.options(name, options)
    layers = Layers(bayes)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net, classifier = builder(match, layers, tuple(input_shape), classes, **options)
        (init_bayesian if layers.bayesian else init_deterministic)(net)
    return Classifier(net, bayes, classifier=classifier)
