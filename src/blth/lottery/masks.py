"""Pruning masks: one boolean array per prunable weight, keyed like ``layer1.0.conv1.weight``.

The key is the logical tensor name for deterministic and Bayesian models alike; where a state
dict stores that tensor is :mod:`blth.bayes.param_names`.
Everything here is numpy, so the pruning jobs of the workflow start without importing torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from blth.bayes.param_names import KINDS, value_name
from blth.io import safefiles
from blth.io.states import State

Masks = dict[str, np.ndarray]


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
    kinds = KINDS if prune_biases else KINDS[:1]
    names = (f"{layer}.{kind}" for layer in layers if layer not in ignore for kind in kinds)
    return [name for name in names if value_name(name, meta["bayesian"]) in state]


def dense_masks(state: State, names: Sequence[str], bayesian: bool) -> Masks:
    """All-True masks for ``names`` (level 0)."""
    return {n: np.ones(state[value_name(n, bayesian)].shape, dtype=bool) for n in names}


def save_masks(masks: Masks, path: str | Path) -> None:
    """Boolean masks; their order (model order) is kept in the metadata."""
    safefiles.write(
        path, {k: np.asarray(v, dtype=bool) for k, v in masks.items()}, {"order": list(masks)}
    )


def load_masks(path: str | Path) -> Masks:
    """Masks in model order, as :func:`save_masks` wrote them."""
    found, meta = safefiles.read(path, metadata=("order",))
    if sorted(found) != sorted(meta["order"]) or not found:
        raise safefiles.damaged(
            path, f"holds masks {sorted(found)}, its metadata lists {meta['order']}"
        )
    not_bool = [k for k, v in found.items() if v.dtype != bool]
    if not_bool:
        raise safefiles.damaged(path, f"has non-boolean masks {', '.join(not_bool)}")
    return {k: found[k] for k in meta["order"]}


def check_nested(paths: Sequence[str | Path]) -> None:
    """Raise :class:`safefiles.DamagedFile` for the first mask of a chain (``paths`` by level)
    that keeps a weight the one before it pruned: IMP only ever removes weights, so such a mask
    was altered after it was written."""
    previous = None
    for path in paths:
        current = load_masks(path)
        if previous is not None:
            revived = sum(int((m & ~previous[1][n]).sum()) for n, m in current.items())
            if revived:
                raise safefiles.damaged(
                    path, f"keeps {revived} weights that the level before ({previous[0]}) pruned"
                )
        previous = (path, current)


def counts(masks: Masks) -> tuple[int, int]:
    """(prunable entries, remaining entries)."""
    return (sum(m.size for m in masks.values()), sum(int(m.sum()) for m in masks.values()))


def sparsity_rows(masks: Masks) -> list[dict]:
    """Per-layer table: name, index (model order), n_weights, n_remaining."""
    return [
        {"name": name, "index": i, "n_weights": int(m.size), "n_remaining": int(m.sum())}
        for i, (name, m) in enumerate(masks.items())
    ]
