"""A network's weights as a file: a state dict (numpy arrays by parameter name) with the
metadata :meth:`blth.models.base.Classifier.describe` gives, checked on read (the weights the
metadata lists are there, every value finite) and written atomically (blth.io.safefiles)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from blth.bayes.param_names import value_name
from blth.io import safefiles

State = dict[str, np.ndarray]
STATE_METADATA = ("layers", "classifier", "bayesian")  # what Classifier.describe() writes


def load_state(path: str | Path) -> tuple[State, dict[str, Any]]:
    """A state dict and its metadata (``layers``, ``classifier``, ``bayesian``), checked."""
    state, meta = safefiles.read(path, metadata=STATE_METADATA)
    weights = (value_name(f"{layer}.weight", meta["bayesian"]) for layer in meta["layers"])
    missing = [w for w in weights if w not in state]
    if missing:
        raise safefiles.damaged(path, f"lacks the weights {', '.join(missing)} its metadata lists")
    broken = [k for k, v in state.items() if v.dtype.kind == "f" and not np.isfinite(v).all()]
    if broken:
        rerun = safefiles.rerun_remedy(path)
        remedy = "If the training that wrote it diverged (see its log), lower train.lr; if not: "
        remedy += rerun
        raise safefiles.damaged(path, f"holds non-finite values in {', '.join(broken)}", remedy)
    return state, meta


def save_state(state: State, path: str | Path, meta: dict[str, Any]) -> None:
    safefiles.write(path, state, meta)
