"""The figures of selective prediction (table selective, blth.evaluation.selective), in the
per-experiment
registry: AURC against % remaining, and the risk-coverage curve of the dense network beside its
sparsest matching ticket."""

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
from blth.shift import SCORES


def aurc_frame(selective: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """AURC per model, arm, level and score of the IMP tickets, mean over seeds (one row of the
    table per run and score: its AURC is on every coverage row)."""
    per_run = selective.drop_duplicates([*SERIES_KEYS, "seed", "score"])
    return pool_seeds(with_remaining(per_run, runs), ["aurc"], [*SERIES_KEYS, "score"])


def risk_coverage_frame(
    selective: pd.DataFrame, runs: pd.DataFrame, tolerance: float
) -> pd.DataFrame:
    """Selective risk per coverage by the top probability (``SCORES[0]``), of each arm's dense
    network and its sparsest matching IMP ticket, mean over seeds; ``ticket`` says which."""
    chosen = dense_and_sparsest(selective[selective["score"] == SCORES[0]], runs, tolerance)
    if chosen.empty:
        return pd.DataFrame(columns=[*TICKET_KEYS, "ticket", "coverage", "risk", "series"])
    keys = [*TICKET_KEYS, "ticket", "coverage"]
    pooled = chosen.groupby(keys, as_index=False)[["risk", "aurc"]].mean()
    return pooled.assign(series=pooled["arm"] + ", " + pooled["ticket"])


@REGISTRY.figure("selective_aurc", "selective-prediction rows (selective.parquet) of IMP runs")
def selective_aurc(tables: Tables, tolerance: float) -> Chart | None:
    """AURC vs % remaining, one line per arm; rows: the confidence score."""
    frame = aurc_frame(tables["selective"], tables["runs"])
    if frame.empty:
        return None
    x = x_remaining(frame["pct_remaining"])
    y = alt.Y("aurc:Q", title="AURC (lower is better)")
    col = arm_color(frame)
    tip = tooltips(
        "model:N", "arm:N", "score:N", "level:Q", REMAINING_TOOLTIP,
        alt.Tooltip("aurc:Q", format=".4f"),
    )  # fmt: skip
    title = "Selective prediction vs % remaining (AURC; rows: confidence score)"
    return facet(line_and_points(x, y, col, tip), frame, title, row="score")


@REGISTRY.figure("risk_coverage", "selective-prediction rows (selective.parquet) of IMP runs")
def risk_coverage(tables: Tables, tolerance: float) -> Chart | None:
    """Risk vs coverage by the top probability: dense vs the sparsest matching ticket."""
    frame = risk_coverage_frame(tables["selective"], tables["runs"], tolerance)
    if frame.empty:
        return None
    x = alt.X("coverage:Q", title="coverage (share of test images kept)")
    y = alt.Y("risk:Q", title="selective risk (error rate of those kept)")
    col = arm_color(frame)
    tip = tooltips(
        "model:N", "arm:N", "ticket:N", "level:Q", alt.Tooltip("coverage:Q", format=".2f"),
        alt.Tooltip("risk:Q", format=".4f"), alt.Tooltip("aurc:Q", format=".4f"),
    )  # fmt: skip
    layers = ticket_layers(x, y, col, tip, [DENSE, SPARSEST])
    title = "Risk-coverage by the top probability: dense vs sparsest matching ticket"
    return facet(layers, frame, title)
