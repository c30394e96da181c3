"""Snakemake script of rule ``study_figure``: one cross-experiment report figure.

Inputs (Snakemake ``script`` globals):

* ``snakemake.input.tables``: the four Parquet tables of every experiment,
  ``results/<experiment>/tables/{runs,epochs,layers,calibration}.parquet``, concatenated table
  by table (:func:`blth.report.load_study_tables`).
* ``snakemake.wildcards.figure``: a figure id of :data:`blth.report.STUDY_FIGURES`.

Outputs ``snakemake.output.html`` (self-contained, offline) and ``snakemake.output.svg``.
A figure whose data is missing is written as a "no data for <figure>: <reason>" chart.
"""

from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys

smk = snakemake  # noqa: F821 (injected by Snakemake's script directive)
sys.stderr = open(smk.log[0], "a")  # noqa: SIM115 (stays open: it is the job's log)

from blth.report import STUDY_REGISTRY, load_study_tables
from blth.report.job import log_tables, write_figure

tables = load_study_tables(list(smk.input.tables))
log_tables(tables, sys.stderr, experiments=True)
out = smk.output
write_figure(STUDY_REGISTRY, smk.wildcards.figure, tables, out.html, out.svg, sys.stderr)
