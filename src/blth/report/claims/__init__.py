"""The paper's claims (``paper.md`` §1 and §9) checked one by one against an experiment's tables.

Each check reads only the aggregated tables (``runs``, ``layers``), states what it measured with
its spread and gives a verdict by a fixed rule, so that the README's Results table is
regenerated, not written by hand: ``blth claims TABLES`` prints it.

Accuracy is the paper's: the best test accuracy over training (``best_test_acc``), averaged over
seeds; "± s" is the standard deviation over seeds and "passes ± p" the mean standard deviation
over the evaluation passes of the final weights (``acc_std``). Two accuracies *match* when they
differ by at most :data:`TOLERANCE` (the report's matching tolerance).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from blth.report.claims.controls import (
    controls_close,
    controls_lose,
    lrr_beats_imp,
    mace_trend,
    passes_negligible,
    transplant_calibration,
    transplant_compute,
    transplant_matches,
)
from blth.report.claims.pruning import (
    deeper_pruned_more,
    degradation,
    lth_holds,
    matching_to_ninety,
    snr_like_mean,
    sqsum_worse,
)
from blth.report.claims.series import NOT_TESTABLE, TOLERANCE, Finding
from blth.report.tables import load_tables

__all__ = ["CHECKS", "TOLERANCE", "Finding", "findings", "markdown"]


def not_testable(claim: str, why: str) -> Callable[[pd.DataFrame, pd.DataFrame], Finding]:
    """A claim this study cannot test (one architecture, one dataset)."""

    def check(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
        return Finding(claim, "—", NOT_TESTABLE, why)

    return check


CHECKS: tuple[Callable[[pd.DataFrame, pd.DataFrame], Finding], ...] = (
    lth_holds,
    matching_to_ninety,
    degradation,
    snr_like_mean,
    sqsum_worse,
    deeper_pruned_more,
    controls_close,
    controls_lose,
    transplant_matches,
    transplant_compute,
    transplant_calibration,
    mace_trend,
    lrr_beats_imp,
    passes_negligible,
    not_testable(
        "Independent of model size; the ViT relies on its initial weights",
        "one experiment, one architecture: `blth claims` given several "
        "experiments' tables compares them (docs/results/fashion_mnist_paper_nets/)",
    ),
)


def findings(tables_dir: str | Path) -> list[Finding]:
    """Every check of :data:`CHECKS` on the tables of ``tables_dir``."""
    tables = load_tables(tables_dir)
    return [check(tables["runs"], tables["layers"]) for check in CHECKS]


def markdown(rows: list[Finding]) -> str:
    """The Results table in Markdown, one row per claim."""
    lines = ["| Claim (paper) | Measured here | Verdict | Why |", "|---|---|---|---|"]
    for f in rows:
        cells = [f.claim, f.measured, f"**{f.verdict}**", f.why]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
