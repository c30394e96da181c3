"""Model names and their options, torch-free: the workflow checks configs with it at DAG time.

A name is a family and its size (``lenet_300_100``, ``resnet20``, ``vgg11``, ``vit_tiny``), or an
external network converted by :mod:`blth.models.convert`: ``torchvision:<name>`` or a factory
``<module>:<function>``. :func:`options` gives a model's options with defaults applied, so an
option written out at its default value describes the same run as one left out.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import re
from pathlib import Path
from typing import Any

VIT_SIZES = {  # dim, heads, dim_head, mlp, default depth
    "tiny": (192, 3, 64, 768, 6),
    "small": (384, 6, 64, 1536, 12),
    "base": (768, 12, 64, 3072, 12),
}
VGG_DEPTHS = (11, 13, 16, 19)

PATTERNS = {  # family -> full-match pattern of its names
    "lenet": r"lenet(?:_(?P<hidden>\d+(?:_\d+)*))?",
    "resnet": r"resnet(?P<depth>\d+)",
    "vgg": rf"vgg(?P<depth>{'|'.join(map(str, VGG_DEPTHS))})",
    "vit": rf"vit_(?P<size>{'|'.join(VIT_SIZES)})",
    # external networks (listed last: "torchvision:x" is also a "<module>:<function>")
    "torchvision": r"torchvision:(?P<function>[A-Za-z_]\w*)",
    "module": r"(?P<module>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*):(?P<function>[A-Za-z_]\w*)",
}
EXTERNAL = ("torchvision", "module")  # families built by blth.models.convert
EXAMPLES = (
    "lenet_300_100",
    "resnet20",
    "resnet110",
    *(f"vgg{d}" for d in VGG_DEPTHS),
    *(f"vit_{s}" for s in VIT_SIZES),
    "torchvision:resnet18",
    "mypkg.nets:build",
)
# Options of an external network that blth sets itself, and why.
SET_BY_BLTH = {
    "num_classes": "blth sets it from the dataset",
    "weights": "blth never loads pretrained weights",
    "pretrained": "blth never loads pretrained weights",
}


def schema_pattern() -> str:
    """The pattern of every model name as the config schema writes it (JSON schema: anchored,
    no named groups); tests/config/test_vocabulary.py holds the schema to it."""
    families = (re.sub(r"\(\?P<\w+>", "(?:", p) for p in PATTERNS.values())
    return f"^({'|'.join(families)})$"


def parse(name: str) -> tuple[str, re.Match]:
    """(family, match of its pattern); a clear error for an unknown name."""
    for family, pattern in PATTERNS.items():
        match = re.fullmatch(pattern, name)
        if match:
            if family == "resnet" and (int(match["depth"]) - 2) % 6:
                raise ValueError(
                    f"model {name!r}: a CIFAR ResNet has depth 6n+2 (20, 32, 56, 110); "
                    "ImageNet ResNets are torchvision:resnet18, ..."
                )
            return family, match
    builtin = ", ".join(e for e in EXAMPLES if ":" not in e)
    raise ValueError(
        f"unknown model {name!r}; known models: {builtin}, torchvision:<name> "
        "(e.g. torchvision:resnet18) or <module>:<function> (a factory of an nn.Module)"
    )


def options(name: str, given: dict | None) -> dict:
    """The options of model ``name`` with defaults filled in; unknown options are an error."""
    family, match = parse(name)
    if family in EXTERNAL:
        return _external_options(name, given or {})
    defaults = {"patch": 4, "depth": VIT_SIZES[match["size"]][4]} if family == "vit" else {}
    unknown = sorted(set(given or {}) - set(defaults))
    if unknown:
        allowed = sorted(defaults) or "none"
        raise ValueError(f"model_options {unknown} do not apply to {name!r} (allowed: {allowed})")
    return {**defaults, **{k: int(v) for k, v in (given or {}).items()}}


def _external_options(name: str, given: dict[str, Any]) -> dict[str, Any]:
    """An external network's options: passed on to its constructor unchanged, except
    ``classifier``, the module name of its final layer (default: its last nn.Linear)."""
    refused = [f"{key} ({SET_BY_BLTH[key]})" for key in sorted(given) if key in SET_BY_BLTH]
    if refused:
        raise ValueError(f"model_options: {name!r} must not set {', '.join(refused)}")
    classifier = given.get("classifier")
    if classifier is not None and not isinstance(classifier, str):
        raise ValueError(f"model_options.classifier: {classifier!r} is not a module name")
    return dict(sorted(given.items()))  # one spelling: specs compare by repr


def check_importable(name: str) -> None:
    """A ``<module>:<function>`` model's top-level package can be found (found, not imported:
    the workflow's process stays torch-free); the job that builds the model checks the rest."""
    family, match = parse(name)
    if family == "torchvision":
        known = torchvision_models()
        if match["function"] not in known:
            near = difflib.get_close_matches(match["function"], sorted(known), n=3, cutoff=0)
            raise ValueError(
                f"model {name!r}: torchvision has no classification model "
                f"{match['function']!r} (nearest: {', '.join(near)}; all: "
                "torchvision.models.list_models())"
            )
        return
    if family != "module":
        return
    package = match["module"].split(".")[0]
    if importlib.util.find_spec(package) is None:
        raise ValueError(
            f"model {name!r}: no module {package!r} can be imported "
            "(install it, or put its folder on PYTHONPATH)"
        )


@functools.cache  # read once per process: the config check asks once per experiment
def torchvision_models() -> frozenset[str]:
    """The names of torchvision's classification models, read from its source (its
    ``@register_model()`` builders in ``torchvision/models/*.py``) without importing torch."""
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        raise ValueError("a torchvision: model needs torchvision, which is not installed")
    folder = Path(spec.submodule_search_locations[0]) / "models"
    builder = re.compile(r"^@register_model\(\)\n(?:@.*\n)*def (\w+)\(", re.M)
    return frozenset(n for f in folder.glob("*.py") for n in builder.findall(f.read_text("utf-8")))
