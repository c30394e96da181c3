"""``python -m blth.report.claims TABLES [TABLES ...]``: print the Results of an experiment,
or of a study of one experiment per architecture (:mod:`blth.report.claims.architectures`)."""

from __future__ import annotations

import argparse
import sys

from blth.report.claims import CHECKS, architectures, findings, markdown


def main(argv: list[str] | None = None) -> int:
    """Print the Results table(s) of the tables folder(s) given on the command line."""
    parser = argparse.ArgumentParser(
        description="The paper's claims checked against an experiment's tables (Markdown); "
        "given several experiments (one architecture each), per claim and architecture."
    )
    parser.add_argument(
        "tables", nargs="+", help="an experiment's tables folder (runs/layers.parquet), or several"
    )
    args = parser.parse_args(argv)
    try:
        if len(args.tables) == 1:
            text = markdown(findings(args.tables[0]))
        else:
            text = architectures.markdown(architectures.load_architectures(args.tables), CHECKS)
    except ValueError as err:  # a missing folder, a damaged or empty table, named
        print(f"error: {err}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
