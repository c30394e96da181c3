"""Report figures: Altair charts built from the ``results/{experiment}/tables`` Parquet files.

``FIGURES`` maps each figure id to its builder; :func:`build` builds one figure (``None``
when its data is missing), :func:`chart_or_placeholder` substitutes a "no data" chart, and
:func:`save` writes offline HTML + SVG.
"""

from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import pandas as pd

from blth.report.charts import FIGURES, NEEDS, build
from blth.report.output import no_data_chart, save
from blth.report.tables import load_tables

__all__ = [
    "FIGURES",
    "NEEDS",
    "build",
    "chart_or_placeholder",
    "load_tables",
    "no_data_chart",
    "save",
]


def chart_or_placeholder(
    figure: str, tables: Mapping[str, pd.DataFrame], tolerance: float = 0.5
) -> alt.TopLevelMixin:
    """:func:`build`, or :func:`no_data_chart` naming what is missing when it gives ``None``."""
    chart = build(figure, tables, tolerance)
    if chart is None:
        chart = no_data_chart(figure, f"needs {NEEDS[figure]}")
    return chart
