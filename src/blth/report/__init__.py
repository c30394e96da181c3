"""Report figures: Altair charts built from the ``results/{experiment}/tables`` Parquet files.

``FIGURES`` (:data:`REGISTRY`, a :class:`blth.report.registry.Registry`) maps each figure id
to its builder; :func:`build` builds one figure (``None`` when its data is missing),
:func:`chart_or_placeholder` substitutes a "no data" chart, and :func:`save` writes offline
HTML + SVG.
"""

from __future__ import annotations

from blth.report.charts import FIGURES, NEEDS, REGISTRY, build
from blth.report.output import no_data_chart, save
from blth.report.tables import load_tables

chart_or_placeholder = REGISTRY.chart_or_placeholder

__all__ = [
    "FIGURES",
    "NEEDS",
    "REGISTRY",
    "build",
    "chart_or_placeholder",
    "load_tables",
    "no_data_chart",
    "save",
]
