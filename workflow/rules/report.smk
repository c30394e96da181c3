# Report figures: one Altair chart per figure id of blth.report.FIGURES, built from the
# experiment's result tables only (no logs), so the report is rebuilt without retraining;
# and the cross-experiment figures of blth.report.STUDY_FIGURES (paper appendix A), built
# from every experiment's tables, under results/report/.
from pathlib import Path

from blth.io import paths
from blth.report import FIGURES, STUDY_FIGURES

# Snakemake does not expand wildcards in caption paths (snakemake/snakemake#235), so all
# figures share the caption ../report/figure.rst, which includes ../report/<figure>.rst
# through the absolute path given as params.caption.
REPORT_CAPTIONS = (
    Path(workflow.current_basedir.get_path_or_uri(secret_free=True)).resolve().parent
    / "report"
)


localrules:
    figure,
    study_figure,


rule figure:
    input:
        tables=[paths.fill(paths.TABLE, table=table) for table in TABLES],
    output:
        html=report(
            f"{paths.FIGURE}.html",
            caption="../report/figure.rst",
            category="{experiment}",
            subcategory="{figure}",
            labels={"figure": "{figure}", "format": "interactive (HTML)"},
        ),
        svg=report(
            f"{paths.FIGURE}.svg",
            caption="../report/figure.rst",
            category="{experiment}",
            subcategory="{figure}",
            labels={"figure": "{figure}", "format": "static (SVG)"},
        ),
    log:
        paths.log("report", "{figure}"),
    wildcard_constraints:
        figure="|".join(FIGURES),
    conda:
        "../envs/blth.yaml"
    params:
        spec=figure_spec,
        caption=lambda wildcards: str(REPORT_CAPTIONS / f"{wildcards.figure}.rst"),
    script:
        "../../scripts/report_figure.py"


rule study_figure:
    input:
        tables=expand(paths.TABLE, experiment=sorted(EXPERIMENTS), table=TABLES),
    output:
        html=report(
            f"{paths.STUDY_FIGURE}.html",
            caption="../report/study_figure.rst",
            category="study (all experiments)",
            subcategory="{figure}",
            labels={"figure": "{figure}", "format": "interactive (HTML)"},
        ),
        svg=report(
            f"{paths.STUDY_FIGURE}.svg",
            caption="../report/study_figure.rst",
            category="study (all experiments)",
            subcategory="{figure}",
            labels={"figure": "{figure}", "format": "static (SVG)"},
        ),
    log:
        paths.STUDY_LOG,
    wildcard_constraints:
        figure="|".join(STUDY_FIGURES),
    conda:
        "../envs/blth.yaml"
    params:
        spec=study_figure_spec,
        caption=lambda wildcards: str(REPORT_CAPTIONS / f"{wildcards.figure}.rst"),
    script:
        "../../scripts/study_figure.py"
