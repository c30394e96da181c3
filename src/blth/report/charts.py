"""The per-experiment report figures (rule ``figure``), one builder each, in :data:`REGISTRY`.

Builders follow :mod:`blth.report.registry`: they return ``None`` when the data they need is
absent (an arm, branch or chain that was not run); :data:`NEEDS` ``[figure]`` says what. Each
takes its frame from :mod:`blth.report.curves`, :mod:`~blth.report.summaries` or
:mod:`~blth.report.frames` and draws it with :mod:`blth.report.encodings`; points from
repeated seeds are pooled (mean line, min-max band when more than one seed ran).
"""

from __future__ import annotations

import altair as alt

from blth.report import curves as cv
from blth.report import frames as fr
from blth.report import summaries as sm
from blth.report.encodings import (
    REMAINING_TOOLTIP,
    arm_color,
    color,
    curve_chart,
    facet,
    level_color,
    line_and_points,
    ordered,
    run_tooltips,
    text_table,
    tooltips,
    x_remaining,
)
from blth.report.registry import Chart, Registry, Tables
from blth.report.tables import DET_ARM, RANDOM_BRANCHES

# Result tables can be large (per-epoch curves); the charts embed their data inline.
alt.data_transformers.disable_max_rows()

#: The per-experiment figures (rule ``figure``), in report order: id -> builder, needs.
REGISTRY = Registry()
FIGURES, NEEDS, build = REGISTRY.figures, REGISTRY.needs, REGISTRY.build
_figure = REGISTRY.figure


@_figure("accuracy_mace", "IMP runs (chain imp, branch main) in runs.parquet")
def accuracy_mace(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 1: best test accuracy and MACE vs % remaining, one line per arm."""
    long = cv.arm_curves(tables["runs"], [cv.ACC, cv.MACE])
    title = "Test accuracy and MACE of IMP tickets (Fig. 1)"
    return curve_chart(long, title, "arm", black=DET_ARM)


@_figure("layer_sparsity", "per-layer counts of IMP runs in layers.parquet")
def layer_sparsity(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 2: layer-wise remaining fraction vs layer index at the sparsest IMP level."""
    data = fr.sparsest_layers(tables["layers"])
    if data.empty:
        return None
    col = arm_color(data)
    x = alt.X("index:Q", title="layer index")
    y = alt.Y("pct_remaining:Q", title="% of layer weights remaining")
    tooltip = tooltips(
        "model:N",
        "arm:N",
        "level:Q",
        "name:N",
        "index:Q",
        "n_weights:Q",
        "n_remaining:Q",
        REMAINING_TOOLTIP,
    )
    title = "Layer-wise sparsity at the sparsest IMP level (Fig. 2)"
    return facet(line_and_points(x, y, col, tooltip), data, title, independent="x")


@_figure("randomisation", "IMP runs with branch reinit or shuffle_* in runs.parquet")
def randomisation(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 4: reinitialised / shuffled tickets vs the IMP ticket, per arm."""
    long = cv.randomisation_curves(tables["runs"])
    title = "Randomised tickets vs the IMP ticket (Fig. 4)"
    domain = [cv.IMP_TICKET, *RANDOM_BRANCHES]
    return curve_chart(long, title, "branch", black=cv.IMP_TICKET, domain=domain)


@_figure("transplant", "transplant runs (branch transplant) in runs.parquet")
def transplant(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 5/9: transplanted tickets vs deterministic and Bayesian IMP tickets."""
    long, names = cv.transplant_curves(tables["runs"])
    if long.empty:
        return None
    domain = [n for n in names.values() if n in set(long["series"])]
    title = "Transplanted tickets vs deterministic and Bayesian IMP (Fig. 5/9)"
    return curve_chart(long, title, "ticket", black=names["det"], domain=domain)


@_figure("transplant_compute", "transplant runs plus det and Bayesian IMP runs (train_seconds)")
def transplant_compute(tables: Tables, tolerance: float) -> Chart | None:
    """Cumulative training time: full Bayesian IMP vs deterministic IMP + one VI training."""
    frame = sm.transplant_compute_table(tables["runs"])
    if frame.empty:
        return None
    strategies = sm.compute_strategies(frame)
    long = sm.compute_long(frame, strategies)
    x = x_remaining(long["pct_remaining"])
    y = alt.Y("minutes:Q", title="cumulative training time (min)")
    col = color("strategy", "strategy", list(strategies.values()))
    tooltip = tooltips(
        "model:N",
        "strategy:N",
        "level:Q",
        REMAINING_TOOLTIP,
        alt.Tooltip("minutes:Q", format=".1f"),
        alt.Tooltip("saved_pct:Q", title="% saved by transplant", format=".1f"),
    )
    labels = (
        alt.Chart()
        .transform_filter("datum.label != ''")
        .mark_text(dy=14, fontSize=10)
        .encode(x=x, y=y, text="label:N", color=col)
    )
    title = "Cumulative training time to reach each level; labels: % saved by transplantation"
    return facet([*line_and_points(x, y, col, tooltip), labels], long, title)


@_figure("cost_frontier", "IMP or transplant runs (with their cost columns) in runs.parquet")
def cost_frontier(tables: Tables, tolerance: float) -> Chart | None:
    """Test accuracy against multiply-accumulates per prediction: deterministic and Bayesian
    IMP tickets, transplants and ensembles of tickets across seeds (blth.evaluation.cost,
    blth.evaluation.ensembles)."""
    frame = fr.cost_frontier_frame(tables["runs"], tables["ensembles"])
    if frame.empty:
        return None
    x = alt.X(
        "predictive_macs:Q",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(format="~s"),  # 2M, not 2,000,000: a panel's labels stay apart
        title="MACs per prediction (unpruned weights × S samples, log scale)",
    )
    y = alt.Y("accuracy:Q", title="test accuracy (%)", scale=alt.Scale(zero=False))
    col = color("series", "ticket", ordered(frame["series"], first=DET_ARM), black=DET_ARM)
    tooltip = tooltips(
        "model:N",
        "series:N",
        "level:Q",
        REMAINING_TOOLTIP,
        alt.Tooltip("accuracy:Q", format=".2f"),
        alt.Tooltip("predictive_macs:Q", title="MACs per prediction", format=",.0f"),
        alt.Tooltip("storage_bytes:Q", title="bytes to store", format=",.0f"),
    )
    title = "Accuracy against inference cost: tickets, transplants and ensembles of tickets"
    # one cost axis per model: LeNet's and VGG-11's costs lie four decades apart
    return facet(line_and_points(x, y, col, tooltip), frame, title, independent="x")


@_figure("lrr", "runs with chain lrr in runs.parquet")
def lrr(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 8: learning-rate rewinding chain vs IMP chain, per arm."""
    long = cv.lrr_curves(tables["runs"])
    return curve_chart(long, "LRR vs IMP tickets (Fig. 8)", "chain", black="IMP")


@_figure("runtime_table", "IMP runs with train_seconds in runs.parquet")
def runtime_table(tables: Tables, tolerance: float) -> Chart | None:
    """Table 1: mean minutes per training level, deterministic vs Bayesian."""
    frame = sm.runtime_frame(tables["runs"])
    if frame.empty:
        return None
    rows = sm.runtime_rows(frame)
    title = "Mean training time per IMP level (Table 1)"
    return text_table(rows, "model", list(rows.columns[1:]), title)


@_figure("reliability", "calibration bins of IMP runs (calibration.parquet) and runs.parquet")
def reliability(tables: Tables, tolerance: float) -> Chart | None:
    """Reliability diagrams: dense level 0 vs the sparsest matching ticket, per arm."""
    data = fr.reliability_frame(tables["calibration"], tables["runs"], tolerance)
    if data.empty:
        return None
    unit = alt.Scale(domain=[0, 1])
    x = alt.X("mean_confidence:Q", title="confidence", scale=unit)
    y = alt.Y("accuracy:Q", title="accuracy", scale=unit)
    col = color("ticket", "ticket", [fr.DENSE, fr.SPARSEST], black=None)
    tooltip = run_tooltips(
        "bin:Q",
        "count:Q",
        alt.Tooltip("mean_confidence:Q", format=".3f"),
        alt.Tooltip("accuracy:Q", format=".3f"),
    )
    diagonal = (
        alt.Chart()
        .transform_aggregate(n="count()")
        .mark_rule(color="gray", strokeDash=[4, 4])
        .encode(x=alt.datum(0), y=alt.datum(0), x2=alt.datum(1), y2=alt.datum(1))
    )
    layers = [diagonal, *line_and_points(x, y, col, tooltip, size=24)]
    title = f"Reliability: dense vs sparsest matching ticket (tolerance {tolerance:g} pts)"
    arms = ordered(data["arm"], first=DET_ARM)
    return facet(layers, data, title, row="arm", row_sort=arms, independent="")


@_figure("nll_ece", "IMP runs with nll or ece in runs.parquet")
def nll_ece(tables: Tables, tolerance: float) -> Chart | None:
    """Test NLL and ECE vs % remaining, one line per arm."""
    long = cv.arm_curves(tables["runs"], [cv.NLL, cv.ECE])
    return curve_chart(long, "Test NLL and ECE of IMP tickets", "arm", black=DET_ARM)


@_figure("training_curves", "per-epoch rows of IMP runs in epochs.parquet")
def training_curves(tables: Tables, tolerance: float) -> Chart | None:
    """Test accuracy per epoch, one line per level, per arm and model."""
    data = fr.training_curves_frame(tables["epochs"], tables["runs"])
    if data.empty:
        return None
    line = (
        alt.Chart()
        .mark_line(strokeWidth=1, opacity=0.85)
        .encode(
            x=alt.X("epoch:Q", title="epoch"),
            y=alt.Y("test_acc:Q", title="test accuracy (%)", scale=alt.Scale(zero=False)),
            color=level_color(),
            tooltip=run_tooltips(),
        )
    )
    title = "Test accuracy per epoch of IMP tickets, by level"
    return facet([line], data, title, row="arm", row_sort=ordered(data["arm"], DET_ARM))


@_figure("matching_summary", "IMP runs with a dense level 0 in runs.parquet")
def matching_summary(tables: Tables, tolerance: float) -> Chart | None:
    """Table: per model and arm, the sparsest level within ``tolerance`` of dense."""
    frame = sm.matching_table(tables["runs"], tolerance)
    if frame.empty:
        return None
    rows = sm.matching_rows(frame)
    title = f"Sparsest matching ticket (within {tolerance:g} points of dense accuracy)"
    return text_table(rows, "model · arm", list(rows.columns[1:]), title, width=140)
