"""Report figures: Altair charts built from the ``results/{experiment}/tables`` Parquet files.

Two registries (:class:`blth.report.registry.Registry`): the per-experiment figures
(``FIGURES``, rule ``figure``, :mod:`blth.report.charts`) and the cross-experiment ones of the
paper's appendix (``STUDY_FIGURES``, rule ``study_figure``, on :func:`load_study_tables`).
:func:`build` builds a per-experiment figure (``None`` when its data is missing),
:func:`chart_or_placeholder` substitutes a "no data" chart, and :func:`save` writes offline
HTML + SVG; :func:`blth.report.job.write_figure` does all of it for the rules' scripts.

Modules: :mod:`~blth.report.tables` (loading, selecting, pooling seeds),
:mod:`~blth.report.curves`, :mod:`~blth.report.summaries` and :mod:`~blth.report.frames` (the
figures' frames), :mod:`~blth.report.encodings` (shared encodings, tooltips and layers).
"""

from __future__ import annotations

from blth.report import selective as _selective_figures  # noqa: F401 (registers its figures)
from blth.report import shift as _shift_figures  # noqa: F401 (registers its figures)
from blth.report.charts import FIGURES, NEEDS, REGISTRY, build
from blth.report.output import no_data_chart, save
from blth.report.study import STUDY_FIGURES, STUDY_NEEDS, STUDY_REGISTRY, load_study_tables
from blth.report.tables import load_tables

chart_or_placeholder = REGISTRY.chart_or_placeholder

__all__ = [
    "FIGURES",
    "NEEDS",
    "REGISTRY",
    "STUDY_FIGURES",
    "STUDY_NEEDS",
    "STUDY_REGISTRY",
    "build",
    "chart_or_placeholder",
    "load_study_tables",
    "load_tables",
    "no_data_chart",
    "save",
]
