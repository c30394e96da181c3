"""Snakemake script of rule ``study_figure``: one cross-experiment report figure.

Inputs (Snakemake ``script`` globals):

* ``snakemake.input.tables``: the four Parquet tables of every experiment,
  ``results/<experiment>/tables/{runs,epochs,layers,calibration}.parquet``, concatenated table
  by table (:func:`blth.report.load_study_tables`).
* ``snakemake.wildcards.figure``: a figure id of :data:`blth.report.STUDY_FIGURES`.

Outputs ``snakemake.output.html`` (self-contained, offline) and ``snakemake.output.svg``.
A figure whose data is missing is written as a "no data for <figure>: <reason>" chart.
"""

import sys

smk = snakemake  # noqa: F821 (injected by Snakemake's script directive)
sys.stderr = open(smk.log[0], "a")  # noqa: SIM115 (stays open: it is the job's log)

from blth.report import STUDY_NEEDS, STUDY_REGISTRY, load_study_tables, save

figure = smk.wildcards.figure
tables = load_study_tables(list(smk.input.tables))
for name, frame in tables.items():
    print(
        f"{name}: {len(frame)} rows, {frame['experiment'].nunique()} experiments", file=sys.stderr
    )
chart = STUDY_REGISTRY.build(figure, tables)
if chart is None:
    print(
        f"{figure}: no data (needs {STUDY_NEEDS[figure]}), writing a placeholder", file=sys.stderr
    )
    chart = STUDY_REGISTRY.placeholder(figure)
save(chart, smk.output.html, smk.output.svg)
print(f"{figure}: wrote {smk.output.html} and {smk.output.svg}", file=sys.stderr)
