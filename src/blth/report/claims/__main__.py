"""``python -m blth.report.claims TABLES``: print the Results table of an experiment."""

from __future__ import annotations

import argparse
import sys

from blth.report.claims import findings, markdown


def main(argv: list[str] | None = None) -> int:
    """Print the Results table of the tables folder given on the command line."""
    parser = argparse.ArgumentParser(
        description="The paper's claims checked against an experiment's tables (Markdown)."
    )
    parser.add_argument("tables", help="an experiment's tables folder (runs/layers.parquet)")
    args = parser.parse_args(argv)
    sys.stdout.write(markdown(findings(args.tables)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
