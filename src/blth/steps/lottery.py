"""Mask steps: level masks by pruning, branch masks, transplant initialisation (numpy only)."""

from __future__ import annotations

import logging

import numpy as np

from blth.config.runspec import BranchSpec, MaskSpec, TransplantSpec
from blth.io import states
from blth.lottery import branches, masks, prune, scores, transplant

log = logging.getLogger(__name__)


def ticket_mask(
    spec: MaskSpec,
    init_path: str,
    out: str,
    previous_final: str | None = None,
    previous_mask: str | None = None,
) -> None:
    """Level 0 (no previous run): dense mask. Level k: prune level k-1's final weights under
    its mask."""
    state, meta = states.load_state(init_path)
    names = masks.prunable_names(meta, state, spec.ignore, spec.prune_biases)
    if previous_final is None:
        result = masks.dense_masks(state, names, meta["bayesian"])
    else:
        result = _pruned(spec, names, meta["bayesian"], previous_final, previous_mask)
        emptied = [name for name, m in result.items() if not name.endswith(".bias") and not m.any()]
        if emptied:
            raise ValueError(
                f"{out}: pruning at rate {spec.rate} leaves no weight in {emptied}: a network "
                "with an empty layer predicts a constant. Lower pruning.rate or levels, or leave "
                "the layer out (pruning.ignore)"
            )
    masks.save_masks(result, out)
    total, kept = masks.counts(result)
    log.info(
        "mask %s: %d of %d prunable weights remain (%.2f %%)", out, kept, total, 100 * kept / total
    )


def _pruned(
    spec: MaskSpec, names: list[str], bayesian: bool, final_path: str, mask_path: str | None
) -> masks.Masks:
    """The mask at ``mask_path`` pruned by the scores of the final weights at ``final_path``."""
    if mask_path is None or spec.criterion is None or spec.rate is None:
        raise ValueError(
            f"pruning {final_path} needs its mask and a spec with a criterion and a rate"
        )
    before = masks.load_masks(mask_path)
    if sorted(before) != sorted(names):
        raise ValueError(
            f"{mask_path}: masks {sorted(before)} do not match the "
            f"prunable tensors {sorted(names)} of the configuration"
        )
    final, _ = states.load_state(final_path)
    rng = np.random.default_rng(spec.seed)
    s = scores.scores(spec.criterion, final, names, bayesian, rng)
    return prune.prune(s, before, spec.rate)


def branch_mask(spec: BranchSpec, ticket_path: str, out: str) -> None:
    """The mask of a branch run (shuffled, or the ticket's own)."""
    ticket = masks.load_masks(ticket_path)
    rng = np.random.default_rng(spec.seed)
    masks.save_masks(branches.branch_mask(spec.branch, ticket, rng), out)


def transplant_init(spec: TransplantSpec, det_init: str, bnn_init: str, out: str) -> None:
    """Bayesian starting state whose μ is the deterministic network's w₀."""
    det_state, _ = states.load_state(det_init)
    bnn_state, meta = states.load_state(bnn_init)
    sigma = {} if spec.sigma_value is None else {"sigma_value": spec.sigma_value}  # None: fan_in
    state = transplant.transplant_state(det_state, bnn_state, spec.sigma, **sigma)
    states.save_state(state, out, meta)
