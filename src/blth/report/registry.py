"""Registries of report figures: id -> builder, what each needs, building and placeholders.

A builder takes the dict of result tables (see :func:`blth.report.tables.load_tables`) and the
matching tolerance in percentage points, and returns an Altair chart, or ``None`` when the data
it needs is absent; the reason shown in that case is the registry's ``needs[figure]``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import altair as alt
import pandas as pd

from blth.io.artefacts import TABLES
from blth.report import tables as tb
from blth.report.output import no_data_chart
from blth.report.tables import MATCH_TOLERANCE

Tables = Mapping[str, pd.DataFrame]
#: What a builder returns: any top-level Altair chart (layered, faceted, concatenated).
Chart = alt.TopLevelMixin
Builder = Callable[[Tables, float], Chart | None]


@dataclass(frozen=True)
class Registry:
    """Figures in report order (id -> builder) and what each needs."""

    figures: dict[str, Builder] = field(default_factory=dict)
    needs: dict[str, str] = field(default_factory=dict)

    def figure(self, name: str, needs: str) -> Callable[[Builder], Builder]:
        """Decorator: register a builder under ``name``; ``needs`` describes its data."""

        def register(builder: Builder) -> Builder:
            self.figures[name], self.needs[name] = builder, needs
            return builder

        return register

    def build(
        self, figure: str, tables: Tables, tolerance: float = MATCH_TOLERANCE
    ) -> Chart | None:
        """Build figure ``figure`` from the result tables (``None``: data missing)."""
        if figure not in self.figures:
            known = ", ".join(self.figures)
            raise ValueError(f"unknown report figure {figure!r}; known figures: {known}")
        full = {name: tb.empty_table(name) for name in TABLES}
        full.update(tables)
        return self.figures[figure](full, tolerance)

    def placeholder(self, figure: str) -> Chart:
        """The "no data" chart of ``figure``, naming what it needs."""
        return no_data_chart(figure, f"needs {self.needs[figure]}")

    def chart_or_placeholder(
        self, figure: str, tables: Tables, tolerance: float = MATCH_TOLERANCE
    ) -> Chart:
        """:meth:`build`, or :meth:`placeholder` when it gives ``None``."""
        chart = self.build(figure, tables, tolerance)
        return self.placeholder(figure) if chart is None else chart
