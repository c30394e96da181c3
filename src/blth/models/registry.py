"""Model registry: ``build(name, ...)`` gives the deterministic or Bayesian version of a model."""

from __future__ import annotations

import re
from collections.abc import Callable

import torch
from torch import nn

from blth import model_names
from blth.bayes import Layers
from blth.hparams import BayesHparams
from blth.models.base import Classifier, init_bayesian, init_deterministic
from blth.models.lenet import LeNet
from blth.models.resnet import ResNet
from blth.models.vgg import VGG
from blth.models.vit import SimpleViT

Shape = tuple[int, int, int]


def _lenet(match: re.Match, layers: Layers, shape: Shape, classes: int) -> nn.Module:
    hidden = tuple(int(h) for h in (match["hidden"] or "300_100").split("_"))
    return LeNet(layers, shape, classes, hidden)


def _resnet(match: re.Match, layers: Layers, shape: Shape, classes: int) -> nn.Module:
    return ResNet(layers, int(match["depth"]), classes, in_channels=shape[0])


def _vgg(match: re.Match, layers: Layers, shape: Shape, classes: int) -> nn.Module:
    return VGG(layers, int(match["depth"]), classes, in_channels=shape[0])


def _vit(
    match: re.Match,
    layers: Layers,
    shape: Shape,
    classes: int,
    patch: int,
    depth: int,
) -> nn.Module:
    dim, heads, dim_head, mlp, _ = model_names.VIT_SIZES[match["size"]]
    return SimpleViT(layers, shape, classes, patch, dim, depth, heads, dim_head, mlp)


BUILDERS: dict[str, Callable[..., nn.Module]] = {
    "lenet": _lenet,
    "resnet": _resnet,
    "vgg": _vgg,
    "vit": _vit,
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
    (ViT: ``patch``, ``depth``).
    """
    family, match = model_names.parse(name)
    builder = BUILDERS[family]
    options = model_names.options(name, options)
    layers = Layers(bayes)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = builder(match, layers, tuple(input_shape), classes, **options)
        (init_bayesian if layers.bayesian else init_deterministic)(net)
    return Classifier(net, bayes, classifier="fc")
