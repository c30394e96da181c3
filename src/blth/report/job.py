"""The job of rules ``figure`` and ``study_figure``: build one figure of a registry from the
result tables and save it, logging what it read and wrote."""

from __future__ import annotations

from os import PathLike
from typing import TextIO

from blth.report.output import save
from blth.report.registry import Registry, Tables
from blth.report.tables import MATCH_TOLERANCE


def log_tables(tables: Tables, log: TextIO, experiments: bool = False) -> None:
    """One line per table: its number of rows (and of ``experiments`` when asked)."""
    for name, frame in tables.items():
        counts = f", {frame['experiment'].nunique()} experiments" if experiments else ""
        print(f"{name}: {len(frame)} rows{counts}", file=log)


def write_figure(
    registry: Registry,
    figure: str,
    tables: Tables,
    html: str | PathLike[str],
    svg: str | PathLike[str],
    log: TextIO,
    tolerance: float = MATCH_TOLERANCE,
) -> None:
    """Build ``figure`` of ``registry`` (its "no data" placeholder when the data is missing,
    ``tolerance`` in accuracy points) and write it as ``html`` and ``svg``."""
    chart = registry.build(figure, tables, tolerance)
    if chart is None:
        needs = registry.needs[figure]
        print(f"{figure}: no data (needs {needs}), writing a placeholder", file=log)
        chart = registry.placeholder(figure)
    save(chart, html, svg)
    print(f"{figure}: wrote {html} and {svg}", file=log)
