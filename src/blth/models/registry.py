"""Model registry: ``build(name, ...)`` gives the deterministic or Bayesian version of a model."""

from __future__ import annotations

import re
from collections.abc import Callable

import torch
from torch import nn

from blth.bayes import BayesHparams, Layers
from blth.models.base import Classifier, init_bayesian, init_deterministic
from blth.models.lenet import LeNet
from blth.models.resnet import ResNet
from blth.models.vgg import PLANS, VGG
from blth.models.vit import SimpleViT

Shape = tuple[int, int, int]

VIT_SIZES = {  # dim, heads, dim_head, mlp, default depth
    "tiny": (192, 3, 64, 768, 6),
    "small": (384, 6, 64, 1536, 12),
    "base": (768, 12, 64, 3072, 12),
}


def _lenet(match: re.Match, layers: Layers, shape: Shape, classes: int, **_) -> nn.Module:
    hidden = tuple(int(h) for h in (match["hidden"] or "300_100").split("_"))
    return LeNet(layers, shape, classes, hidden)


def _resnet(match: re.Match, layers: Layers, shape: Shape, classes: int, **_) -> nn.Module:
    return ResNet(layers, int(match["depth"]), classes, in_channels=shape[0])


def _vgg(match: re.Match, layers: Layers, shape: Shape, classes: int, **_) -> nn.Module:
    return VGG(layers, int(match["depth"]), classes, in_channels=shape[0])


def _vit(
    match: re.Match,
    layers: Layers,
    shape: Shape,
    classes: int,
    patch: int = 4,
    depth: int | None = None,
    **_,
) -> nn.Module:
    dim, heads, dim_head, mlp, default_depth = VIT_SIZES[match["size"]]
    return SimpleViT(
        layers, shape, classes, patch, dim, depth or default_depth, heads, dim_head, mlp
    )


BUILDERS: dict[str, tuple[str, Callable[..., nn.Module]]] = {
    "lenet": (r"lenet(?:_(?P<hidden>\d+(?:_\d+)*))?", _lenet),
    "resnet": (r"resnet(?P<depth>\d+)", _resnet),
    "vgg": (r"vgg(?P<depth>\d+)", _vgg),
    "vit": (rf"vit_(?P<size>{'|'.join(VIT_SIZES)})", _vit),
}
EXAMPLES = (
    "lenet_300_100",
    "resnet20",
    "resnet110",
    *(f"vgg{d}" for d in PLANS),
    *(f"vit_{s}" for s in VIT_SIZES),
)


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
    for pattern, builder in BUILDERS.values():
        match = re.fullmatch(pattern, name)
        if match:
            break
    else:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(EXAMPLES)}")
    layers = Layers(bayes)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = builder(match, layers, tuple(input_shape), classes, **options)
        (init_bayesian if layers.bayesian else init_deterministic)(net)
    return Classifier(net, bayes, classifier="fc")
