"""The paper's claims across architectures: a study of one experiment per model on the same
data (docs/results/fashion_mnist_paper_nets/), each experiment's tables in its own folder.

Each per-experiment check of :data:`blth.report.claims.CHECKS` runs on every architecture; the
claims that no architecture of the study can test are left out. Two checks compare the
architectures with each other: the ViT's reliance on its initial weights (paper §1: "ResNet and
VGG rely mostly on the layer-wise sparsity ratio and mask structure. The ViT is highly sensitive
to the initial weights") and matching tickets at every model size.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from blth.lottery.branches import REINIT
from blth.models import model_names
from blth.report.claims.controls import branch_gaps
from blth.report.claims.pruning import matching_to_ninety
from blth.report.claims.series import (
    DET,
    NOT_REPRODUCED,
    NOT_TESTABLE,
    REPRODUCED,
    SNR,
    TOLERANCE,
    Finding,
    points,
)
from blth.report.tables import load_tables

VIT_FAMILY = "vit"
Check = Callable[[pd.DataFrame, pd.DataFrame], Finding]


@dataclass(frozen=True)
class Architecture:
    """One experiment of the study: its model, number of prunable weights and tables."""

    model: str
    n_prunable: int
    runs: pd.DataFrame
    layers: pd.DataFrame

    @property
    def label(self) -> str:
        """``resnet20 (270 k)``: the model and its number of prunable weights."""
        n = self.n_prunable
        return f"{self.model} ({n / 1e6:.1f} M)" if n >= 1e6 else f"{self.model} ({n / 1e3:.0f} k)"

    @property
    def family(self) -> str:
        """The model family (``vit_tiny`` -> ``vit``), see :mod:`blth.models.model_names`."""
        return model_names.parse(self.model)[0]


def load_architectures(folders: Sequence[str | Path]) -> list[Architecture]:
    """One :class:`Architecture` per tables folder, smallest model first."""
    found = []
    for folder in folders:
        tables = load_tables(folder)
        runs = tables["runs"]
        if runs.empty:
            raise ValueError(f"{folder}: the runs table is empty")
        found.append(
            Architecture(
                str(runs["model"].iloc[0]),
                int(runs["n_prunable"].max()),
                runs,
                tables["layers"],
            )
        )
    return sorted(found, key=lambda a: a.n_prunable)


def per_architecture(
    archs: Sequence[Architecture], checks: Sequence[Check]
) -> list[tuple[str, list[Finding]]]:
    """Per claim (in ``checks`` order), every architecture's finding; claims that no
    architecture can test are left out."""
    rows = []
    for check in checks:
        found = [check(a.runs, a.layers) for a in archs]
        if any(f.verdict != NOT_TESTABLE for f in found):
            rows.append((found[0].claim, found))
    return rows


def relies_on_initial_weights(archs: Sequence[Architecture]) -> Finding:
    """Reproduced when reinitialising the ViT's ticket costs more than reinitialising every
    other architecture's, by over the tolerance (mean over det and bnn-snr, at the deepest
    branch level)."""
    claim = "The ViT relies on its initial weights, the conv nets on the layer-wise ratios"
    losses: list[tuple[Architecture, float]] = []
    for a in archs:
        gaps = [branch_gaps(a.runs, arm, REINIT) for arm in (DET, SNR)]
        deepest = [g[max(g)] for g in gaps if g]
        if deepest:
            losses.append((a, float(np.mean(deepest))))
    vits = [loss for a, loss in losses if a.family == VIT_FAMILY]
    others = [loss for a, loss in losses if a.family != VIT_FAMILY]
    if not vits or not others:
        return Finding(claim, "reinit branches of a ViT and another model needed", NOT_TESTABLE, "")
    measured = "reinit − ticket at the deepest branch level, mean of det and bnn-snr: "
    measured += ", ".join(f"{a.model} {points(loss)} pts" for a, loss in losses)
    ok = max(vits) < min(others) - TOLERANCE
    why = f"reinitialising costs the ViT {'more' if ok else 'no more'} than every other model"
    return Finding(claim, measured, REPRODUCED if ok else NOT_REPRODUCED, why)


def independent_of_size(archs: Sequence[Architecture]) -> Finding:
    """Reproduced when tickets match the dense network near 10 % remaining for every model."""
    claim = "Matching tickets at ~90 % sparsity for every model size"
    found = [(a, matching_to_ninety(a.runs, a.layers)) for a in archs]
    tested = [(a, f) for a, f in found if f.verdict != NOT_TESTABLE]
    if len(tested) < 2:
        return Finding(claim, "two or more models needed", NOT_TESTABLE, "")
    measured = "; ".join(f"{a.label}: {f.measured}" for a, f in tested)
    ok = sum(f.verdict == REPRODUCED for _, f in tested)
    verdict = REPRODUCED if ok == len(tested) else NOT_REPRODUCED
    return Finding(claim, measured, verdict, f"{ok} of {len(tested)} models match near 10 % left")


ACROSS: tuple[Callable[[Sequence[Architecture]], Finding], ...] = (
    relies_on_initial_weights,
    independent_of_size,
)


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def markdown(archs: Sequence[Architecture], checks: Sequence[Check]) -> str:
    """The study's Results: a verdict per claim and architecture, then the cross-architecture
    claims, then each architecture's measurements."""
    rows = per_architecture(archs, checks)
    head = ["Claim (paper)", *(a.label for a in archs)]
    lines = [_row(head), _row(["---"] * len(head))]
    lines += [_row([claim, *(f"**{f.verdict}**: {f.why}" for f in found)]) for claim, found in rows]
    lines += ["", _row(["Claim (paper)", "Measured here", "Verdict", "Why"]), _row(["---"] * 4)]
    for check in ACROSS:
        f = check(archs)
        lines.append(_row([f.claim, f.measured, f"**{f.verdict}**", f.why]))
    for i, a in enumerate(archs):
        lines += ["", f"### {a.label}", "", _row(["Claim (paper)", "Measured here", "Verdict"])]
        lines.append(_row(["---"] * 3))
        lines += [
            _row([claim, found[i].measured, f"**{found[i].verdict}**"]) for claim, found in rows
        ]
    return "\n".join(lines) + "\n"
