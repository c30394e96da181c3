"""The scratch checkpoint of a training: written after every epoch, read when the job restarts.

One file per run (``torch.save`` of :class:`State`), replaced whole each time. A file of
another run configuration is left alone; a damaged one is set aside, and training starts over.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, TypedDict, cast

import torch
from torch import Tensor

from blth.io import safefiles

log = logging.getLogger("blth.training.train")  # job logs name the training's logger on these lines


class State(TypedDict):
    """What a checkpoint holds, in this order (the file's layout)."""

    run_key: str  # the run configuration it was written for
    model: dict[str, Tensor]  # state dict
    optimizer: dict[str, Any]  # state dict
    data_rng: Tensor  # generator state: shuffling and augmentation
    noise_rng: Tensor  # generator state: weight noise
    epochs: list[dict[str, Any]]  # the epoch rows so far


def save(path: Path, state: State) -> None:
    """Write ``state`` to ``path``; an interruption never leaves a half-written checkpoint."""
    with safefiles.replacing(path) as f:
        torch.save(state, f)


def load(path: Path | None, run_key: str) -> State | None:
    """The checkpoint at ``path`` if it was written for ``run_key``; None if there is none, it
    belongs to another run (left in place) or it is damaged (set aside as ``*.damaged``)."""
    if path is None or not path.exists():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types; an unreadable scratch file is only lost time
        why = str(e).partition("\n")[0].partition(". ")[0]  # torch's advice runs to paragraphs
        _discard(path, f"unreadable, {type(e).__name__}: {why}".rstrip(": "))
        return None
    if not isinstance(state, dict) or not state.keys() >= State.__required_keys__:
        _discard(path, "not a training checkpoint")
        return None
    if state["run_key"] != run_key:
        log.warning("ignoring checkpoint %s: it belongs to another run configuration", path)
        return None
    return cast(State, state)


def _discard(path: Path, reason: str) -> None:
    """Set a damaged checkpoint aside (kept once, as ``*.damaged``) so training starts over."""
    aside = path.with_name(f"{path.name}.damaged")
    path.replace(aside)
    log.warning(
        "discarding damaged checkpoint %s (%s); moved to %s, training from the start",
        path,
        reason,
        aside,
    )
