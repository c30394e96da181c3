"""The figures of uncertainty under shift (``evaluation.shift``; tables shift and ood), in the
per-experiment registry: detection AUROC against % remaining, ECE against severity."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from blth.report.charts import REGISTRY
from blth.report.encodings import (
    REMAINING_TOOLTIP,
    color,
    facet,
    line_and_points,
    ordered,
    tooltips,
    x_remaining,
)
from blth.report.frames import DENSE, SPARSEST
from blth.report.registry import Chart, Tables
from blth.report.summaries import matching_table
from blth.report.tables import DET_ARM, TICKET_KEYS, imp_main, pool_seeds

SERIES_KEYS = ["model", "arm", "chain", "branch", "level"]


def _with_remaining(table: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """IMP main rows of ``table`` with their run's ``remaining_fraction``."""
    keys = [*SERIES_KEYS, "seed"]
    remaining = runs[[*keys, "remaining_fraction"]]
    return imp_main(table).merge(remaining, on=keys, how="inner")


def detection_frame(ood: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """AUROC and AUPR per model, arm, level, out-of-distribution set and score (IMP tickets,
    mean over seeds), with ``panel`` = "<set>: <score>"."""
    data = _with_remaining(ood, runs)
    pooled = pool_seeds(data, ["auroc", "aupr"], [*SERIES_KEYS, "ood", "score"])
    return pooled.assign(panel=pooled["ood"] + ": " + pooled["score"])


def severity_frame(shift: pd.DataFrame, runs: pd.DataFrame, tolerance: float) -> pd.DataFrame:
    """ECE and accuracy per corruption and severity of the dense (level 0) and the sparsest
    matching IMP ticket of every arm, mean over seeds; ``ticket`` says which."""
    match = matching_table(runs, tolerance)
    data = imp_main(shift)
    if match.empty or data.empty:
        return pd.DataFrame(columns=[*TICKET_KEYS, "corruption", "severity", "ticket", "ece"])
    levels = pd.concat([match[["model", "arm"]].assign(level=0), match[["model", "arm", "level"]]])
    chosen = data.merge(levels.drop_duplicates(), on=TICKET_KEYS)
    pooled = chosen.groupby([*TICKET_KEYS, "corruption", "severity"], as_index=False)[
        ["ece", "acc"]
    ].mean()
    pooled["ticket"] = np.where(pooled["level"] == 0, DENSE, SPARSEST)
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
    col = color("arm", "arm", ordered(frame["arm"], first=DET_ARM), black=DET_ARM)
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
    col = color("arm", "arm", ordered(frame["arm"], first=DET_ARM), black=DET_ARM)
    dash = alt.StrokeDash("ticket:N", title="ticket", sort=[DENSE, SPARSEST])
    tip = tooltips(
        "model:N", "arm:N", "ticket:N", "level:Q", "corruption:N", "severity:O",
        alt.Tooltip("ece:Q", format=".3f"), alt.Tooltip("acc:Q", format=".3f"),
    )  # fmt: skip
    base = alt.Chart()
    layers = [
        base.mark_line(strokeWidth=1.5).encode(
            x=x, y=y, color=col, strokeDash=dash, detail="series:N"
        ),
        base.mark_point(filled=True, size=28).encode(x=x, y=y, color=col, tooltip=tip),
    ]
    title = "ECE under corruption: dense vs sparsest matching ticket (rows: corruption)"
    return facet(layers, frame, title, row="corruption")
