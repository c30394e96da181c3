"""Randomisation controls of a ticket's mask (paper section 7) and the registry of where runs hang:
the chains (IMP, LRR) and the branches off a ticket level."""

from __future__ import annotations

import numpy as np

from blth.lottery.masks import Masks
from blth.lottery.prune import _split

# Chains of levels: IMP restarts each level from the rewind point, LRR (learning-rate rewinding)
# from the previous level's final weights with the schedule restarted.
IMP, LRR = "imp", "lrr"
CHAINS = (IMP, LRR)
MAIN = "main"  # a level's own run in its chain: the branch column of a run that is no branch
REINIT = "reinit"  # keeps the ticket's mask, draws new initial weights
TRANSPLANT = "transplant"  # a deterministic ticket trained as a Bayesian network (section 8)


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
# The randomisation controls (paper section 7), each with its seed (config branches.seeds).
RANDOM_BRANCHES = (REINIT, *SHUFFLES)
# Branches hanging off a ticket level.
BRANCHES = (*RANDOM_BRANCHES, TRANSPLANT)


def branch_mask(branch: str, masks: Masks, rng: np.random.Generator) -> Masks:
    """The mask a branch trains with: shuffled for the shuffles, the ticket's own otherwise."""
    if branch not in BRANCHES:
        raise ValueError(f"unknown branch {branch!r}; known branches: {', '.join(BRANCHES)}")
    return SHUFFLES[branch](masks, rng) if branch in SHUFFLES else dict(masks)
