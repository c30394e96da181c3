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

from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys

smk = snakemake  # noqa: F821 (injected by Snakemake's script directive)
sys.stderr = open(smk.log[0], "a")  # noqa: SIM115 (stays open: it is the job's log)

from blth.report import REGISTRY, load_tables
from blth.report.job import log_tables, write_figure

tables = load_tables(list(smk.input.tables))
log_tables(tables, sys.stderr)
out, tolerance = smk.output, smk.params.spec["tolerance"]
write_figure(REGISTRY, smk.wildcards.figure, tables, out.html, out.svg, sys.stderr, tolerance)
