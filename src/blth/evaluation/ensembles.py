"""Ensembles of tickets across seeds, from stored predictions: no network is run.

The deep-ensemble baseline a reader of the paper asks for: is one sparse Bayesian ticket (S
weight samples per prediction) better than an ensemble of sparse deterministic tickets at the
same inference cost? An ensemble of one arm's tickets of the same level, one per seed, predicts
the mean of its members' predictives (each member's first evaluation pass in
:mod:`blth.io.predictions`: S weight samples of a Bayesian ticket, the one forward pass of a
deterministic one). It is measured as a run is (accuracy, NLL, Brier, ECE, MACE, AURC by each
confidence score of :mod:`blth.evaluation.selective`, the members' disagreement as its mutual
information;
with stored out-of-distribution predictions, ``evaluation.shift.ood``, the AUROC and AUPR of each
detection score) and costs the sum of its members' MACs and bytes (:mod:`blth.evaluation.cost`).

Shapes: M members, N test examples, C classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from blth.evaluation import metrics, selective
from blth.io import predictions
from blth.io.artefacts import PREDICTIONS, evaluation_table, read_rows
from blth.shift import detection


@dataclass(frozen=True)
class Member:
    """One seed's series: its stored predictions and its evaluation's runs rows by level."""

    seed: int
    predictions: predictions.SeriesPredictions
    runs: dict[int, dict[str, Any]]


def load_member(seed: int, evaluation_dir: str | Path) -> Member:
    """The member of ``seed`` from its evaluation folder (predictions and runs table)."""
    folder = Path(evaluation_dir)
    rows = read_rows(folder / "runs.parquet", evaluation_table("runs"))
    return Member(seed, predictions.load(folder / PREDICTIONS), {r["level"]: r for r in rows})


def _first_pass(pred: predictions.LevelPredictions) -> torch.Tensor:
    """A member's predictive: its first evaluation pass's probabilities [N, C], the predictive
    whose cost its runs row states (one pass of S weight samples; a deterministic network has
    one pass)."""
    return pred.probs[0].float()


def combine(preds: Sequence[predictions.LevelPredictions]) -> tuple[torch.Tensor, torch.Tensor]:
    """The ensemble's predictive [N, C] (the mean of the members') and its members'
    disagreement [N] (their mutual information, nats)."""
    stacked = torch.stack([_first_pass(p) for p in preds])  # [M, N, C]
    return stacked.mean(0), metrics.mutual_information_per_example(stacked)


def ensemble_level(members: Sequence[Member], level: int, bins: tuple[int, int]) -> dict[str, Any]:
    """The ensemble table's row of ``level`` (``bins``: the ECE and MACE bins)."""
    labels = members[0].predictions.labels
    probs, disagreement = combine([m.predictions.levels[level] for m in members])
    confidence = selective.confidences(probs, disagreement)
    correct = probs.argmax(1) == labels
    rows = [m.runs[level] for m in members]
    return {
        "level": level,
        "members": len(members),
        "remaining_fraction": sum(r["remaining_fraction"] for r in rows) / len(rows),
        "acc": metrics.accuracy(probs, labels),
        "member_acc_mean": sum(r["acc_mean"] for r in rows) / len(rows),
        "nll": metrics.nll(probs, labels),
        "brier": metrics.brier(probs, labels),
        "ece": metrics.ece(probs, labels, bins[0]),
        "mace": metrics.mace(probs, labels, bins[1]),
        **{f"aurc_{name}": selective.aurc(c, correct) for name, c in confidence.items()},
        "predictive_macs": sum(r["predictive_macs"] for r in rows),
        "storage_bytes": sum(r["storage_bytes"] for r in rows),
    }


def ood_rows(members: Sequence[Member], level: int) -> list[dict[str, Any]]:
    """Per out-of-distribution set every member has: AUROC and AUPR of each score
    (blth.shift.detection) separating the ensemble's test predictive from its predictive of
    the set."""
    inside = detection.scores(*combine([m.predictions.levels[level] for m in members]))
    names = set.intersection(*(set(m.predictions.ood) for m in members))
    rows = []
    for name in sorted(names):
        outside = detection.scores(*combine([m.predictions.ood[name][level] for m in members]))
        rows += [
            {
                "level": level,
                "ood": name,
                "score": score,
                "auroc": detection.auroc(inside[score], outside[score]),
                "aupr": detection.aupr(inside[score], outside[score]),
            }
            for score in inside
        ]
    return rows


def ensemble_rows(
    members: Sequence[Member], bins: tuple[int, int] = (15, 15)
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(ensembles rows, ensembles_ood rows): one row per level every member has, and per level
    and out-of-distribution set every member has; the members must share the test labels."""
    if len(members) < 2:
        raise ValueError(f"an ensemble needs two or more members, got {len(members)}")
    first = members[0].predictions.labels
    for m in members[1:]:
        if not torch.equal(m.predictions.labels, first):
            raise ValueError(
                f"seed {m.seed}'s predictions are of other test labels than seed "
                f"{members[0].seed}'s: an ensemble needs the same test set"
            )
    levels = sorted(set.intersection(*(set(m.predictions.levels) & set(m.runs) for m in members)))
    return (
        [ensemble_level(members, level, bins) for level in levels],
        [row for level in levels for row in ood_rows(members, level)],
    )
