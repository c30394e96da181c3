"""Saving charts (offline HTML + SVG) and the placeholder shown when data is missing."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import altair as alt
import pandas as pd

from blth.report import html


def no_data_chart(figure: str, reason: str) -> alt.Chart:
    """A small text chart saying ``no data for <figure>: <reason>``."""
    message = f"no data for {figure}: {reason}"
    return (
        alt.Chart(pd.DataFrame({"message": [message]}))
        .mark_text(fontSize=14, align="left", baseline="middle", color="#555")
        .encode(text="message:N", x=alt.value(5), y=alt.value(30))
        .properties(width=max(300, 8 * len(message)), height=60, title=figure)
        .configure_view(strokeWidth=0)
    )


def save(chart: alt.TopLevelMixin, html_path: str | PathLike, svg_path: str | PathLike) -> None:
    """Write ``chart`` as self-contained HTML (Vega JS inlined, works offline) and SVG.

    Both renderings go through vl-convert: the HTML inlines the Vega/Vega-Lite/vega-embed
    bundles shipped with vl-convert-python (no CDN; built once, :mod:`blth.report.html`), the
    SVG is rendered headlessly.
    """
    for path in (html_path, svg_path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    html.write(chart, html_path)
    chart.save(str(svg_path), format="svg")
