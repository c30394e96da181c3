"""Randomisation controls of a ticket's mask (paper section 7) and the branch registry."""

from __future__ import annotations

import numpy as np

from blth.lottery.masks import Masks
from blth.lottery.prune import _split

# Branches hanging off a ticket level. "reinit" keeps the mask and draws new initial weights,
# "transplant" turns a deterministic ticket into a Bayesian one; the shuffles change the mask.
BRANCHES = ("reinit", "shuffle_global", "shuffle_even", "shuffle_layerwise", "transplant")


def shuffle_global(masks: Masks, rng: np.random.Generator) -> Masks:
    """Permute the concatenated masks across all layers (a layer may end up empty)."""
    return _split(rng.permutation(np.concatenate([m.ravel() for m in masks.values()])), masks)


def shuffle_layerwise(masks: Masks, rng: np.random.Generator) -> Masks:
    """Each layer keeps its own sparsity; positions within the layer are random."""
    return {n: rng.permutation(m.ravel()).reshape(m.shape) for n, m in masks.items()}


def shuffle_even(masks: Masks, rng: np.random.Generator) -> Masks:
    """Every layer random at the global density (rounded to whole entries)."""
    density = sum(int(m.sum()) for m in masks.values()) / sum(m.size for m in masks.values())
    out = {}
    for name, m in masks.items():
        keep = np.zeros(m.size, dtype=bool)
        keep[rng.permutation(m.size)[: round(density * m.size)]] = True
        out[name] = keep.reshape(m.shape)
    return out


SHUFFLES = {
    "shuffle_global": shuffle_global,
    "shuffle_even": shuffle_even,
    "shuffle_layerwise": shuffle_layerwise,
}


def branch_mask(branch: str, masks: Masks, rng: np.random.Generator) -> Masks:
    """The mask a branch trains with: shuffled for the shuffles, the ticket's own otherwise."""
    if branch not in BRANCHES:
        raise ValueError(f"unknown branch {branch!r}; known branches: {', '.join(BRANCHES)}")
    return SHUFFLES[branch](masks, rng) if branch in SHUFFLES else dict(masks)
