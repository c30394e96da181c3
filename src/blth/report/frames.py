"""The frames of the figures that are not curves vs % remaining: per-layer sparsity,
reliability diagrams and per-epoch test accuracy, all of IMP tickets (chain imp, branch main),
and accuracy against inference cost (IMP tickets, transplants and ensembles of tickets).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from blth.lottery.branches import IMP
from blth.report.summaries import matching_table
from blth.report.tables import (
    MATCH_TOLERANCE,
    TICKET_KEYS,
    TRANSPLANT,
    imp_main,
    pool_seeds,
    select,
    ticket_remaining,
)

#: The two tickets of a reliability diagram.
DENSE, SPARSEST = "dense (level 0)", "sparsest matching"
#: The series of transplanted tickets in the cost frontier (the others are the IMP arms).
TRANSPLANTED = "transplant (det ticket → VI)"
COST_METRICS = ["acc_mean", "predictive_macs", "storage_bytes"]


SERIES_KEYS = ["model", "arm", "chain", "branch", "level"]


def with_remaining(table: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """IMP main rows of ``table`` with their run's ``remaining_fraction``."""
    keys = [*SERIES_KEYS, "seed"]
    remaining = runs[[*keys, "remaining_fraction"]]
    return imp_main(table).merge(remaining, on=keys, how="inner")


def dense_and_sparsest(table: pd.DataFrame, runs: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """The IMP main rows of ``table`` at each arm's dense level 0 and its sparsest matching
    ticket (every seed), with ``ticket`` = :data:`DENSE` or :data:`SPARSEST`; empty when no
    ticket matches."""
    match = matching_table(runs, tolerance)
    data = imp_main(table)
    if match.empty or data.empty:
        return data.iloc[0:0].assign(ticket=pd.Series(dtype=str))
    levels = pd.concat([match[["model", "arm"]].assign(level=0), match[["model", "arm", "level"]]])
    chosen = data.merge(levels.drop_duplicates(), on=TICKET_KEYS)
    return chosen.assign(ticket=np.where(chosen["level"] == 0, DENSE, SPARSEST))


def sparsest_layers(layers: pd.DataFrame) -> pd.DataFrame:
    """Layer-wise remaining fraction at each (model, arm)'s sparsest IMP main level.

    Seeds are pooled (sums of weights). Columns: model, arm, level, index, name, n_weights,
    n_remaining, pct_remaining (percent of the layer's weights remaining).
    """
    cols = [*TICKET_KEYS, "index", "name", "n_weights", "n_remaining"]
    data = imp_main(layers)
    if data.empty:
        return pd.DataFrame(columns=[*cols, "pct_remaining"])
    last = data.groupby(["model", "arm"])["level"].transform("max")
    data = data[data["level"] == last]
    out = data.groupby([*TICKET_KEYS, "index", "name"], as_index=False)[
        ["n_weights", "n_remaining"]
    ].sum()
    n_weights = out["n_weights"].where(out["n_weights"] > 0)
    out["pct_remaining"] = 100.0 * out["n_remaining"] / n_weights
    return out[[*cols, "pct_remaining"]]


def reliability_frame(
    calibration: pd.DataFrame, runs: pd.DataFrame, tolerance: float = MATCH_TOLERANCE
) -> pd.DataFrame:
    """Reliability-diagram points: dense level 0 vs the sparsest matching ticket per arm.

    Bins of IMP main runs are pooled over seeds (count-weighted means); empty bins are
    dropped. Columns: model, arm, level, pct_remaining, ticket ("dense (level 0)" or
    "sparsest matching"), bin, count, mean_confidence, accuracy.
    """
    cols = [
        *TICKET_KEYS,
        "pct_remaining",
        "ticket",
        "bin",
        "count",
        "mean_confidence",
        "accuracy",
    ]
    match = matching_table(runs, tolerance)
    calib = imp_main(calibration)
    if match.empty or calib.empty:
        return pd.DataFrame(columns=cols)
    calib = calib[calib["count"] > 0].dropna(subset=["mean_confidence", "accuracy"])
    calib = calib.assign(
        w_conf=calib["mean_confidence"] * calib["count"], w_acc=calib["accuracy"] * calib["count"]
    )
    pct = ticket_remaining(runs).set_index(TICKET_KEYS)["pct_remaining"]
    frames = []
    for row in match.itertuples(index=False):
        part = select(calib, model=row.model, arm=row.arm, level=sorted({0, row.level}))
        if part.empty:
            continue
        pooled = part.groupby([*TICKET_KEYS, "bin"], as_index=False)[
            ["count", "w_conf", "w_acc"]
        ].sum()
        pooled["mean_confidence"] = pooled["w_conf"] / pooled["count"]
        pooled["accuracy"] = pooled["w_acc"] / pooled["count"]
        pooled["ticket"] = np.where(pooled["level"] == 0, DENSE, SPARSEST)
        index = pd.MultiIndex.from_frame(pooled[TICKET_KEYS])
        pooled["pct_remaining"] = pct.reindex(index).to_numpy()
        frames.append(pooled[cols])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def epoch_curves(epochs: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy (percent) per epoch of IMP main runs, mean over seeds."""
    cols = [*TICKET_KEYS, "epoch", "test_acc"]
    data = imp_main(epochs)
    if data.empty:
        return pd.DataFrame(columns=cols)
    out = data.groupby([*TICKET_KEYS, "epoch"], as_index=False)["test_acc"].mean()
    out["test_acc"] = (100.0 * out["test_acc"]).round(3)
    return out[cols]


def training_curves_frame(epochs: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """:func:`epoch_curves` with each ticket's pct_remaining (NaN where runs lacks it)."""
    data = epoch_curves(epochs)
    if data.empty:
        return data
    return data.merge(ticket_remaining(runs), on=TICKET_KEYS, how="left")


def ensemble_series(ensembles: pd.DataFrame) -> pd.Series:
    """The name of each ensemble row's series: ``det ensemble ×2`` (arm, chain if not IMP,
    number of members)."""
    chain = ensembles["chain"].map(lambda c: "" if c == IMP else f" {c}")
    return ensembles["arm"] + chain + " ensemble ×" + ensembles["members"].astype(str)


def cost_frontier_frame(runs: pd.DataFrame, ensembles: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per model, series (IMP arm, :data:`TRANSPLANTED`, or an ensemble of an arm's tickets
    across seeds) and level: the test accuracy of the final weights (``accuracy``, %, mean over
    seeds), MACs per prediction and bytes to store; empty without IMP or transplant runs."""
    planted = select(runs, branch=TRANSPLANT)
    tickets = pd.concat([imp_main(runs), planted])
    if tickets.empty:
        return pd.DataFrame(columns=["model", "series", "level", "accuracy", *COST_METRICS])
    series = tickets["arm"].where(tickets["branch"] != TRANSPLANT, TRANSPLANTED)
    pooled = pool_seeds(tickets.assign(series=series), COST_METRICS, ["model", "series", "level"])
    frame = pooled.assign(accuracy=100.0 * pooled["acc_mean"])
    if ensembles is None or ensembles.empty:
        return frame
    joint = ensembles.assign(
        series=ensemble_series(ensembles),
        accuracy=100.0 * ensembles["acc"],
        acc_mean=ensembles["acc"],
        pct_remaining=100.0 * ensembles["remaining_fraction"],
    )
    return pd.concat([frame, joint[[c for c in frame.columns if c in joint.columns]]])
