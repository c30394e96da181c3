"""Stored predictions: every evaluation job keeps its series' test-set predictives.

One file per series beside its tables (``blth.artefacts.PREDICTIONS`` in
``results/<exp>/evaluation/<arm>/s<seed>/<chain>/<branch>/``), holding per level the mean
probabilities of each repeated stochastic pass (their mean over passes is the reported
predictive; their spread the reported ``acc_std``) and each pass's per-example mutual
information, in half precision, and the test labels once. Metrics the paper did not report,
ensembles and audits need no re-evaluation:

    from blth.predictions import load
    series = load("results/demo/evaluation/bnn-snr/s0/imp/main/predictions.safetensors")
    probs = series.levels[8].probs.float().mean(0)     # the predictive [N, C] at level 8
    accuracy = (probs.argmax(1) == series.labels).float().mean()

Size: 2 · N · (C + 1) bytes per pass and level, 0.22 MB for CIFAR-10's 10,000 test images; the
paper's config (642 runs; 399 Bayesian ones of 5 passes) stores about 0.5 GB.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from blth import safefiles

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
    samples S behind each pass's mean."""

    labels: Tensor
    levels: dict[int, LevelPredictions]
    samples: int


def _names(level: int) -> tuple[str, str]:
    return f"L{level}.probs", f"L{level}.mutual_information"


def write(path: str | Path, series: SeriesPredictions) -> None:
    """Write ``series`` to ``path`` (atomically, byte-reproducibly)."""
    tensors = {LABELS: series.labels.cpu().numpy().astype(np.int64)}
    for level, pred in series.levels.items():
        probs, mi = _names(level)
        tensors[probs] = pred.probs.to(torch.float16).cpu().numpy()
        tensors[mi] = pred.mutual_information.to(torch.float16).cpu().numpy()
    meta = {"levels": sorted(series.levels), "samples": series.samples}
    safefiles.write(path, tensors, meta)


def load(path: str | Path) -> SeriesPredictions:
    """The predictions stored at ``path``; a damaged or inconsistent file is named."""
    tensors, meta = safefiles.read(path, "pt", tensors=(LABELS,), metadata=("levels", "samples"))
    labels = tensors[LABELS]
    levels = {}
    for level in meta["levels"]:
        names = _names(level)
        missing = [n for n in names if n not in tensors]
        if missing:
            raise safefiles.damaged(path, f"lacks {', '.join(missing)}")
        probs, mi = (tensors[n] for n in names)
        if probs.ndim != 3 or probs.shape[1] != len(labels) or mi.shape != probs.shape[:2]:
            raise safefiles.damaged(
                path,
                f"level {level}: probabilities {tuple(probs.shape)} and mutual information "
                f"{tuple(mi.shape)} do not fit {len(labels)} labels as [P, N, C] and [P, N]",
            )
        levels[level] = LevelPredictions(probs, mi)
    return SeriesPredictions(labels, levels, meta["samples"])
