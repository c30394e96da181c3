"""Altair chart builders, one per per-experiment report figure, in :data:`REGISTRY`.

Builders follow :mod:`blth.report.registry`: they return ``None`` when the data they need is
absent (an arm, branch or chain that was not run); :data:`NEEDS` ``[figure]`` says what.

Conventions: accuracies are plotted in percent; "% remaining" is
``100 * remaining_fraction`` on a reversed log axis (sparsity grows to the right, as in the
paper); charts are faceted by model (columns); points from repeated seeds are pooled (mean
line, min-max band when more than one seed ran).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from blth.report import tables as tb
from blth.report.registry import Chart, Registry, Tables

# Result tables can be large (per-epoch curves); the charts embed their data inline.
alt.data_transformers.disable_max_rows()

#: The per-experiment figures (rule ``figure``), in report order: id -> builder, needs.
REGISTRY = Registry()
FIGURES, NEEDS, build = REGISTRY.figures, REGISTRY.needs, REGISTRY.build
_figure = REGISTRY.figure

RANDOM_BRANCHES = ["reinit", "shuffle_global", "shuffle_even", "shuffle_layerwise"]
PALETTE = [
    "#4c78a8",
    "#f58518",
    "#e45756",
    "#72b7b2",
    "#54a24b",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
]
LOG_TICKS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]
PANEL_SIZE = {"width": 220, "height": 170}


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Metric:
    """A runs.parquet column plotted against % remaining."""

    column: str
    label: str
    scale: float = 1.0
    std: str | None = None  # column with the std over repeated evaluation passes


ACC = Metric("best_test_acc", "Test accuracy (%)", 100.0, "acc_std")
MACE = Metric("mace", "MACE")
NLL = Metric("nll", "NLL")
ECE = Metric("ece", "ECE")


def x_remaining(values: pd.Series, field: str = "pct_remaining") -> alt.X:
    """Reversed log-scale x axis of % weights remaining, ticked within the data range."""
    lo, hi = float(values.min()), float(values.max())
    ticks = [t for t in LOG_TICKS if lo / 1.5 <= t <= hi * 1.5] or None
    return alt.X(
        f"{field}:Q",
        title="% of weights remaining (log scale)",
        scale=alt.Scale(type="log", reverse=True, nice=False),
        axis=alt.Axis(values=ticks, format="~g"),
    )


def ordered(values: Sequence[str] | pd.Series, first: str | None = None) -> list[str]:
    """Sorted unique values with ``first`` (if present) moved to the front."""
    uniq = sorted({str(v) for v in values})
    if first in uniq:
        uniq.remove(first)
        uniq.insert(0, first)
    return uniq


def color(field: str, title: str, domain: list[str], black: str | None = None) -> alt.Color:
    """Nominal colour with a fixed domain; ``black`` (e.g. the deterministic arm) in black."""
    colours = iter(PALETTE * (len(domain) // len(PALETTE) + 1))
    rng = ["black" if value == black else next(colours) for value in domain]
    return alt.Color(
        f"{field}:N",
        title=title,
        sort=domain,
        scale=alt.Scale(domain=domain, range=rng),
        legend=alt.Legend(symbolOpacity=1),
    )


def facet(
    layers: Sequence[alt.Chart],
    data: pd.DataFrame,
    title: str,
    row: str | None = None,
    row_sort: list[str] | None = None,
    independent: str = "y",
    column: str = "model",
    column_sort: list[str] | None = None,
) -> Chart:
    """Layer ``layers`` over ``data`` and facet by ``column`` (model) and optionally ``row``."""
    inner = alt.layer(*layers, data=data).properties(**PANEL_SIZE)
    header = alt.Header(labelFontSize=13)
    kwargs = {"column": alt.Column(f"{column}:N", title=None, sort=column_sort, header=header)}
    if row is not None:
        kwargs["row"] = alt.Row(
            f"{row}:N", title=None, sort=row_sort, header=alt.Header(labelFontSize=12)
        )
    chart = inner.facet(**kwargs).properties(title=title)
    return chart.resolve_scale(**{independent: "independent"}) if independent else chart


def curve_frame(
    runs: pd.DataFrame,
    metrics: Sequence[Metric],
    series: Callable[[pd.DataFrame], pd.Series | np.ndarray],
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
    frames = []
    for m in metrics:
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
        elif len(metrics) > 1:
            part["panel"] = part[panel].astype(str) + " · " + m.label
        else:
            part["panel"] = part[panel].astype(str)
        frames.append(part.dropna(subset=["value"]))
    keep = [
        *keys,
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
    return pd.concat(frames, ignore_index=True)[keep]


def curve_tooltips(series_title: str) -> list[alt.Tooltip]:
    """Tooltips of a curve point: arm, series, level, % remaining, accuracy, MACE, ..."""
    return [
        alt.Tooltip("model:N"),
        alt.Tooltip("arm:N"),
        alt.Tooltip("series:N", title=series_title),
        alt.Tooltip("level:Q"),
        alt.Tooltip("pct_remaining:Q", title="% remaining", format=".3g"),
        alt.Tooltip("accuracy:Q", title="accuracy (%)", format=".2f"),
        alt.Tooltip("mace:Q", title="MACE", format=".4f"),
        alt.Tooltip("metric:N"),
        alt.Tooltip("value:Q", format=".4g"),
        alt.Tooltip("n_seeds:Q", title="seeds"),
    ]


def curve_chart(
    long: pd.DataFrame,
    title: str,
    series_title: str,
    black: str | None = None,
    domain: list[str] | None = None,
) -> Chart | None:
    """:func:`curve_layers` faceted by model (columns) and panel (rows); ``None`` if empty."""
    if long.empty:
        return None
    layers = curve_layers(long, series_title, black, domain)
    return facet(layers, long, title, row="panel", row_sort=list(dict.fromkeys(long["panel"])))


def curve_layers(
    long: pd.DataFrame, series_title: str, black: str | None, domain: list[str] | None
) -> list[alt.Chart]:
    """Lines + points vs % remaining per series; error bars (std over evaluation passes)
    where the metric has them and a min-max band over seeds when several seeds ran."""
    domain = domain or ordered(long["series"], first=black)
    x = x_remaining(long["pct_remaining"])
    labels = long["metric"].unique()
    y_title = str(labels[0]) if len(labels) == 1 else None  # else: the row header names it
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False))
    col = color("series", series_title, domain, black)
    base = alt.Chart()
    layers = []
    if long["n_seeds"].max() > 1:
        layers.append(
            base.mark_area(opacity=0.15).encode(
                x=x, y=alt.Y("band_lo:Q", title=y_title), y2="band_hi:Q", color=col
            )
        )
    if long["err_lo"].notna().any():
        layers.append(
            base.transform_filter("isValid(datum.err_lo)")
            .mark_rule(opacity=0.7)
            .encode(x=x, y=alt.Y("err_lo:Q", title=y_title), y2="err_hi:Q", color=col)
        )
    layers.append(base.mark_line(strokeWidth=1.5).encode(x=x, y=y, color=col))
    layers.append(
        base.mark_point(filled=True, size=28).encode(
            x=x, y=y, color=col, tooltip=curve_tooltips(series_title)
        )
    )
    return layers


def text_table(
    rows: pd.DataFrame, row_label: str, columns: Sequence[str], title: str, width: int = 120
) -> Chart:
    """Render a small frame of already formatted strings as an Altair text table."""
    order = list(rows[row_label])
    long = rows.melt(id_vars=[row_label], value_vars=list(columns), var_name="column")
    long["value"] = long["value"].astype(str)
    no_axis = {"domain": False, "ticks": False, "title": None, "labelLimit": 300}
    return (
        alt.Chart(long)
        .mark_text(fontSize=12)
        .encode(
            x=alt.X(
                "column:N",
                sort=list(columns),
                axis=alt.Axis(orient="top", labelAngle=0, labelFontWeight="bold", **no_axis),
            ),
            y=alt.Y(f"{row_label}:N", sort=order, axis=alt.Axis(**no_axis)),
            text="value:N",
            tooltip=[alt.Tooltip(f"{row_label}:N"), "column:N", "value:N"],
        )
        .properties(title=title, width={"step": width}, height={"step": 24})
    )


def _fmt(values: pd.Series, spec: str) -> list[str]:
    return ["–" if pd.isna(v) else format(v, spec) for v in values]


# --------------------------------------------------------------------------- figures


@_figure("accuracy_mace", "IMP runs (chain imp, branch main) in runs.parquet")
def accuracy_mace(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 1: best test accuracy and MACE vs % remaining, one line per arm."""
    long = curve_frame(tb.imp_main(tables["runs"]), [ACC, MACE], series=lambda d: d["arm"])
    return curve_chart(
        long, "Test accuracy and MACE of IMP tickets (Fig. 1)", "arm", black=tb.DET_ARM
    )


@_figure("layer_sparsity", "per-layer counts of IMP runs in layers.parquet")
def layer_sparsity(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 2: layer-wise remaining fraction vs layer index at the sparsest IMP level."""
    data = tb.sparsest_layers(tables["layers"])
    if data.empty:
        return None
    col = color("arm", "arm", ordered(data["arm"], first=tb.DET_ARM), black=tb.DET_ARM)
    x = alt.X("index:Q", title="layer index")
    y = alt.Y("pct_remaining:Q", title="% of layer weights remaining")
    tooltip = ["model:N", "arm:N", "level:Q", "name:N", "index:Q", "n_weights:Q", "n_remaining:Q"]
    tooltip.append(alt.Tooltip("pct_remaining:Q", title="% remaining", format=".3g"))
    base = alt.Chart()
    layers = [
        base.mark_line(strokeWidth=1.5).encode(x=x, y=y, color=col),
        base.mark_point(filled=True, size=28).encode(x=x, y=y, color=col, tooltip=tooltip),
    ]
    title = "Layer-wise sparsity at the sparsest IMP level (Fig. 2)"
    return facet(layers, data, title, independent="x")


@_figure("randomisation", "IMP runs with branch reinit or shuffle_* in runs.parquet")
def randomisation(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 4: reinitialised / shuffled tickets vs the IMP ticket, per arm."""
    runs = tb.select(tables["runs"], chain="imp", branch=["main", *RANDOM_BRANCHES])
    arms = runs.loc[runs["branch"].isin(RANDOM_BRANCHES), "arm"].unique()
    runs = tb.select(runs, arm=list(arms))
    ticket = "IMP ticket (main)"
    long = curve_frame(
        runs, [ACC], series=lambda d: d["branch"].replace({"main": ticket}), panel="arm"
    )
    domain = [ticket, *RANDOM_BRANCHES]
    title = "Randomised tickets vs the IMP ticket (Fig. 4)"
    return curve_chart(long, title, "branch", black=ticket, domain=domain)


@_figure("transplant", "transplant runs (branch transplant) in runs.parquet")
def transplant(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 5/9: transplanted tickets vs deterministic and Bayesian IMP tickets."""
    runs = tables["runs"]
    planted = tb.select(runs, branch="transplant")
    if planted.empty:
        return None
    ref = tb.bayes_reference_arm(runs)
    main = tb.select(tb.imp_main(runs), arm=[tb.DET_ARM, ref])
    names = {
        "transplant": "transplant (det ticket → VI)",
        "det": "deterministic IMP",
        "bayes": f"Bayesian IMP ({ref})",
    }

    def series(d: pd.DataFrame) -> np.ndarray:
        kind = np.where(d["arm"] == tb.DET_ARM, "det", "bayes")
        return pd.Series(np.where(d["branch"] == "transplant", "transplant", kind)).map(names)

    long = curve_frame(pd.concat([main, planted]), [ACC, MACE], series=series)
    domain = [n for n in names.values() if n in set(long["series"])]
    title = "Transplanted tickets vs deterministic and Bayesian IMP (Fig. 5/9)"
    return curve_chart(long, title, "ticket", black=names["det"], domain=domain)


@_figure("transplant_compute", "transplant runs plus det and Bayesian IMP runs (train_seconds)")
def transplant_compute(tables: Tables, tolerance: float) -> Chart | None:
    """Cumulative training time: full Bayesian IMP vs deterministic IMP + one VI training."""
    frame = tb.transplant_compute_table(tables["runs"])
    if frame.empty:
        return None
    strategies = {
        "full_bayes_min": f"full Bayesian IMP ({frame['bayes_arm'].iloc[0]})",
        "transplant_min": "deterministic IMP + transplant",
    }
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
    x = x_remaining(long["pct_remaining"])
    y = alt.Y("minutes:Q", title="cumulative training time (min)")
    col = color("strategy", "strategy", list(strategies.values()))
    tooltip = [
        "model:N",
        "strategy:N",
        "level:Q",
        alt.Tooltip("pct_remaining:Q", title="% remaining", format=".3g"),
        alt.Tooltip("minutes:Q", format=".1f"),
        alt.Tooltip("saved_pct:Q", title="% saved by transplant", format=".1f"),
    ]
    base = alt.Chart()
    layers = [
        base.mark_line(strokeWidth=1.5).encode(x=x, y=y, color=col),
        base.mark_point(filled=True, size=28).encode(x=x, y=y, color=col, tooltip=tooltip),
        base.transform_filter("datum.label != ''")
        .mark_text(dy=14, fontSize=10)
        .encode(x=x, y=y, text="label:N", color=col),
    ]
    title = "Cumulative training time to reach each level; labels: % saved by transplantation"
    return facet(layers, long, title)


@_figure("lrr", "runs with chain lrr in runs.parquet")
def lrr(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 8: learning-rate rewinding chain vs IMP chain, per arm."""
    runs = tb.select(tables["runs"], branch="main", chain=["imp", "lrr"])
    arms = runs.loc[runs["chain"] == "lrr", "arm"].unique()
    long = curve_frame(
        tb.select(runs, arm=list(arms)),
        [ACC],
        series=lambda d: d["chain"].str.upper(),
        panel="arm",
    )
    return curve_chart(long, "LRR vs IMP tickets (Fig. 8)", "chain", black="IMP")


@_figure("runtime_table", "IMP runs with train_seconds in runs.parquet")
def runtime_table(tables: Tables, tolerance: float) -> Chart | None:
    """Table 1: mean minutes per training level, deterministic vs Bayesian."""
    frame = tb.runtime_frame(tables["runs"])
    if frame.empty:
        return None
    rows = pd.DataFrame(
        {
            "model": frame["model"],
            "det. min/level": _fmt(frame["det_min"], ".1f"),
            "Bayesian min/level": _fmt(frame["bayes_min"], ".1f"),
            "ratio": [s if s == "–" else f"{s}×" for s in _fmt(frame["ratio"], ".2f")],
            "det. images/s": _fmt(frame["det_ips"], ",.0f"),
            "Bayesian images/s": _fmt(frame["bayes_ips"], ",.0f"),
        }
    )
    title = "Mean training time per IMP level (Table 1)"
    return text_table(rows, "model", list(rows.columns[1:]), title)


@_figure("reliability", "calibration bins of IMP runs (calibration.parquet) and runs.parquet")
def reliability(tables: Tables, tolerance: float) -> Chart | None:
    """Reliability diagrams: dense level 0 vs the sparsest matching ticket, per arm."""
    data = tb.reliability_frame(tables["calibration"], tables["runs"], tolerance)
    if data.empty:
        return None
    unit = alt.Scale(domain=[0, 1])
    x = alt.X("mean_confidence:Q", title="confidence", scale=unit)
    y = alt.Y("accuracy:Q", title="accuracy", scale=unit)
    col = color("ticket", "ticket", ["dense (level 0)", "sparsest matching"], black=None)
    tooltip = [
        "model:N",
        "arm:N",
        "level:Q",
        alt.Tooltip("pct_remaining:Q", title="% remaining", format=".3g"),
        "bin:Q",
        "count:Q",
        alt.Tooltip("mean_confidence:Q", format=".3f"),
        alt.Tooltip("accuracy:Q", format=".3f"),
    ]
    base = alt.Chart()
    diagonal = (
        base.transform_aggregate(n="count()")
        .mark_rule(color="gray", strokeDash=[4, 4])
        .encode(x=alt.datum(0), y=alt.datum(0), x2=alt.datum(1), y2=alt.datum(1))
    )
    layers = [
        diagonal,
        base.mark_line(strokeWidth=1.5).encode(x=x, y=y, color=col),
        base.mark_point(filled=True, size=24).encode(x=x, y=y, color=col, tooltip=tooltip),
    ]
    title = f"Reliability: dense vs sparsest matching ticket (tolerance {tolerance:g} pts)"
    arms = ordered(data["arm"], first=tb.DET_ARM)
    return facet(layers, data, title, row="arm", row_sort=arms, independent="")


@_figure("nll_ece", "IMP runs with nll or ece in runs.parquet")
def nll_ece(tables: Tables, tolerance: float) -> Chart | None:
    """Test NLL and ECE vs % remaining, one line per arm."""
    long = curve_frame(tb.imp_main(tables["runs"]), [NLL, ECE], series=lambda d: d["arm"])
    return curve_chart(long, "Test NLL and ECE of IMP tickets", "arm", black=tb.DET_ARM)


@_figure("training_curves", "per-epoch rows of IMP runs in epochs.parquet")
def training_curves(tables: Tables, tolerance: float) -> Chart | None:
    """Test accuracy per epoch, one line per level, per arm and model."""
    data = tb.epoch_curves(tables["epochs"])
    if data.empty:
        return None
    pct = tb.pool_seeds(tb.imp_main(tables["runs"]), [])
    keys = ["model", "arm", "level"]
    data = data.merge(pct[[*keys, "pct_remaining"]], on=keys, how="left")
    tooltip = [
        "model:N",
        "arm:N",
        "level:Q",
        alt.Tooltip("pct_remaining:Q", title="% remaining", format=".3g"),
    ]
    line = (
        alt.Chart()
        .mark_line(strokeWidth=1, opacity=0.85)
        .encode(
            x=alt.X("epoch:Q", title="epoch"),
            y=alt.Y("test_acc:Q", title="test accuracy (%)", scale=alt.Scale(zero=False)),
            color=alt.Color("level:O", title="level", scale=alt.Scale(scheme="viridis")),
            tooltip=tooltip,
        )
    )
    title = "Test accuracy per epoch of IMP tickets, by level"
    return facet([line], data, title, row="arm", row_sort=ordered(data["arm"], tb.DET_ARM))


@_figure("matching_summary", "IMP runs with a dense level 0 in runs.parquet")
def matching_summary(tables: Tables, tolerance: float) -> Chart | None:
    """Table: per model and arm, the sparsest level within ``tolerance`` of dense."""
    frame = tb.matching_table(tables["runs"], tolerance)
    if frame.empty:
        return None
    rows = pd.DataFrame(
        {
            "model · arm": frame["model"] + " · " + frame["arm"],
            "dense acc. (%)": _fmt(frame["dense_acc"], ".2f"),
            "sparsest matching level": frame["level"].astype(str),
            "% remaining": _fmt(frame["pct_remaining"], ".3g"),
            "acc. (%)": _fmt(frame["acc"], ".2f"),
            "Δ (pts)": _fmt(frame["delta_pts"], "+.2f"),
        }
    )
    title = f"Sparsest matching ticket (within {tolerance:g} points of dense accuracy)"
    return text_table(rows, "model · arm", list(rows.columns[1:]), title, width=140)
