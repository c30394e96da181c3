"""The summary figures' frames: the sparsest matching ticket, training time per level and the
compute saved by transplantation, and their chart-ready forms (formatted rows, long frames).

Accuracies are in percent, times in minutes; every function takes the runs table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from blth.report.tables import (
    MATCH_TOLERANCE,
    TRANSPLANT,
    bayes_reference_arm,
    imp_main,
    pool_seeds,
    select,
)

#: Placeholder of a missing number in a text table.
MISSING = "–"


def matching_table(runs: pd.DataFrame, tolerance: float = MATCH_TOLERANCE) -> pd.DataFrame:
    """Per model and arm (IMP main), the sparsest matching ticket.

    A level *matches* when its best test accuracy (mean over seeds) is at least the arm's
    dense level-0 accuracy minus ``tolerance`` percentage points (surpassing counts as
    matching). Columns: model, arm, dense_acc, level, pct_remaining, acc, delta_pts
    (accuracies in percent). Arms without a level 0 are left out.
    """
    cols = ["model", "arm", "dense_acc", "level", "pct_remaining", "acc", "delta_pts"]
    pooled = pool_seeds(imp_main(runs), ["best_test_acc"])
    rows = []
    for (model, arm), grp in pooled.groupby(["model", "arm"], sort=True):
        dense = grp.loc[grp["level"] == 0, "best_test_acc"]
        if dense.empty:
            continue
        dense_pct = 100.0 * float(dense.iloc[0])
        acc_pct = 100.0 * grp["best_test_acc"]
        ok = grp[acc_pct >= dense_pct - tolerance - 1e-9]
        best = ok.loc[ok["level"].idxmax()]
        best_pct = 100.0 * float(best["best_test_acc"])
        rows.append(
            (
                model,
                arm,
                dense_pct,
                int(best["level"]),
                float(best["pct_remaining"]),
                best_pct,
                best_pct - dense_pct,
            )
        )
    return pd.DataFrame(rows, columns=cols)


def runtime_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """Table 1: mean minutes per training level, deterministic vs Bayesian, per model.

    Uses IMP main runs (all Bayesian arms pooled). Columns: model, det_min, bayes_min,
    ratio (bayes/det), det_ips, bayes_ips (images per second); NaN where a side is missing.
    """
    cols = ["model", "det_min", "bayes_min", "ratio", "det_ips", "bayes_ips"]
    runs = imp_main(runs)
    if runs.empty:
        return pd.DataFrame(columns=cols)
    data = runs.assign(
        side=np.where(runs["bayesian"].astype(bool), "bayes", "det"),
        minutes=runs["train_seconds"].astype(float) / 60.0,
    )
    wide = data.pivot_table(
        index="model", columns="side", values=["minutes", "images_per_second"], aggfunc="mean"
    )
    out = pd.DataFrame(index=wide.index)
    for side in ("det", "bayes"):
        out[f"{side}_min"] = wide.get(("minutes", side), np.nan)
        out[f"{side}_ips"] = wide.get(("images_per_second", side), np.nan)
    out["ratio"] = out["bayes_min"] / out["det_min"]
    return out.reset_index()[cols]


def transplant_compute_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Cumulative training time to reach each level: full Bayesian IMP vs transplantation.

    For level k of each model:

    * full Bayesian  = sum over l <= k of the reference Bayesian arm's IMP train_seconds,
    * transplant     = the transplant run's ticket_search_seconds (the deterministic IMP
      train_seconds of levels l < k, summed by the aggregation) + its train_seconds,
    * saved_pct      = 100 * (1 - transplant / full Bayesian).

    Seeds are averaged per level first. A level that needs a missing level is left out.
    Columns: model, level, pct_remaining, bayes_arm, full_bayes_min, transplant_min,
    saved_pct (times in minutes).
    """
    cols = [
        "model",
        "level",
        "pct_remaining",
        "bayes_arm",
        "full_bayes_min",
        "transplant_min",
        "saved_pct",
    ]
    arm = bayes_reference_arm(runs)
    transplant = select(runs, branch=TRANSPLANT)
    if arm is None or transplant.empty:
        return pd.DataFrame(columns=cols)
    main = imp_main(runs)
    frames = []
    for model, tp in transplant.groupby("model", sort=True):
        levels = pd.RangeIndex(int(tp["level"].max()) + 1)
        bayes = select(main, model=model, arm=arm)
        full = _mean_per_level(bayes["train_seconds"], bayes, levels).cumsum(skipna=False)
        tp_secs = _mean_per_level(tp["ticket_search_seconds"] + tp["train_seconds"], tp, levels)
        frac = tp.groupby("level")["remaining_fraction"].mean().reindex(levels)
        frame = pd.DataFrame(
            {
                "model": model,
                "level": levels,
                "pct_remaining": 100.0 * frac.to_numpy(),
                "bayes_arm": arm,
                "full_bayes_min": full.to_numpy() / 60.0,
                "transplant_min": tp_secs.to_numpy() / 60.0,
            }
        )
        frames.append(frame.dropna())
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    out["saved_pct"] = 100.0 * (1.0 - out["transplant_min"] / out["full_bayes_min"])
    return out[cols]


def _mean_per_level(seconds: pd.Series, runs: pd.DataFrame, levels: pd.Index) -> pd.Series:
    """Mean of ``seconds`` (a column of ``runs``) over seeds for each level in ``levels``
    (NaN where missing)."""
    return seconds.groupby(runs["level"]).mean().reindex(levels).astype(float)


def compute_strategies(frame: pd.DataFrame) -> dict[str, str]:
    """The two strategies of :func:`transplant_compute_table` ``frame``: column -> name."""
    return {
        "full_bayes_min": f"full Bayesian IMP ({frame['bayes_arm'].iloc[0]})",
        "transplant_min": "deterministic IMP + transplant",
    }


def compute_long(frame: pd.DataFrame, strategies: dict[str, str]) -> pd.DataFrame:
    """:func:`transplant_compute_table` ``frame`` with one row per (level, strategy): columns
    model, level, pct_remaining, saved_pct, strategy, minutes, label (the % saved, on the
    transplant's every fifth and last level, else "")."""
    long = frame.melt(
        id_vars=["model", "level", "pct_remaining", "saved_pct"],
        value_vars=list(strategies),
        var_name="strategy",
        value_name="minutes",
    )
    long["strategy"] = long["strategy"].map(strategies)
    last = long.groupby("model")["level"].transform("max")
    show = (long["strategy"] == strategies["transplant_min"]) & (
        (long["level"] % 5 == 0) | (long["level"] == last)
    )
    long["label"] = np.where(show, [f"−{s:.0f}%" for s in long["saved_pct"]], "")
    return long


def formatted(values: pd.Series, spec: str) -> list[str]:
    """``values`` formatted with ``spec``, :data:`MISSING` for NaN."""
    return [MISSING if pd.isna(v) else format(v, spec) for v in values]


def runtime_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`runtime_frame` as the formatted rows of Table 1 (first column: model)."""
    ratio = formatted(frame["ratio"], ".2f")
    return pd.DataFrame(
        {
            "model": frame["model"],
            "det. min/level": formatted(frame["det_min"], ".1f"),
            "Bayesian min/level": formatted(frame["bayes_min"], ".1f"),
            "ratio": [s if s == MISSING else f"{s}×" for s in ratio],
            "det. images/s": formatted(frame["det_ips"], ",.0f"),
            "Bayesian images/s": formatted(frame["bayes_ips"], ",.0f"),
        }
    )


def matching_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`matching_table` as formatted rows (first column: "model · arm")."""
    return pd.DataFrame(
        {
            "model · arm": frame["model"] + " · " + frame["arm"],
            "dense acc. (%)": formatted(frame["dense_acc"], ".2f"),
            "sparsest matching level": frame["level"].astype(str),
            "% remaining": formatted(frame["pct_remaining"], ".3g"),
            "acc. (%)": formatted(frame["acc"], ".2f"),
            "Δ (pts)": formatted(frame["delta_pts"], "+.2f"),
        }
    )
