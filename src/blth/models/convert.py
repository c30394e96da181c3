"""Any torch network as a blth model: ``torchvision:<name>`` or a factory ``<module>:<function>``.

The network's nn.Linear, nn.Conv2d and nn.BatchNorm2d layers are rebuilt through the layer
factory (:class:`blth.bayes.factory.Layers`), so one definition gives the masked deterministic and
the
Bayesian network; normalisation stays deterministic. A layer the factory cannot rebuild, or any
other module with parameters, is refused: in a BNN it would silently stay deterministic.
Parameter-free modules (activations, pooling, dropout, flatten, ...) are kept as they are.
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from blth.bayes.factory import Layers

SUPPORTED = (
    "blth converts nn.Linear, nn.Conv2d (groups=1, dilation=1, square kernel, stride and "
    "padding, padding_mode='zeros'), affine nn.BatchNorm2d with running statistics, and "
    "modules without parameters"
)
CONVERTED = (nn.Linear, nn.Conv2d, nn.BatchNorm2d)


def network(match: re.Match[str], classes: int, options: Mapping[str, Any]) -> nn.Module:
    """The plain torch network of a ``torchvision:<name>`` or ``<module>:<function>`` name (its
    match in :data:`blth.models.model_names.PATTERNS`) with ``classes`` outputs; ``options``
    (without
    ``classifier``) go to its constructor."""
    name, function = match[0], match["function"]
    if name.startswith("torchvision:"):
        return _torchvision(name, function, classes, options)
    try:
        module = importlib.import_module(match["module"])
    except ImportError as err:
        raise ValueError(
            f"model {name!r}: cannot import module {match['module']!r}: {err}"
        ) from err
    factory = getattr(module, function, None)
    if not callable(factory):
        raise ValueError(f"model {name!r}: module {match['module']!r} has no function {function!r}")
    net = factory(num_classes=classes, **options)
    if not isinstance(net, nn.Module):
        raise ValueError(
            f"model {name!r}: {function}() returned {type(net).__name__}, no nn.Module"
        )
    return net


def _torchvision(name: str, function: str, classes: int, options: Mapping[str, Any]) -> nn.Module:
    """torchvision's classification model ``function``, never with pretrained weights."""
    from torchvision import models  # seconds to import: only for torchvision models

    known = models.list_models(module=models)  # classification models only
    if function not in known:
        close = difflib.get_close_matches(function, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"model {name!r}: torchvision has no classification model{hint}")
    net: nn.Module = models.get_model(function, weights=None, num_classes=classes, **options)
    return net


def take_channels(net: nn.Module, channels: int) -> None:
    """Remake the first convolution of a torchvision network (built for RGB) for ``channels``
    input channels, as for a grayscale dataset; its weights are drawn afresh anyway."""
    first = next(((p, m) for p, m in net.named_modules() if isinstance(m, nn.Conv2d)), None)
    if first is None or first[1].in_channels == channels:
        return
    path, old = first
    keys = ("kernel_size", "stride", "padding", "dilation", "groups", "padding_mode")
    settings: dict[str, Any] = {key: getattr(old, key) for key in keys}
    new = nn.Conv2d(channels, old.out_channels, bias=old.bias is not None, **settings)
    parent, _, leaf = path.rpartition(".")
    setattr(net.get_submodule(parent), leaf, new)


def check_input(net: nn.Module, name: str, shape: tuple[int, ...]) -> None:
    """Refuse a network that cannot take one image of ``shape`` [C, H, W]: at build time, with
    its name, rather than at a training job's first batch."""
    training = net.training
    try:
        with torch.no_grad():
            net.eval()(torch.zeros(1, *shape))  # eval: no batch statistics, no random draws
    except (RuntimeError, ValueError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(
            f"model {name!r} cannot take the dataset's images of shape {tuple(shape)}: {reason}"
        ) from err
    finally:
        net.train(training)


def convert(net: nn.Module, layers: Layers, classifier: str | None = None) -> str:
    """Rebuild ``net``'s layers in place through ``layers``; returns the classifier's module
    name: ``classifier`` if given, else the last nn.Linear in module order."""
    targets = _targets(net)
    classifier = _classifier(targets, classifier)
    rebuilt: dict[int, nn.Module] = {}  # by id of the original: a shared layer stays shared
    for path, old in targets.items():
        if id(old) not in rebuilt:
            rebuilt[id(old)] = _rebuild(old, layers, path == classifier)
        parent, _, leaf = path.rpartition(".")
        setattr(net.get_submodule(parent), leaf, rebuilt[id(old)])
    return classifier


def _targets(net: nn.Module) -> dict[str, nn.Module]:
    """The layers to rebuild by module path, in module order; every other module with
    parameters, or a layer the factory cannot rebuild, is an error."""
    targets = {}
    for path, module in net.named_modules(remove_duplicate=False):
        if type(module) in CONVERTED:  # a subclass may compute something else
            reason = "the network is one layer: wrap it" if not path else _unsupported(module)
        elif any(True for _ in module.parameters(recurse=False)):
            reason = "its parameters cannot be made variational"
        else:  # parameter-free: kept as it is
            continue
        if reason is None:
            targets[path] = module
            continue
        raise ValueError(
            f"model layer {path or '<root>'!r} ({type(module).__name__}): {reason}; {SUPPORTED}"
        )
    return targets


def _unsupported(module: nn.Module) -> str | None:
    """Why the factory cannot rebuild this nn.Linear/Conv2d/BatchNorm2d; None if it can."""
    if isinstance(module, nn.Conv2d):
        if isinstance(module.padding, str):
            return f"padding={module.padding!r}"
        settings = {
            "groups": (module.groups, 1),
            "dilation": (module.dilation, (1, 1)),
            "padding_mode": (module.padding_mode, "zeros"),
        }
        for key, (value, expected) in settings.items():
            if value != expected:
                return f"{key}={value!r}"
        for key in ("kernel_size", "stride", "padding"):
            value = getattr(module, key)
            if value[0] != value[1]:
                return f"non-square {key}={value!r}"
    if isinstance(module, nn.BatchNorm2d):
        if not module.affine:
            return "affine=False"
        if not module.track_running_stats:  # blth chooses (bayes.batchnorm_stats)
            return "track_running_stats=False"
    return None


def _classifier(targets: Mapping[str, nn.Module], given: str | None) -> str:
    """The module path of the final layer: ``given`` (a Linear or Conv2d), else the last
    nn.Linear."""
    if given is None:
        linears = [path for path, m in targets.items() if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError(
                "model_options.classifier: the network has no nn.Linear; name its final layer"
            )
        return linears[-1]
    weighted = [path for path, m in targets.items() if not isinstance(m, nn.BatchNorm2d)]
    if given not in weighted:
        raise ValueError(
            f"model_options.classifier: {given!r} is no nn.Linear or nn.Conv2d of the network; "
            f"its last ones are {weighted[-3:]}"
        )
    return given


def _rebuild(old: nn.Module, layers: Layers, classifier: bool) -> nn.Module:
    """The factory's layer of ``old``'s shape (its own initial weights: see registry.build)."""
    if isinstance(old, nn.Linear):
        return layers.linear(
            old.in_features, old.out_features, old.bias is not None, classifier=classifier
        )
    if isinstance(old, nn.Conv2d):
        return layers.conv2d(
            old.in_channels,
            old.out_channels,
            old.kernel_size[0],
            old.stride[0],
            int(old.padding[0]),
            old.bias is not None,
        )
    assert isinstance(old, nn.BatchNorm2d)
    return layers.batchnorm2d(old.num_features, old.eps, old.momentum)
