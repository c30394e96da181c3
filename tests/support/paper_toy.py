"""The paper's study at toy scale: config/config.yaml layered with
tests/data/overlays/paper_toy.yaml, as test_paper_dag runs it and test_config_errors checks it."""

from __future__ import annotations

PAPER, TOY = "config/config.yaml", "tests/data/overlays/paper_toy.yaml"


def merged(base: dict, over: dict) -> dict:
    """``over`` merged into ``base`` key by key, as Snakemake layers config files."""
    out = dict(base)
    for key, value in over.items():
        both = isinstance(value, dict) and isinstance(base.get(key), dict)
        out[key] = merged(base[key], value) if both else value
    return out
