"""The vocabulary of the claim checks: findings, accuracy points per level, their differences."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from blth.lottery.branches import IMP, MAIN
from blth.report.tables import MATCH_TOLERANCE, select

TOLERANCE = MATCH_TOLERANCE / 100  # the matching tolerance as a fraction of accuracy
DET, SNR, MEAN, SQSUM = "det", "bnn-snr", "bnn-mean", "bnn-sqsum"
VERY_HIGH_SPARSITY = 0.02  # "very high": under 2 % of the weights left (paper: > 98 %)
NINETY_PERCENT = 0.10  # the remaining fraction of "up to ~90 % sparsity"
FALLS_WITH_DEPTH = -0.5  # rank correlation of remaining fraction with depth that "falls"

REPRODUCED, NOT_REPRODUCED, NOT_TESTABLE = "reproduced", "not reproduced", "not testable here"


@dataclass(frozen=True)
class Finding:
    """One row of the Results table: the claim, what was measured, the verdict and why."""

    claim: str
    measured: str
    verdict: str
    why: str


@dataclass(frozen=True)
class Point:
    """An accuracy (fraction) at one level: mean and spread over seeds and passes."""

    level: int
    remaining: float
    acc: float
    seed_std: float
    pass_std: float
    n_seeds: int

    def text(self) -> str:
        """``88.3 ± 0.2`` in percent, the spread over seeds (or ``n=1`` for one seed)."""
        spread = f"± {100 * self.seed_std:.1f}" if self.n_seeds > 1 else "(1 seed)"
        return f"{100 * self.acc:.1f} {spread}"


def curve(runs: pd.DataFrame, arm: str, chain: str = IMP, branch: str = MAIN) -> list[Point]:
    """One :class:`Point` per level of a series, sorted by level (empty if it did not run)."""
    rows = select(runs, arm=arm, chain=chain, branch=branch)
    points = []
    for level in sorted(int(x) for x in rows["level"].unique()):
        group = rows[rows["level"] == level]
        accs = group["best_test_acc"].astype(float)
        points.append(
            Point(
                level=level,
                remaining=float(group["remaining_fraction"].mean()),
                acc=float(accs.mean()),
                seed_std=float(accs.std(ddof=1)) if len(accs) > 1 else 0.0,
                pass_std=float(group["acc_std"].astype(float).mean()),
                n_seeds=int(group["seed"].nunique()),
            )
        )
    return points


def at_level(points: list[Point], level: int) -> Point | None:
    """The point of ``level``, if the series has one."""
    return next((p for p in points if p.level == level), None)


def points(value: float) -> str:
    """A signed accuracy difference in percentage points."""
    return f"{100 * value:+.1f}"


def pct(remaining: float) -> str:
    """A remaining fraction in percent, with precision where it is small."""
    return f"{100 * remaining:.1f} %" if remaining < 0.1 else f"{100 * remaining:.0f} %"


def sparsest_matching(series: list[Point]) -> Point | None:
    """The deepest level up to which every level matches or beats the dense one."""
    if not series or series[0].level != 0:
        return None
    last = series[0]
    for p in series[1:]:
        if p.acc < series[0].acc - TOLERANCE:
            break
        last = p
    return last


def every(claim: str, parts: list[str], oks: list[bool], missing: str, rule: str) -> Finding:
    """Reproduced when every part passes; ``rule`` ends the reason "k of n <rule>"."""
    if not oks:
        return Finding(claim, missing, NOT_TESTABLE, "")
    verdict = REPRODUCED if all(oks) else NOT_REPRODUCED
    return Finding(claim, "; ".join(parts), verdict, f"{sum(oks)} of {len(oks)} {rule}")


def nearest(series: list[Point], remaining: float) -> Point | None:
    """The point whose remaining fraction is nearest ``remaining`` on a log scale."""
    if not series:
        return None
    return min(series, key=lambda p: abs(np.log(p.remaining / remaining)))


def gaps_between(
    a: list[Point], b: list[Point], levels: list[int] | None = None
) -> dict[int, float]:
    """``a - b`` accuracy per shared level (``levels`` if given), level 0 excluded."""
    bs = {p.level: p for p in b}
    return {
        p.level: p.acc - bs[p.level].acc
        for p in a
        if p.level in bs and p.level > 0 and (levels is None or p.level in levels)
    }


def gap_text(gaps: dict[int, float]) -> str:
    """``L5 +0.4, L10 -1.2``: differences per level in percentage points."""
    return ", ".join(f"L{lvl} {points(g)}" for lvl, g in sorted(gaps.items()))


def metric_curve(runs: pd.DataFrame, arm: str, branch: str, metric: str) -> dict[int, float]:
    """A runs column's mean over seeds per level of an IMP series."""
    rows = select(runs, arm=arm, chain=IMP, branch=branch)
    return {int(k): float(v) for k, v in rows.groupby("level")[metric].mean().items()}
