"""The commands that read finished results (tables folders, ``results/<experiment>/tables`` or a
published study's): ``blth report`` draws the figures; ``blth claims``, ``blth robustness`` and
``blth ensembles`` print Markdown summaries. A missing folder or a damaged table is named, exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

TABLES_HELP = "an experiment's tables folder, e.g. results/demo/tables"


def add(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    r = sub.add_parser(
        "report",
        help="draw every report figure from an experiment's tables, without training",
        description="Every figure of blth.report (HTML and SVG) from the Parquet tables in "
        "TABLES, e.g. docs/results/fashion_mnist/tables, or in several such folders.",
    )
    r.add_argument(
        "tables",
        nargs="+",
        help=f"{TABLES_HELP}, or several (a study: each figure faceted per model, plus the "
        "cross-experiment figures)",
    )
    r.add_argument("out", help="folder the figures are written to")
    _tolerance(r)
    r.set_defaults(func=_named_errors(_report))
    c = sub.add_parser(
        "claims",
        help="the paper's claims checked against an experiment's tables (Markdown)",
        description="The paper's claims checked against an experiment's tables (Markdown); "
        "given several experiments (one architecture each), per claim and architecture.",
    )
    c.add_argument("tables", nargs="+", help=f"{TABLES_HELP}, or several")
    c.set_defaults(func=_named_errors(_claims))
    rob = sub.add_parser(
        "robustness",
        help="dense vs sparsest matching ticket under shift (Markdown)",
        description="Per arm, the dense network beside its sparsest matching IMP ticket: clean, "
        "under each corruption severity, and telling out-of-distribution sets apart "
        "(evaluation.shift).",
    )
    rob.add_argument("tables", help=TABLES_HELP)
    _tolerance(rob)
    rob.set_defaults(func=_named_errors(_robustness))
    e = sub.add_parser(
        "ensembles",
        help="ensembles of deterministic tickets vs Bayesian tickets at equal cost (Markdown)",
        description="Ensembles of deterministic tickets vs Bayesian tickets at equal inference "
        "cost, from the ensembles, runs and selective tables (evaluation.ensembles).",
    )
    e.add_argument("tables", nargs="+", help=f"{TABLES_HELP}, or several")
    e.set_defaults(func=_named_errors(_ensembles))


def _tolerance(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tolerance",
        type=float,
        help="accuracy points below dense that match (default: the report's, "
        "blth.report.tables.MATCH_TOLERANCE)",
    )


def _tolerance_of(args: argparse.Namespace) -> float:
    """``--tolerance``, or the report's default (imported with the report, not for --help)."""
    from blth.report.tables import MATCH_TOLERANCE

    return MATCH_TOLERANCE if args.tolerance is None else float(args.tolerance)


def _named_errors(command: Callable[[argparse.Namespace], int]) -> Callable[..., int]:
    """``command``, with a missing folder, a damaged or empty table (ValueError) named: exit 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2

    return run


def _report(args: argparse.Namespace) -> int:
    from blth.io.artefacts import OPTIONAL_TABLES
    from blth.report import (
        FIGURES,
        STUDY_FIGURES,
        STUDY_REGISTRY,
        chart_or_placeholder,
        load_tables,
        save,
    )
    from blth.report.study import concat_tables

    # one experiment, or a study of several: tables concatenated, figures faceted per model
    tables = concat_tables([load_tables(folder) for folder in args.tables])
    empty = [name for name, frame in tables.items() if frame.empty]
    missing = [name for name in empty if name not in OPTIONAL_TABLES]
    if missing:
        raise ValueError(f"{' '.join(args.tables)} has no {', '.join(missing)} table")
    figures = {figure: chart_or_placeholder for figure in FIGURES}
    if len(args.tables) > 1:  # the cross-experiment figures, where the study has their data
        figures |= {figure: STUDY_REGISTRY.chart_or_placeholder for figure in STUDY_FIGURES}
    for figure, draw in figures.items():
        chart = draw(figure, tables, _tolerance_of(args))
        save(chart, f"{args.out}/{figure}.html", f"{args.out}/{figure}.svg")
        print(f"{args.out}/{figure}.html, .svg")
    return 0


def _claims(args: argparse.Namespace) -> int:
    from blth.report.claims import CHECKS, architectures, findings, markdown

    if len(args.tables) == 1:
        text = markdown(findings(args.tables[0]))
    else:
        text = architectures.markdown(architectures.load_architectures(args.tables), CHECKS)
    sys.stdout.write(text)
    return 0


def _robustness(args: argparse.Namespace) -> int:
    from blth.report import robustness
    from blth.report.tables import load_tables

    tables = load_tables(args.tables)
    sys.stdout.write(robustness.markdown(robustness.summary(tables, _tolerance_of(args))))
    return 0


def _ensembles(args: argparse.Namespace) -> int:
    from blth.report import ensembles
    from blth.report.study import concat_tables
    from blth.report.tables import load_tables

    tables = concat_tables([load_tables(folder) for folder in args.tables])
    if tables["ensembles"].empty:
        raise ValueError(f"{' '.join(args.tables)} has no ensembles table rows")
    sys.stdout.write(ensembles.markdown(ensembles.matched(tables)))
    return 0
