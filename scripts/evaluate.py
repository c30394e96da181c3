from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "a")  # everything goes to the job log

from blth.config.runspec import EvalSpec
from blth.lottery.branches import MAIN
from blth.lottery.masks import check_nested
from blth.platform import logs
from blth.steps.evaluation import evaluate

logs.setup()
if snakemake.wildcards.branch == MAIN:  # a chain's own runs: each level's mask within the last's
    check_nested(list(snakemake.input.masks))
evaluate(
    EvalSpec.from_params(snakemake.params.spec),
    snakemake.input.data,
    list(snakemake.input.finals),
    list(snakemake.input.masks),
    dict(snakemake.output.items()),
    snakemake.threads,
    snakemake.config["device"],
    gpus_declared=snakemake.resources.get("gpu", 0),
    ood_paths={Path(p).stem: p for p in snakemake.input.ood},
    folder_paths={Path(p).stem: p for p in snakemake.input.folder_corruptions},
)
