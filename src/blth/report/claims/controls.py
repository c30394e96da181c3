"""Checks on the controls, transplants, calibration and LRR, against the IMP tickets."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from blth.lottery.branches import IMP, LRR, MAIN, TRANSPLANT
from blth.report.claims.series import (
    DET,
    NOT_REPRODUCED,
    NOT_TESTABLE,
    REPRODUCED,
    SNR,
    TOLERANCE,
    Finding,
    curve,
    every,
    gap_text,
    gaps_between,
    metric_curve,
    points,
)
from blth.report.tables import select


def branch_gaps(runs: pd.DataFrame, arm: str, branch: str) -> dict[int, float]:
    """A branch's accuracy minus its IMP ticket's per branch level (fractions, seeds pooled)."""
    return gaps_between(curve(runs, arm, branch=branch), curve(runs, arm))


def controls_close(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when reinit and layer-wise shuffle match the ticket at the deepest branch
    level."""
    claim = "Reinit and layer-wise shuffle stay close to the ticket"
    return _controls(runs, claim, ("reinit", "shuffle_layerwise"), close=True)


def controls_lose(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when global and even shuffles are below the ticket at the deepest branch level."""
    claim = "Global and even shuffles lose the ticket's advantage"
    return _controls(runs, claim, ("shuffle_global", "shuffle_even"), close=False)


def _controls(runs: pd.DataFrame, claim: str, branches: tuple[str, ...], close: bool) -> Finding:
    parts, oks = [], []
    for arm in (DET, SNR):
        for branch in branches:
            gaps = branch_gaps(runs, arm, branch)
            if not gaps:
                continue
            deepest = gaps[max(gaps)]
            parts.append(f"{arm} {branch}: {gap_text(gaps)}")
            oks.append(deepest >= -TOLERANCE if close else deepest < -TOLERANCE)
    rule = "within" if close else "more than"
    rule += f" {100 * TOLERANCE:.1f} pts of the ticket at the deepest branch level"
    finding = every(claim, parts, oks, "no randomisation branch in the tables", rule)
    return (
        replace(finding, measured="pts vs the IMP ticket: " + finding.measured) if oks else finding
    )


def transplant_matches(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when every transplant matches or beats bnn-snr's ticket of its level."""
    claim = "Transplanted tickets ≈ Bayesian tickets in accuracy"
    gaps = gaps_between(curve(runs, DET, branch=TRANSPLANT), curve(runs, SNR))
    if not gaps:
        return Finding(claim, "no transplant with a bnn-snr level", NOT_TESTABLE, "")
    ok = all(g >= -TOLERANCE for g in gaps.values())
    why = f"{'every' if ok else 'not every'} level within {100 * TOLERANCE:.1f} pts or above"
    measured = f"transplant − bnn-snr: {gap_text(gaps)} pts"
    return Finding(claim, measured, REPRODUCED if ok else NOT_REPRODUCED, why)


# "cuts by half or more": the transplant's time (det search + VI) at most this share of
# Bayesian IMP's
TRANSPLANT_COST_LIMIT = 0.5


def transplant_compute(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when det search + VI phase take at most half of Bayesian IMP's training time."""
    claim = "Transplantation cuts training time by half or more at high sparsity"
    plant = select(runs, arm=DET, chain=IMP, branch=TRANSPLANT)
    bayes = select(runs, arm=SNR, chain=IMP, branch=MAIN)
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
    ok = deepest <= TRANSPLANT_COST_LIMIT
    measured = "time of transplant (det search + VI) ÷ Bayesian IMP: "
    measured += ", ".join(f"L{lvl} {m:.2f}" for lvl, m in sorted(means.items()))
    why = f"at L{max(means)} the transplant costs {100 * deepest:.0f} % of Bayesian IMP"
    return Finding(claim, measured, REPRODUCED if ok else NOT_REPRODUCED, why)


MACE_FALL = 0.10  # "falls": the deepest level's MACE is over 10 % below the dense network's


def mace_trend(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when det's and bnn-snr's deepest MACE is over MACE_FALL below their dense MACE."""
    claim = "MACE falls at high sparsity (ResNet, ViT; flat for VGG)"
    parts, falls = [], []
    for arm in (DET, SNR):
        mace = metric_curve(runs, arm, MAIN, "mace")
        if 0 not in mace or len(mace) < 2:
            continue
        deepest = max(mace)
        parts.append(f"{arm} L0 {mace[0]:.3f} → L{deepest} {mace[deepest]:.3f}")
        falls.append(mace[deepest] < (1 - MACE_FALL) * mace[0])
    models = ", ".join(sorted(runs["model"].unique()))
    rule = f"arms fall by over {100 * MACE_FALL:.0f} % ({models};"
    rule += " the paper's trend depends on the architecture)"
    return every(claim, parts, falls, "no MACE curve", rule)


def transplant_calibration(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when each transplant's MACE is nearer bnn-snr's than det's ticket."""
    claim = "Transplanted tickets' MACE mirrors the Bayesian tickets'"
    plant = metric_curve(runs, DET, TRANSPLANT, "mace")
    bayes = metric_curve(runs, SNR, MAIN, "mace")
    det = metric_curve(runs, DET, MAIN, "mace")
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
    """Reproduced when LRR is at least IMP minus the tolerance on average under 5 % left."""
    claim = "LRR ≥ IMP at high sparsity"
    parts, oks = [], []
    for arm in (DET, SNR):
        imp = curve(runs, arm)
        high = [p.level for p in imp if p.remaining < 0.05]
        gaps = gaps_between(curve(runs, arm, chain=LRR), imp, high)
        if not gaps:
            continue
        mean_gap = float(np.mean(list(gaps.values())))
        parts.append(f"{arm} LRR − IMP under 5 % left: mean {points(mean_gap)} pts")
        oks.append(mean_gap >= -TOLERANCE)
    rule = f"arms: LRR at least IMP − {100 * TOLERANCE:.1f} pts"
    return every(claim, parts, oks, "no LRR chain reaching 5 % remaining", rule)


def passes_negligible(runs: pd.DataFrame, layers: pd.DataFrame) -> Finding:
    """Reproduced when no Bayesian run's accuracy std over passes exceeds the tolerance."""
    claim = "Error bars over repeated stochastic passes are negligible"
    bayes = runs[runs["bayesian"].astype(bool)]
    if bayes.empty:
        return Finding(claim, "no Bayesian run", NOT_TESTABLE, "")
    std = bayes["acc_std"].astype(float)
    passes = int(bayes["passes"].max())
    measured = f"std of accuracy over {passes} passes, {len(std)} Bayesian runs: "
    measured += f"mean {100 * std.mean():.2f}, largest {100 * std.max():.2f} pts"
    ok = float(std.max()) <= TOLERANCE
    why = f"largest {'within' if ok else 'over'} {100 * TOLERANCE:.1f} pts"
    return Finding(claim, measured, REPRODUCED if ok else NOT_REPRODUCED, why)
