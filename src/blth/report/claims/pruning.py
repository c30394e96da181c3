"""Checks on the IMP tickets: matching, degradation, the pruning scores, layer-wise sparsity."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from blth.lottery.branches import IMP, MAIN
from blth.report.claims.series import (
    DET,
    FALLS_WITH_DEPTH,
    MEAN,
    NINETY_PERCENT,
    NOT_REPRODUCED,
    NOT_TESTABLE,
    REPRODUCED,
    SNR,
    SQSUM,
    TOLERANCE,
    VERY_HIGH_SPARSITY,
    Finding,
    curve,
    every,
    gap_text,
    gaps_between,
    nearest,
    pct,
    points,
    sparsest_matching,
)
from blth.report.tables import select


def lth_holds(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when every Bayesian arm matches its dense accuracy at level 1 or deeper."""
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


def matching_to_ninety(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when every arm's level nearest 10 % remaining matches its dense accuracy."""
    claim = "Tickets match the dense network up to ~90 % sparsity"
    parts, oks = [], []
    for arm in (DET, SNR, MEAN, SQSUM):
        series = curve(runs, arm)
        p = nearest(series[1:], NINETY_PERCENT)
        if p is None or series[0].level != 0:
            continue
        delta = p.acc - series[0].acc
        parts.append(f"{arm} L{p.level} ({pct(p.remaining)} left): {p.text()}, {points(delta)} pts")
        oks.append(delta >= -TOLERANCE)
    rule = f"arms within {100 * TOLERANCE:.1f} pts of dense near 10 % left"
    return every(claim, parts, oks, "no pruned IMP level in the tables", rule)


def degradation(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when every arm's deepest level (under 2 % left) is below dense by over the
    tolerance."""
    claim = "Accuracy degrades at very high sparsity (> 98 %)"
    parts, drops = [], []
    for arm in (DET, SNR, MEAN, SQSUM):
        series = curve(runs, arm)
        if not series or series[0].level != 0 or series[-1].remaining >= VERY_HIGH_SPARSITY:
            continue
        delta = series[-1].acc - series[0].acc
        parts.append(f"{arm} L{series[-1].level} ({pct(series[-1].remaining)}): {points(delta)}")
        drops.append(delta < -TOLERANCE)
    rule = f"arms lose more than {100 * TOLERANCE:.1f} pts"
    finding = every(claim, parts, drops, "no level under 2 % remaining", rule)
    return replace(finding, measured="pts vs dense: " + finding.measured) if drops else finding


def snr_like_mean(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when bnn-snr and bnn-mean differ by at most the tolerance on average."""
    claim = "SNR and |μ| scores behave alike (the mean dominates)"
    gaps = gaps_between(curve(runs, SNR), curve(runs, MEAN))
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
    """Reproduced when bnn-sqsum is below bnn-snr by over the tolerance on average under 5 %
    left."""
    claim = "sqrt(μ²+σ²) is worse than SNR at high sparsity"
    snr, sqsum = curve(runs, SNR), curve(runs, SQSUM)
    high = [p.level for p in snr if p.remaining < 0.05]
    gaps = gaps_between(sqsum, snr, high)
    if not gaps:
        return Finding(claim, "no shared level under 5 % remaining", NOT_TESTABLE, "")
    mean_gap = float(np.mean(list(gaps.values())))
    ok = mean_gap < -TOLERANCE
    measured = f"sqsum − snr under 5 % left: {gap_text(gaps)} pts (mean {points(mean_gap)})"
    why = f"mean gap {'below' if ok else 'not below'} −{100 * TOLERANCE:.1f} pts"
    return Finding(claim, measured, REPRODUCED if ok else NOT_REPRODUCED, why)


def _layer_fractions(layers: pd.DataFrame, arm: str) -> tuple[int, list[float]] | None:
    """Remaining fraction per layer index at the arm's deepest IMP level (seeds pooled)."""
    rows = select(layers, arm=arm, chain=IMP, branch=MAIN)
    if rows.empty:
        return None
    deepest = int(rows["level"].max())
    rows = rows[rows["level"] == deepest]
    by_layer = rows.groupby("index", sort=True)[["n_remaining", "n_weights"]].sum()
    return deepest, list(by_layer["n_remaining"] / by_layer["n_weights"])


def depth_trend(fractions: list[float]) -> float:
    """Spearman's rank correlation of the remaining fraction with the layer index (ties
    averaged): -1 when every deeper layer keeps less, +1 when every deeper layer keeps more."""
    ranks = pd.Series(fractions).rank().to_numpy()
    depth = np.arange(len(fractions), dtype=float)
    if np.ptp(ranks) == 0:
        return 0.0
    return float(np.corrcoef(depth, ranks)[0, 1])


def deeper_pruned_more(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when the remaining fraction falls with depth in both arms (rank correlation
    with the layer index at most :data:`FALLS_WITH_DEPTH`: the paper's own ViT curve is
    "modulated by the alternating attention/MLP blocks", and ResNet's 1x1 shortcuts are small
    layers that keep more) and falls relatively faster in bnn-snr (a lower ratio of the
    deepest to the first layer)."""
    claim = "Deeper layers are pruned more, more so in BNNs"
    det, bnn = _layer_fractions(layers, DET), _layer_fractions(layers, SNR)
    if det is None or bnn is None or len(det[1]) < 2:
        return Finding(claim, "layer tables of det and bnn-snr needed", NOT_TESTABLE, "")
    text = [
        f"{arm} L{lvl}: " + " / ".join(pct(f) for f in fr) + f" (ρ {depth_trend(fr):+.2f})"
        for arm, (lvl, fr) in ((DET, det), (SNR, bnn))
    ]
    measured = "remaining per layer, input → output, and its rank correlation with depth: "
    measured += "; ".join(text)
    if not all(depth_trend(fr) <= FALLS_WITH_DEPTH for _, fr in (det, bnn)):
        why = "the remaining fraction does not fall with depth"
        return Finding(claim, measured, NOT_REPRODUCED, why)
    # "more so": the Bayesian ticket's deepest prunable layer keeps less relative to its first
    stronger = bnn[1][-1] / bnn[1][0] < det[1][-1] / det[1][0]
    why = "falls with depth" + (
        ", faster in the BNN" if stronger else ", but not faster in the BNN"
    )
    return Finding(claim, measured, REPRODUCED if stronger else NOT_REPRODUCED, why)
