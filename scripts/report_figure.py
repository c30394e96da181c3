"""Snakemake script of rule ``figure``: build one report figure from the result tables.

Inputs (Snakemake ``script`` globals):

* ``snakemake.input.tables``: the list of the experiment's four Parquet tables,
  ``results/{experiment}/tables/{runs,epochs,layers,calibration}.parquet``; each is matched
  to its table by file stem (a directory path would work as well, see
  :func:`blth.report.load_tables`).
* ``snakemake.wildcards.figure``: a figure id of :data:`blth.report.FIGURES`.
* ``snakemake.params.spec["tolerance"]``: matching tolerance in accuracy percentage points.

Outputs ``snakemake.output.html`` (self-contained, offline) and ``snakemake.output.svg``.
A figure whose data is missing is written as a "no data for <figure>: <reason>" chart.
"""

import sys

smk = snakemake  # noqa: F821 (injected by Snakemake's script directive)
sys.stderr = open(smk.log[0], "a")  # noqa: SIM115 (stays open: it is the job's log)

from blth.report import NEEDS, build, load_tables, no_data_chart, save

figure = smk.wildcards.figure
tables = load_tables(list(smk.input.tables))
for name, frame in tables.items():
    print(f"{name}: {len(frame)} rows", file=sys.stderr)
chart = build(figure, tables, smk.params.spec["tolerance"])
if chart is None:
    print(f"{figure}: no data (needs {NEEDS[figure]}), writing a placeholder", file=sys.stderr)
    chart = no_data_chart(figure, f"needs {NEEDS[figure]}")
save(chart, smk.output.html, smk.output.svg)
print(f"{figure}: wrote {smk.output.html} and {smk.output.svg}", file=sys.stderr)
