"""The paper's claims (``paper.md`` §1 and §9) checked one by one against an experiment's tables.

Each check reads only the aggregated tables (``runs``, ``layers``), states what it measured with
its spread and gives a verdict by a fixed rule, so that the README's Results table is
regenerated, not written by hand: ``python -m blth.report.claims TABLES`` prints it.

Accuracy is the paper's: the best test accuracy over training (``best_test_acc``), averaged over
seeds; "± s" is the standard deviation over seeds and "passes ± p" the mean standard deviation
over the evaluation passes of the final weights (``acc_std``). Two accuracies *match* when they
differ by at most :data:`TOLERANCE` (the report's matching tolerance).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from blth.report.tables import load_tables, select

TOLERANCE = 0.005  # accuracy as a fraction: 0.5 percentage points
DET, SNR, MEAN, SQSUM = "det", "bnn-snr", "bnn-mean", "bnn-sqsum"
VERY_HIGH_SPARSITY = 0.02  # "very high": under 2 % of the weights left (paper: > 98 %)
NINETY_PERCENT = 0.10  # the remaining fraction of "up to ~90 % sparsity"

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


def curve(runs: pd.DataFrame, arm: str, chain: str = "imp", branch: str = "main") -> list[Point]:
    """One :class:`Point` per level of a series, sorted by level (empty if it did not run)."""
    rows = select(runs, arm=arm, chain=chain, branch=branch)
    points = []
    for level, group in rows.groupby("level", sort=True):
        accs = group["best_test_acc"].astype(float)
        points.append(
            Point(
                level=int(str(level)),
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


def lth_holds(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "The LTH holds in BNNs: IMP finds matching (and some surpassing) tickets"
    parts, verdicts = [], []
    for arm in (DET, SNR, MEAN, SQSUM):
        series = curve(runs, arm)
        best = sparsest_matching(series)
        if best is None:
            continue
        surpassing = sum(p.acc > series[0].acc + TOLERANCE for p in series[1:])
        parts.append(
            f"{arm}: dense {series[0].text()}, matching through L{best.level} "
            f"({pct(best.remaining)} left), {surpassing} level(s) surpassing"
        )
        if arm != DET:
            verdicts.append(best.level > 0)
    if not verdicts:
        return Finding(claim, "no Bayesian IMP chain in the tables", NOT_TESTABLE, "")
    ok = all(verdicts)
    why = "every Bayesian arm keeps the dense accuracy over several pruning levels"
    return Finding(
        claim,
        "; ".join(parts),
        REPRODUCED if ok else NOT_REPRODUCED,
        why if ok else "a Bayesian arm loses accuracy at the first pruning level",
    )


def _nearest(series: list[Point], remaining: float) -> Point | None:
    if not series:
        return None
    return min(series, key=lambda p: abs(np.log(p.remaining / remaining)))


def matching_to_ninety(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "Tickets match the dense network up to ~90 % sparsity"
    parts, oks = [], []
    for arm in (DET, SNR, MEAN, SQSUM):
        series = curve(runs, arm)
        p = _nearest(series[1:], NINETY_PERCENT)
        if p is None or series[0].level != 0:
            continue
        delta = p.acc - series[0].acc
        parts.append(f"{arm} L{p.level} ({pct(p.remaining)} left): {p.text()}, {points(delta)} pts")
        oks.append(delta >= -TOLERANCE)
    if not oks:
        return Finding(claim, "no pruned IMP level in the tables", NOT_TESTABLE, "")
    verdict = REPRODUCED if all(oks) else NOT_REPRODUCED
    why = f"{sum(oks)} of {len(oks)} arms within {100 * TOLERANCE:.1f} pts of dense near 10 % left"
    return Finding(claim, "; ".join(parts), verdict, why)


def degradation(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "Accuracy degrades at very high sparsity (> 98 %)"
    parts, drops = [], []
    for arm in (DET, SNR, MEAN, SQSUM):
        series = curve(runs, arm)
        if not series or series[0].level != 0 or series[-1].remaining >= VERY_HIGH_SPARSITY:
            continue
        delta = series[-1].acc - series[0].acc
        parts.append(f"{arm} L{series[-1].level} ({pct(series[-1].remaining)}): {points(delta)}")
        drops.append(delta < -TOLERANCE)
    if not drops:
        return Finding(claim, "no level under 2 % remaining", NOT_TESTABLE, "")
    verdict = REPRODUCED if all(drops) else NOT_REPRODUCED
    why = f"{sum(drops)} of {len(drops)} arms lose more than {100 * TOLERANCE:.1f} pts"
    return Finding(claim, "pts vs dense: " + "; ".join(parts), verdict, why)


def _gaps(a: list[Point], b: list[Point], levels: list[int] | None = None) -> dict[int, float]:
    """``a - b`` accuracy per shared level (``levels`` if given), level 0 excluded."""
    bs = {p.level: p for p in b}
    return {
        p.level: p.acc - bs[p.level].acc
        for p in a
        if p.level in bs and p.level > 0 and (levels is None or p.level in levels)
    }


def _gap_text(gaps: dict[int, float]) -> str:
    return ", ".join(f"L{lvl} {points(g)}" for lvl, g in sorted(gaps.items()))


def snr_like_mean(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "SNR and |μ| scores behave alike (the mean dominates)"
    gaps = _gaps(curve(runs, SNR), curve(runs, MEAN))
    if not gaps:
        return Finding(claim, "bnn-snr and bnn-mean did not both run", NOT_TESTABLE, "")
    worst = max(gaps.values(), key=abs)
    mean_abs = float(np.mean(np.abs(list(gaps.values()))))
    ok = mean_abs <= TOLERANCE
    measured = f"snr − mean over {len(gaps)} levels: mean |Δ| {100 * mean_abs:.2f} pts, "
    measured += f"largest {points(worst)} pts"
    why = f"mean |Δ| {'≤' if ok else '>'} {100 * TOLERANCE:.1f} pts"
    return Finding(claim, measured, REPRODUCED if ok else NOT_REPRODUCED, why)


def sqsum_worse(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "sqrt(μ²+σ²) is worse than SNR at high sparsity"
    snr, sqsum = curve(runs, SNR), curve(runs, SQSUM)
    high = [p.level for p in snr if p.remaining < 0.05]
    gaps = _gaps(sqsum, snr, high)
    if not gaps:
        return Finding(claim, "no shared level under 5 % remaining", NOT_TESTABLE, "")
    mean_gap = float(np.mean(list(gaps.values())))
    ok = mean_gap < -TOLERANCE
    measured = f"sqsum − snr under 5 % left: {_gap_text(gaps)} pts (mean {points(mean_gap)})"
    why = f"mean gap {'below' if ok else 'not below'} −{100 * TOLERANCE:.1f} pts"
    return Finding(claim, measured, REPRODUCED if ok else NOT_REPRODUCED, why)


def _layer_fractions(layers: pd.DataFrame, arm: str) -> tuple[int, list[float]] | None:
    """Remaining fraction per layer index at the arm's deepest IMP level (seeds pooled)."""
    rows = select(layers, arm=arm, chain="imp", branch="main")
    if rows.empty:
        return None
    deepest = int(rows["level"].max())
    rows = rows[rows["level"] == deepest]
    by_layer = rows.groupby("index", sort=True)[["n_remaining", "n_weights"]].sum()
    return deepest, list(by_layer["n_remaining"] / by_layer["n_weights"])


def deeper_pruned_more(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "Deeper layers are pruned more, more so in BNNs"
    det, bnn = _layer_fractions(layers, DET), _layer_fractions(layers, SNR)
    if det is None or bnn is None or len(det[1]) < 2:
        return Finding(claim, "layer tables of det and bnn-snr needed", NOT_TESTABLE, "")
    text = [
        f"{arm} L{lvl}: " + " / ".join(pct(f) for f in fr)
        for arm, (lvl, fr) in ((DET, det), (SNR, bnn))
    ]
    measured = "remaining per layer, input → output: " + "; ".join(text)
    decreasing = all(np.all(np.diff(fr) < 0) for _, fr in (det, bnn))
    if not decreasing:
        why = "the remaining fraction does not fall with depth"
        return Finding(claim, measured, NOT_REPRODUCED, why)
    # "more so": the Bayesian ticket's deepest prunable layer keeps less relative to its first
    stronger = bnn[1][-1] / bnn[1][0] < det[1][-1] / det[1][0]
    why = "falls with depth" + (
        ", faster in the BNN" if stronger else ", but not faster in the BNN"
    )
    return Finding(claim, measured, REPRODUCED if stronger else NOT_REPRODUCED, why)


def _branch_gaps(runs: pd.DataFrame, arm: str, branch: str) -> dict[int, float]:
    return _gaps(curve(runs, arm, branch=branch), curve(runs, arm))


def controls_close(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "Reinit and layer-wise shuffle stay close to the ticket"
    return _controls(runs, claim, ("reinit", "shuffle_layerwise"), close=True)


def controls_lose(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "Global and even shuffles lose the ticket's advantage"
    return _controls(runs, claim, ("shuffle_global", "shuffle_even"), close=False)


def _controls(runs: pd.DataFrame, claim: str, branches: tuple[str, ...], close: bool) -> Finding:
    parts, oks = [], []
    for arm in (DET, SNR):
        for branch in branches:
            gaps = _branch_gaps(runs, arm, branch)
            if not gaps:
                continue
            deepest = gaps[max(gaps)]
            parts.append(f"{arm} {branch}: {_gap_text(gaps)}")
            oks.append(deepest >= -TOLERANCE if close else deepest < -TOLERANCE)
    if not oks:
        return Finding(claim, "no randomisation branch in the tables", NOT_TESTABLE, "")
    verdict = REPRODUCED if all(oks) else NOT_REPRODUCED
    rule = "within" if close else "more than"
    why = f"{sum(oks)} of {len(oks)} {rule} {100 * TOLERANCE:.1f} pts of the ticket"
    why += " at the deepest branch level"
    return Finding(claim, "pts vs the IMP ticket: " + "; ".join(parts), verdict, why)


def transplant_matches(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "Transplanted tickets ≈ Bayesian tickets in accuracy"
    gaps = _gaps(curve(runs, DET, branch="transplant"), curve(runs, SNR))
    if not gaps:
        return Finding(claim, "no transplant with a bnn-snr level", NOT_TESTABLE, "")
    ok = all(g >= -TOLERANCE for g in gaps.values())
    why = f"{'every' if ok else 'not every'} level within {100 * TOLERANCE:.1f} pts or above"
    measured = f"transplant − bnn-snr: {_gap_text(gaps)} pts"
    return Finding(claim, measured, REPRODUCED if ok else NOT_REPRODUCED, why)


def transplant_compute(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "Transplantation cuts training time by half or more at high sparsity"
    plant = select(runs, arm=DET, chain="imp", branch="transplant")
    bayes = select(runs, arm=SNR, chain="imp", branch="main")
    if plant.empty or bayes.empty:
        return Finding(claim, "no transplant and bnn-snr chain", NOT_TESTABLE, "")
    ratios: dict[int, list[float]] = {}
    for (seed, level), row in plant.groupby(["seed", "level"]):
        chain = bayes[(bayes["seed"] == seed) & (bayes["level"] <= level)]
        if chain["level"].nunique() == level + 1:
            spent = row["ticket_search_seconds"].sum() + row["train_seconds"].sum()
            ratios.setdefault(int(level), []).append(spent / chain["train_seconds"].sum())
    if not ratios:
        return Finding(claim, "no complete Bayesian chain", NOT_TESTABLE, "")
    means = {lvl: float(np.mean(r)) for lvl, r in ratios.items()}
    deepest = means[max(means)]
    ok = deepest <= 0.5
    measured = "time of transplant (det search + VI) ÷ Bayesian IMP: "
    measured += ", ".join(f"L{lvl} {m:.2f}" for lvl, m in sorted(means.items()))
    why = f"at L{max(means)} the transplant costs {100 * deepest:.0f} % of Bayesian IMP"
    return Finding(claim, measured, REPRODUCED if ok else NOT_REPRODUCED, why)


def _metric_curve(runs: pd.DataFrame, arm: str, branch: str, metric: str) -> dict[int, float]:
    rows = select(runs, arm=arm, chain="imp", branch=branch)
    return {int(k): float(v) for k, v in rows.groupby("level")[metric].mean().items()}


def mace_trend(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "MACE falls at high sparsity (ResNet, ViT; flat for VGG)"
    parts, falls = [], []
    for arm in (DET, SNR):
        mace = _metric_curve(runs, arm, "main", "mace")
        if 0 not in mace or len(mace) < 2:
            continue
        deepest = max(mace)
        parts.append(f"{arm} L0 {mace[0]:.3f} → L{deepest} {mace[deepest]:.3f}")
        falls.append(mace[deepest] < mace[0])
    if not falls:
        return Finding(claim, "no MACE curve", NOT_TESTABLE, "")
    verdict = REPRODUCED if all(falls) else NOT_REPRODUCED
    models = ", ".join(sorted(runs["model"].unique()))
    why = f"{'falls' if all(falls) else 'does not fall'} for {models}"
    why += "; the paper's trend depends on the architecture"
    return Finding(claim, "; ".join(parts), verdict, why)


def transplant_calibration(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "Transplanted tickets' MACE mirrors the Bayesian tickets'"
    plant = _metric_curve(runs, DET, "transplant", "mace")
    bayes = _metric_curve(runs, SNR, "main", "mace")
    det = _metric_curve(runs, DET, "main", "mace")
    shared = sorted(set(plant) & set(bayes) & set(det))
    if not shared:
        return Finding(claim, "no transplant with det and bnn-snr levels", NOT_TESTABLE, "")
    closer = [abs(plant[lvl] - bayes[lvl]) < abs(plant[lvl] - det[lvl]) for lvl in shared]
    measured = "MACE transplant / bnn-snr / det: " + ", ".join(
        f"L{lvl} {plant[lvl]:.3f} / {bayes[lvl]:.3f} / {det[lvl]:.3f}" for lvl in shared
    )
    ok = all(closer)
    why = "closer to the Bayesian ticket than to the deterministic one"
    why += f" at {sum(closer)} of {len(shared)} levels"
    return Finding(claim, measured, REPRODUCED if ok else NOT_REPRODUCED, why)


def lrr_beats_imp(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    claim = "LRR ≥ IMP at high sparsity"
    parts, oks = [], []
    for arm in (DET, SNR):
        imp = curve(runs, arm)
        high = [p.level for p in imp if p.remaining < 0.05]
        gaps = _gaps(curve(runs, arm, chain="lrr"), imp, high)
        if not gaps:
            continue
        mean_gap = float(np.mean(list(gaps.values())))
        parts.append(f"{arm} LRR − IMP under 5 % left: mean {points(mean_gap)} pts")
        oks.append(mean_gap >= -TOLERANCE)
    if not oks:
        return Finding(claim, "no LRR chain reaching 5 % remaining", NOT_TESTABLE, "")
    verdict = REPRODUCED if all(oks) else NOT_REPRODUCED
    why = f"{sum(oks)} of {len(oks)} arms: LRR at least IMP − {100 * TOLERANCE:.1f} pts"
    return Finding(claim, "; ".join(parts), verdict, why)


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
    not_testable(
        "Independent of model size; the ViT relies on its initial weights",
        "one architecture (LeNet-300-100); the model-size configs are in config/appendix.yaml",
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", help="an experiment's tables folder (runs/layers.parquet)")
    args = parser.parse_args(argv)
    sys.stdout.write(markdown(findings(args.tables)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
