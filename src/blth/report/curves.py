"""The long frames of the curve figures: a metric of the runs vs % remaining, seeds pooled.

:func:`curve_frame` reshapes the runs table into one row per (curve point, metric); the
functions below it pick the runs and name the series of each curve figure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from blth.report import tables as tb
from blth.report.encodings import ordered

#: Names a curve's series from the pooled rows of its runs (one name per row).
SeriesOf = Callable[[pd.DataFrame], pd.Series | np.ndarray]

#: The series of the IMP ticket itself in the randomisation figure.
IMP_TICKET = "IMP ticket (main)"

LONG_COLUMNS = [
    "pct_remaining",
    "n_seeds",
    "series",
    "panel",
    "metric",
    "value",
    "band_lo",
    "band_hi",
    "err_lo",
    "err_hi",
    "accuracy",
    "mace",
]


@dataclass(frozen=True)
class Metric:
    """A runs.parquet column plotted against % remaining, times ``scale`` (100: percent)."""

    column: str
    label: str
    scale: float = 1.0
    std: str | None = None  # column with the std over repeated evaluation passes


ACC = Metric("best_test_acc", "Test accuracy (%)", 100.0, "acc_std")
MACE = Metric("mace", "MACE")
NLL = Metric("nll", "NLL")
ECE = Metric("ece", "ECE")


def curve_frame(
    runs: pd.DataFrame,
    metrics: Sequence[Metric],
    series: SeriesOf,
    panel: str | None = None,
    keys: Sequence[str] = tb.CURVE_KEYS,
) -> pd.DataFrame:
    """Long frame of curve points: one row per (curve point, metric), seeds pooled.

    Columns: ``keys`` (model, arm, chain, branch, level), pct_remaining, n_seeds, series, panel,
    metric, value, band_lo/band_hi (range over seeds), err_lo/err_hi (mean +- std over
    evaluation passes, NaN for metrics without one), accuracy and mace (for tooltips).
    ``panel`` names a column that splits rows of facets; with several metrics the
    metric's label is part of the panel name.
    """
    columns = list(dict.fromkeys([m.column for m in metrics] + ["best_test_acc", "mace"]))
    stds = [m.std for m in metrics if m.std]
    pooled = tb.pool_seeds(runs, columns + stds, keys)
    if pooled.empty:
        return pooled
    if panel is not None:  # rows of panels in arm order, deterministic first
        rank = {v: i for i, v in enumerate(ordered(pooled[panel], first=tb.DET_ARM))}
        pooled = pooled.sort_values(panel, key=lambda s: s.astype(str).map(rank), kind="stable")
        pooled = pooled.reset_index(drop=True)
    pooled["series"] = np.asarray(series(pooled)).astype(str)
    pooled["accuracy"] = 100.0 * pooled["best_test_acc"]
    frames = [_metric_rows(pooled, m, panel, several=len(metrics) > 1) for m in metrics]
    return pd.concat(frames, ignore_index=True)[[*keys, *LONG_COLUMNS]]


def _metric_rows(pooled: pd.DataFrame, m: Metric, panel: str | None, several: bool) -> pd.DataFrame:
    """The rows of metric ``m``: its value, seed band and error bar, and its panel's name."""
    part = pooled.assign(
        metric=m.label,
        value=m.scale * pooled[m.column],
        band_lo=m.scale * pooled[f"{m.column}_min"],
        band_hi=m.scale * pooled[f"{m.column}_max"],
        err=m.scale * pooled[m.std] if m.std else np.nan,
    )
    part["err_lo"] = part["value"] - part["err"]
    part["err_hi"] = part["value"] + part["err"]
    if panel is None:
        part["panel"] = m.label
    elif several:
        part["panel"] = part[panel].astype(str) + " · " + m.label
    else:
        part["panel"] = part[panel].astype(str)
    return part.dropna(subset=["value"])


def arm_curves(runs: pd.DataFrame, metrics: Sequence[Metric]) -> pd.DataFrame:
    """IMP tickets, one series per arm."""
    return curve_frame(tb.imp_main(runs), metrics, series=lambda d: d["arm"])


def randomisation_curves(runs: pd.DataFrame) -> pd.DataFrame:
    """Accuracy of the randomised tickets and of :data:`IMP_TICKET`, one panel per arm that
    has a randomised branch."""
    runs = tb.select(runs, chain="imp", branch=["main", *tb.RANDOM_BRANCHES])
    arms = runs.loc[runs["branch"].isin(tb.RANDOM_BRANCHES), "arm"].unique()
    return curve_frame(
        tb.select(runs, arm=list(arms)),
        [ACC],
        series=lambda d: d["branch"].replace({"main": IMP_TICKET}),
        panel="arm",
    )


def transplant_curves(runs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Accuracy and MACE of the transplanted tickets and of the deterministic and reference
    Bayesian IMP tickets, and the series names (keys transplant, det, bayes); the frame is
    empty without transplant runs."""
    ref = tb.bayes_reference_arm(runs)
    names = {
        "transplant": "transplant (det ticket → VI)",
        "det": "deterministic IMP",
        "bayes": f"Bayesian IMP ({ref})",
    }
    planted = tb.select(runs, branch=tb.TRANSPLANT)
    if planted.empty:
        return planted, names
    main = tb.select(tb.imp_main(runs), arm=[tb.DET_ARM, ref])

    def series(d: pd.DataFrame) -> pd.Series:
        kind = np.where(d["arm"] == tb.DET_ARM, "det", "bayes")
        return pd.Series(np.where(d["branch"] == tb.TRANSPLANT, "transplant", kind)).map(names)

    long = curve_frame(pd.concat([main, planted]), [ACC, MACE], series=series)
    return long, names


def lrr_curves(runs: pd.DataFrame) -> pd.DataFrame:
    """Accuracy of the LRR and IMP chains (series "LRR", "IMP"), one panel per arm with LRR."""
    runs = tb.select(runs, branch="main", chain=["imp", "lrr"])
    arms = runs.loc[runs["chain"] == "lrr", "arm"].unique()
    return curve_frame(
        tb.select(runs, arm=list(arms)),
        [ACC],
        series=lambda d: d["chain"].str.upper(),
        panel="arm",
    )
