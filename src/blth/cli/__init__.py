"""The ``blth`` command line.

blth --version
blth bench [--quick] [--device auto|cpu|cuda] [--models M ...] [--impl I ...]
           [--threads N] [--out FILE]
blth check-config FILE ... [--schema SCHEMA]
blth report TABLES [TABLES ...] OUT [--tolerance POINTS]
blth claims TABLES [TABLES ...]
blth robustness TABLES [--tolerance POINTS]
blth ensembles TABLES [TABLES ...]

One module per group of commands (bench, config, results); each imports what it runs (torch,
the report) only when it runs, so that ``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import argparse

from blth import __version__
from blth.cli import bench, config, results


def parser() -> argparse.ArgumentParser:
    """The ``blth`` command line: --version and the subcommands."""
    p = argparse.ArgumentParser(prog="blth", description="Bayesian lottery tickets tools")
    p.add_argument("--version", action="version", version=f"blth {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for group in (bench, config, results):
        group.add(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the subcommand ``argv`` names (default: sys.argv); its exit status."""
    args = parser().parse_args(argv)
    return int(args.func(args))
