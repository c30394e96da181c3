"""Transplantation (paper section 8): a deterministic ticket's w₀ becomes a BNN's μ₀."""

from __future__ import annotations

import math

import numpy as np

from blth.bayes.param_names import LOG_STD, split

State = dict[str, np.ndarray]

SIGMA_MODES = ("constant", "fan_in")


def transplant_state(
    det_state: State, bnn_state: State, sigma: str = "constant", sigma_value: float = 0.01
) -> State:
    """Bayesian initial state from a deterministic one of the same architecture.

    μ ← w (masking happens when the ticket's mask is applied); log σ ← log(sigma_value)
    (``constant``, the authors' code) or the BNN's own fan-in-scaled σ₀ (``fan_in``);
    every other tensor (normalisation, running statistics) is copied from ``det_state``.
    """
    if sigma not in SIGMA_MODES:
        raise ValueError(f"transplant sigma must be one of {SIGMA_MODES}, got {sigma!r}")
    out = {}
    for key, value in bnn_state.items():
        source, part = split(key)  # μ (and every non-variational tensor) from its namesake
        if part == LOG_STD:
            out[key] = (
                np.full_like(value, math.log(sigma_value)) if sigma == "constant" else value.copy()
            )
            continue
        if source not in det_state:
            raise KeyError(
                f"transplant: the deterministic state has no tensor {source!r} "
                f"for {key!r}; are both states of the same model?"
            )
        if det_state[source].shape != value.shape:
            raise ValueError(
                f"transplant: {source!r} has shape {tuple(det_state[source].shape)}"
                f", the Bayesian model expects {tuple(value.shape)}"
            )
        out[key] = det_state[source].copy()
    return out
