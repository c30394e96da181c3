"""The figures of uncertainty under shift (``evaluation.shift``; tables shift and ood), in the
per-experiment registry: detection AUROC against % remaining, ECE against severity."""

from __future__ import annotations

import altair as alt
import pandas as pd

from blth.report.charts import REGISTRY
from blth.report.encodings import (
    REMAINING_TOOLTIP,
    arm_color,
    facet,
    line_and_points,
    ticket_layers,
    tooltips,
    x_remaining,
)
from blth.report.frames import DENSE, SERIES_KEYS, SPARSEST, dense_and_sparsest, with_remaining
from blth.report.registry import Chart, Tables
from blth.report.tables import TICKET_KEYS, pool_seeds


def detection_frame(ood: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """AUROC and AUPR per model, arm, level, out-of-distribution set and score (IMP tickets,
    mean over seeds), with ``panel`` = "<set>: <score>"."""
    data = with_remaining(ood, runs)
    pooled = pool_seeds(data, ["auroc", "aupr"], [*SERIES_KEYS, "ood", "score"])
    return pooled.assign(panel=pooled["ood"] + ": " + pooled["score"])


def severity_frame(shift: pd.DataFrame, runs: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """ECE and accuracy per corruption and severity of the dense (level 0) and the sparsest
    matching IMP ticket of every arm, mean over seeds; ``ticket`` says which."""
    chosen = dense_and_sparsest(shift, runs, tolerance)
    if chosen.empty:
        return pd.DataFrame(columns=[*TICKET_KEYS, "corruption", "severity", "ticket", "ece"])
    pooled = chosen.groupby([*TICKET_KEYS, "ticket", "corruption", "severity"], as_index=False)[
        ["ece", "acc"]
    ].mean()
    pooled["series"] = pooled["arm"] + ", " + pooled["ticket"]
    return pooled


@REGISTRY.figure("ood_detection", "out-of-distribution rows (ood.parquet) of IMP runs")
def ood_detection(tables: Tables, tolerance: float) -> Chart | None:
    """AUROC of telling the out-of-distribution sets apart vs % remaining, one line per arm."""
    frame = detection_frame(tables["ood"], tables["runs"])
    if frame.empty:
        return None
    x = x_remaining(frame["pct_remaining"])
    y = alt.Y("auroc:Q", title="AUROC (out of distribution vs test set)")
    col = arm_color(frame)
    tip = tooltips(
        "model:N", "arm:N", "panel:N", "level:Q", REMAINING_TOOLTIP,
        alt.Tooltip("auroc:Q", format=".3f"), alt.Tooltip("aupr:Q", format=".3f"),
    )  # fmt: skip
    title = "Out-of-distribution detection vs % remaining (AUROC; rows: set and score)"
    return facet(line_and_points(x, y, col, tip), frame, title, row="panel")


@REGISTRY.figure("shift_calibration", "corrupted-set rows (shift.parquet) of IMP runs")
def shift_calibration(tables: Tables, tolerance: float) -> Chart | None:
    """ECE vs corruption severity: dense vs the sparsest matching ticket, per arm."""
    frame = severity_frame(tables["shift"], tables["runs"], tolerance)
    if frame.empty:
        return None
    x = alt.X("severity:O", title="severity")
    y = alt.Y("ece:Q", title="ECE")
    col = arm_color(frame)
    tip = tooltips(
        "model:N", "arm:N", "ticket:N", "level:Q", "corruption:N", "severity:O",
        alt.Tooltip("ece:Q", format=".3f"), alt.Tooltip("acc:Q", format=".3f"),
    )  # fmt: skip
    layers = ticket_layers(x, y, col, tip, [DENSE, SPARSEST])
    title = "ECE under corruption: dense vs sparsest matching ticket (rows: corruption)"
    return facet(layers, frame, title, row="corruption")
