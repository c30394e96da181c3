"""Pruning masks: one boolean array per prunable weight, keyed like ``layer1.0.conv1.weight``.

The key is the logical tensor name for deterministic and Bayesian models alike; in a Bayesian
state dict the same weight is stored as ``<module>.weight_mean`` / ``<module>.weight_log_std``.
Everything here is numpy, so the pruning jobs of the workflow start without importing torch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

Masks = dict[str, np.ndarray]
State = dict[str, np.ndarray]


def load_state(path: str | Path) -> tuple[State, dict]:
    """A safetensors state dict and its metadata (``layers``, ``classifier``, ``bayesian``)."""
    from safetensors import safe_open

    with safe_open(str(path), "np") as f:
        meta = f.metadata() or {}
    return load_file(str(path)), {k: json.loads(v) for k, v in meta.items()}


def save_state(state: State, path: str | Path, meta: dict | None = None) -> None:
    meta = {k: json.dumps(v) for k, v in (meta or {}).items()}
    save_file({k: np.ascontiguousarray(v) for k, v in state.items()}, str(path), metadata=meta)


def prunable_names(
    meta: dict, state: State, ignore: Sequence[str] | None = None, prune_biases: bool = False
) -> list[str]:
    """Logical names of the prunable tensors, in model order.

    ``meta["layers"]`` lists the model's conv/linear modules in order (written by the
    ``init_weights`` rule); ``ignore`` names modules left dense, None = the final classifier.
    """
    layers = meta["layers"]
    ignore = [meta["classifier"]] if ignore is None else list(ignore)
    unknown = sorted(set(ignore) - set(layers))
    if unknown:
        raise ValueError(
            f"pruning.ignore names no prunable layer: {unknown}; prunable layers are {layers}"
        )
    suffix = "_mean" if meta["bayesian"] else ""
    kinds = ("weight", "bias") if prune_biases else ("weight",)
    return [
        f"{layer}.{kind}"
        for layer in layers
        if layer not in ignore
        for kind in kinds
        if f"{layer}.{kind}{suffix}" in state
    ]


def dense_masks(state: State, names: Sequence[str], bayesian: bool) -> Masks:
    """All-True masks for ``names`` (level 0)."""
    suffix = "_mean" if bayesian else ""
    return {n: np.ones(state[f"{n}{suffix}"].shape, dtype=bool) for n in names}


def save_masks(masks: Masks, path: str | Path) -> None:
    save_file({k: np.ascontiguousarray(v, dtype=bool) for k, v in masks.items()}, str(path))


def load_masks(path: str | Path) -> Masks:
    return load_file(str(path))


def counts(masks: Masks) -> tuple[int, int]:
    """(prunable entries, remaining entries)."""
    return (sum(m.size for m in masks.values()), sum(int(m.sum()) for m in masks.values()))


def sparsity_rows(masks: Masks) -> list[dict]:
    """Per-layer table: name, index (model order), n_weights, n_remaining."""
    return [
        {"name": name, "index": i, "n_weights": int(m.size), "n_remaining": int(m.sum())}
        for i, (name, m) in enumerate(masks.items())
    ]
