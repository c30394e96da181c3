# Report figures: one Altair chart per figure id of blth.report.FIGURES, built from the
# experiment's result tables only (no logs), so the report is rebuilt without retraining.
import hashlib
from pathlib import Path

import blth.report
from blth.report import FIGURES

# Snakemake does not expand wildcards in caption paths (snakemake/snakemake#235), so all
# figures share the caption ../report/figure.rst, which includes ../report/<figure>.rst
# through the absolute path given as params.caption.
REPORT_CAPTIONS = (
    Path(workflow.current_basedir.get_path_or_uri(secret_free=True)).resolve().parent
    / "report"
)
# Fingerprint of the chart code: figures are redrawn when a builder changes.
REPORT_CODE = hashlib.sha256(
    b"".join(
        p.read_bytes() for p in sorted(Path(blth.report.__file__).parent.glob("*.py"))
    )
).hexdigest()[:16]


localrules:
    figure,


rule figure:
    input:
        tables=expand(
            "results/{{experiment}}/tables/{table}.parquet",
            table=["runs", "epochs", "layers", "calibration"],
        ),
    output:
        html=report(
            "results/{experiment}/report/{figure}.html",
            caption="../report/figure.rst",
            category="{experiment}",
            subcategory="{figure}",
            labels={"figure": "{figure}", "format": "interactive (HTML)"},
        ),
        svg=report(
            "results/{experiment}/report/{figure}.svg",
            caption="../report/figure.rst",
            category="{experiment}",
            subcategory="{figure}",
            labels={"figure": "{figure}", "format": "static (SVG)"},
        ),
    log:
        "results/{experiment}/logs/report/{figure}.log",
    wildcard_constraints:
        figure="|".join(FIGURES),
    conda:
        "../../environment.yml"
    params:
        tolerance=config["report"]["match_tolerance"],
        code=REPORT_CODE,
        caption=lambda wildcards: str(REPORT_CAPTIONS / f"{wildcards.figure}.rst"),
    script:
        "../../scripts/report_figure.py"
