"""The report's shared chart vocabulary: colour and axis encodings, tooltips, the layers every
curve is drawn with, facets and text tables.

Conventions: accuracies in percent; "% remaining" (``100 * remaining_fraction``) on a reversed
log axis, so that sparsity grows to the right as in the paper; one column of panels per model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import altair as alt
import pandas as pd

from blth.report.registry import Chart
from blth.report.tables import DET_ARM

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

#: The tooltip of a point's % of weights remaining.
REMAINING_TOOLTIP = alt.Tooltip("pct_remaining:Q", title="% remaining", format=".3g")


def x_remaining(values: pd.Series, field: str = "pct_remaining") -> alt.X:
    """Reversed log-scale x axis of % weights remaining, ticked within the data range."""
    lo, hi = float(values.min()), float(values.max())
    ticks = [t for t in LOG_TICKS if lo / 1.5 <= t <= hi * 1.5]
    return alt.X(
        f"{field}:Q",
        title="% of weights remaining (log scale)",
        scale=alt.Scale(type="log", reverse=True, nice=False),
        axis=alt.Axis(values=ticks or alt.Undefined, format="~g"),  # none in range: Vega's
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


def arm_color(frame: pd.DataFrame) -> alt.Color:
    """Colour by the arms of ``frame``, the deterministic one first and black."""
    return color("arm", "arm", ordered(frame["arm"], first=DET_ARM), black=DET_ARM)


def level_color() -> alt.Color:
    """Ordinal colour of the pruning level (viridis: dense to sparse)."""
    return alt.Color("level:O", title="level", scale=alt.Scale(scheme="viridis"))


def tooltips(*fields: str | alt.Tooltip) -> list[alt.Tooltip]:
    """A tooltip list from ``"field:type"`` shorthands and ready tooltips, in that order."""
    return [f if isinstance(f, alt.Tooltip) else alt.Tooltip(f) for f in fields]


def run_tooltips(*extra: str | alt.Tooltip) -> list[alt.Tooltip]:
    """Tooltips naming one IMP ticket (model, arm, level, % remaining), then ``extra``."""
    return tooltips("model:N", "arm:N", "level:Q", REMAINING_TOOLTIP, *extra)


def line_and_points(
    x: alt.X, y: alt.Y, colour: alt.Color, tooltip: list[alt.Tooltip], size: int = 28
) -> list[alt.Chart]:
    """A line per colour and its filled points (``size`` in square pixels), which carry the
    tooltip."""
    base = alt.Chart()
    return [
        base.mark_line(strokeWidth=1.5).encode(x=x, y=y, color=colour),
        base.mark_point(filled=True, size=size).encode(x=x, y=y, color=colour, tooltip=tooltip),
    ]


def ticket_layers(
    x: alt.X, y: alt.Y, colour: alt.Color, tooltip: list[alt.Tooltip], tickets: list[str]
) -> list[alt.Chart]:
    """A line per ``series`` (coloured by arm, dashed by ``ticket`` in the order ``tickets``)
    and its filled points, which carry the tooltip."""
    dash = alt.StrokeDash("ticket:N", title="ticket", sort=tickets)
    base = alt.Chart()
    return [
        base.mark_line(strokeWidth=1.5).encode(
            x=x, y=y, color=colour, strokeDash=dash, detail="series:N"
        ),
        base.mark_point(filled=True, size=24).encode(x=x, y=y, color=colour, tooltip=tooltip),
    ]


def curve_tooltips(series_title: str) -> list[alt.Tooltip]:
    """Tooltips of a curve point: arm, series, level, % remaining, accuracy, MACE, ..."""
    return tooltips(
        "model:N",
        "arm:N",
        alt.Tooltip("series:N", title=series_title),
        "level:Q",
        REMAINING_TOOLTIP,
        alt.Tooltip("accuracy:Q", title="accuracy (%)", format=".2f"),
        alt.Tooltip("mace:Q", title="MACE", format=".4f"),
        "metric:N",
        alt.Tooltip("value:Q", format=".4g"),
        alt.Tooltip("n_seeds:Q", title="seeds"),
    )


def curve_layers(
    long: pd.DataFrame, series_title: str, black: str | None, domain: list[str] | None
) -> list[alt.Chart]:
    """Lines + points of a :func:`blth.report.curves.curve_frame` ``long`` vs % remaining per
    series; error bars (std over evaluation passes) where the metric has them and a min-max
    band over seeds when several seeds ran. ``domain``: the series in legend order."""
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
    return [*layers, *line_and_points(x, y, col, curve_tooltips(series_title))]


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


def facet(
    layers: Sequence[alt.Chart],
    data: pd.DataFrame,
    title: str,
    row: str | None = None,
    row_sort: list[str] | None = None,
    independent: Literal["x", "y", ""] = "y",
    column: str = "model",
    column_sort: list[str] | None = None,
) -> alt.FacetChart:
    """Layer ``layers`` over ``data`` and facet by ``column`` (model) and optionally ``row``;
    the ``independent`` axis ("x", "y" or "" for none) is scaled per panel."""
    inner = alt.layer(*layers, data=data).properties(**PANEL_SIZE)
    columns = alt.Column(
        f"{column}:N", title=None, sort=column_sort, header=alt.Header(labelFontSize=13)
    )
    rows = (
        alt.Undefined
        if row is None
        else alt.Row(f"{row}:N", title=None, sort=row_sort, header=alt.Header(labelFontSize=12))
    )
    chart = inner.facet(column=columns, row=rows).properties(title=title)
    if independent == "x":
        return chart.resolve_scale(x="independent")
    if independent == "y":
        return chart.resolve_scale(y="independent")
    return chart


def text_table(
    rows: pd.DataFrame, row_label: str, columns: Sequence[str], title: str, width: int = 120
) -> Chart:
    """Render a small frame of already formatted strings as an Altair text table (one
    ``width``-pixel column per entry of ``columns``, one row per row of ``rows``)."""
    order = list(rows[row_label])
    long = rows.melt(id_vars=[row_label], value_vars=list(columns), var_name="column")
    long["value"] = long["value"].astype(str)
    no_axis: dict[str, Any] = {"domain": False, "ticks": False, "title": None, "labelLimit": 300}
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
