"""Stored predictions: every evaluation job keeps its series' test-set predictives.

One file per series beside its tables (``blth.io.artefacts.PREDICTIONS`` in
``results/<exp>/evaluation/<arm>/s<seed>/<chain>/<branch>/``), holding per level the mean
probabilities of each repeated stochastic pass (their mean over passes is the reported
predictive; their spread the reported ``acc_std``) and each pass's per-example mutual
information, in half precision, the same for each out-of-distribution set of
``evaluation.shift.ood``, and the test labels once. Metrics the paper did not report, ensembles
and audits need no re-evaluation:

    from blth.io.predictions import load
    series = load("results/demo/evaluation/bnn-snr/s0/imp/main/predictions.safetensors")
    probs = series.levels[8].probs.float().mean(0)     # the predictive [N, C] at level 8
    accuracy = (probs.argmax(1) == series.labels).float().mean()

Size: 2 · N · (C + 1) bytes per pass and level, 0.22 MB for CIFAR-10's 10,000 test images; the
paper's config (642 runs; 399 Bayesian ones of 5 passes) stores about 0.5 GB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from blth.io import safefiles

LABELS = "labels"


@dataclass(frozen=True)
class LevelPredictions:
    """One run's test predictions: ``probs`` [P, N, C] per-pass mean probabilities over the
    weight samples and ``mutual_information`` [P, N] nats (0 for a deterministic network),
    float16."""

    probs: Tensor
    mutual_information: Tensor


@dataclass(frozen=True)
class SeriesPredictions:
    """Every level of one series and the test ``labels`` [N] int64; ``samples``: the weight
    samples S behind each pass's mean; ``ood``: per out-of-distribution set, every level's
    predictions of its images (N' of them, no labels)."""

    labels: Tensor
    levels: dict[int, LevelPredictions]
    samples: int
    ood: dict[str, dict[int, LevelPredictions]] = field(default_factory=dict)


def _names(level: int, ood: str | None = None) -> tuple[str, str]:
    prefix = "" if ood is None else f"ood.{ood}."
    return f"{prefix}L{level}.probs", f"{prefix}L{level}.mutual_information"


def write(path: str | Path, series: SeriesPredictions) -> None:
    """Write ``series`` to ``path`` (atomically, byte-reproducibly)."""
    tensors = {LABELS: series.labels.cpu().numpy().astype(np.int64)}
    sets: list[tuple[str | None, dict[int, LevelPredictions]]] = [(None, series.levels)]
    for ood, levels in [*sets, *series.ood.items()]:
        for level, pred in levels.items():
            probs, mi = _names(level, ood)
            tensors[probs] = pred.probs.to(torch.float16).cpu().numpy()
            tensors[mi] = pred.mutual_information.to(torch.float16).cpu().numpy()
    meta = {"levels": sorted(series.levels), "samples": series.samples, "ood": sorted(series.ood)}
    safefiles.write(path, tensors, meta)


def _level(
    path: str | Path, tensors: dict[str, Tensor], level: int, n: int | None, ood: str | None
) -> LevelPredictions:
    """One level's predictions of the test set (``n`` examples) or of out-of-distribution set
    ``ood`` (any number), checked."""
    names = _names(level, ood)
    missing = [name for name in names if name not in tensors]
    if missing:
        raise safefiles.damaged(path, f"lacks {', '.join(missing)}")
    probs, mi = (tensors[name] for name in names)
    if probs.ndim != 3 or (n is not None and probs.shape[1] != n) or mi.shape != probs.shape[:2]:
        where = f"level {level}" + ("" if ood is None else f" of {ood}")
        examples = "N" if n is None else f"{n} labels"
        raise safefiles.damaged(
            path,
            f"{where}: probabilities {tuple(probs.shape)} and mutual information "
            f"{tuple(mi.shape)} do not fit {examples} as [P, N, C] and [P, N]",
        )
    return LevelPredictions(probs, mi)


def load(path: str | Path) -> SeriesPredictions:
    """The predictions stored at ``path``; a damaged or inconsistent file is named. (Files of
    blth 0.4 hold no out-of-distribution predictions.)"""
    tensors, meta = safefiles.read(path, "pt", tensors=(LABELS,), metadata=("levels", "samples"))
    labels = tensors[LABELS]
    levels = {level: _level(path, tensors, level, len(labels), None) for level in meta["levels"]}
    ood = {
        name: {level: _level(path, tensors, level, None, name) for level in meta["levels"]}
        for name in meta.get("ood", [])
    }
    return SeriesPredictions(labels, levels, meta["samples"], ood)
