"""Global unstructured pruning: one threshold over all prunable tensors together."""

from __future__ import annotations

import math

import numpy as np

from blth.lottery.masks import Masks


def prune(scores: dict[str, np.ndarray], masks: Masks, rate: float) -> Masks:
    """Remove ceil(rate · remaining) of the remaining entries with the lowest scores.

    Pruned entries stay pruned. Ties are broken by position (model order, then row-major), so
    the result is deterministic.
    """
    if not 0.0 < rate < 1.0:
        raise ValueError(f"pruning rate must be in (0, 1), got {rate}")
    names = list(masks)
    flat_mask = np.concatenate([masks[n].ravel() for n in names])
    flat_scores = np.concatenate([np.asarray(scores[n], dtype=np.float64).ravel() for n in names])
    remaining = np.flatnonzero(flat_mask)
    n_drop = math.ceil(rate * remaining.size)
    order = np.argsort(flat_scores[remaining], kind="stable")
    new = flat_mask.copy()
    new[remaining[order[:n_drop]]] = False
    return _split(new, masks)


def _split(flat: np.ndarray, like: Masks) -> Masks:
    out, start = {}, 0
    for name, m in like.items():
        out[name] = flat[start : start + m.size].reshape(m.shape)
        start += m.size
    return out
