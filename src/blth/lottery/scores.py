"""Pruning scores (higher = keep), read from a state dict so trained weights on disk suffice."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from blth.bayes.param_names import log_std_name, mean_name
from blth.io.states import State

Array = np.ndarray
# Deterministic scores take w; Bayesian ones take (μ, log σ); "random" works for both.
DETERMINISTIC: dict[str, Callable[[Array], Array]] = {
    "magnitude": lambda w: np.abs(w),  # |w| (open_lth sparse_global)
}
BAYESIAN: dict[str, Callable[[Array, Array], Array]] = {
    "snr": lambda mu, log_std: np.abs(mu) / np.exp(log_std),  # |μ|/σ: the paper's BNN "IMP"
    "mean": lambda mu, log_std: np.abs(mu),  # |μ|
    "sqsum": lambda mu, log_std: np.sqrt(mu**2 + np.exp(2 * log_std)),  # sqrt(μ² + σ²)
    "snr_code": lambda mu, log_std: np.abs(mu) / np.exp(2 * log_std),  # |μ|/σ², authors' code
    "sqsum_code": lambda mu, log_std: mu**2 + log_std**2,  # μ² + (log σ)², authors' code
}
CRITERIA = (*DETERMINISTIC, *BAYESIAN, "random")


def check(criterion: str, bayesian: bool) -> None:
    """Raise a clear error when ``criterion`` does not apply to this kind of model."""
    valid = (*(BAYESIAN if bayesian else DETERMINISTIC), "random")
    if criterion not in valid:
        kind = "Bayesian" if bayesian else "deterministic"
        raise ValueError(
            f"criterion {criterion!r} is not defined for {kind} models; choose one of {valid}"
        )


def scores(
    criterion: str,
    state: State,
    names: Sequence[str],
    bayesian: bool,
    rng: np.random.Generator | None = None,
) -> dict[str, Array]:
    """Score every entry of the tensors ``names`` (logical names such as ``fc1.weight``)."""
    check(criterion, bayesian)
    out = {}
    for name in names:
        if bayesian:
            mu = state[mean_name(name)].astype(np.float64)
            log_std = state[log_std_name(name)].astype(np.float64)
        else:
            mu = state[name].astype(np.float64)
        if criterion == "random":
            out[name] = (rng or np.random.default_rng()).random(mu.shape)
        elif bayesian:
            out[name] = BAYESIAN[criterion](mu, log_std)
        else:
            out[name] = DETERMINISTIC[criterion](mu)
    return out
