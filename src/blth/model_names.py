"""Model names and their options, torch-free: the workflow checks configs with it at DAG time.

A name is a family and its size (``lenet_300_100``, ``resnet20``, ``vgg11``, ``vit_tiny``);
:func:`options` gives a model's options with defaults applied, so an option written out at its
default value describes the same run as one left out.
"""

from __future__ import annotations

import re

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
}
EXAMPLES = (
    "lenet_300_100",
    "resnet20",
    "resnet110",
    *(f"vgg{d}" for d in VGG_DEPTHS),
    *(f"vit_{s}" for s in VIT_SIZES),
)


def schema_pattern() -> str:
    """The pattern of every model name as the config schema writes it (JSON schema: anchored,
    no named groups); tests/test_vocabulary.py holds the schema to it."""
    families = (re.sub(r"\(\?P<\w+>", "(?:", p) for p in PATTERNS.values())
    return f"^({'|'.join(families)})$"


def parse(name: str) -> tuple[str, re.Match]:
    """(family, match of its pattern); a clear error for an unknown name."""
    for family, pattern in PATTERNS.items():
        match = re.fullmatch(pattern, name)
        if match:
            if family == "resnet" and (int(match["depth"]) - 2) % 6:
                raise ValueError(f"model {name!r}: a CIFAR ResNet has depth 6n+2 (20, 32, 56, 110)")
            return family, match
    raise ValueError(f"unknown model {name!r}; known models: {', '.join(EXAMPLES)}")


def options(name: str, given: dict | None) -> dict:
    """The options of model ``name`` with defaults filled in; unknown options are an error."""
    family, match = parse(name)
    defaults = {"patch": 4, "depth": VIT_SIZES[match["size"]][4]} if family == "vit" else {}
    unknown = sorted(set(given or {}) - set(defaults))
    if unknown:
        allowed = sorted(defaults) or "none"
        raise ValueError(f"model_options {unknown} do not apply to {name!r} (allowed: {allowed})")
    return {**defaults, **{k: int(v) for k, v in (given or {}).items()}}
