from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "a")  # everything goes to the job log

from blth.config.runspec import EvalSpec
from blth.lottery.branches import MAIN
from blth.platform import logs
from blth.steps.evaluation import EvalJob, evaluate

logs.setup()
evaluate(
    EvalJob(
        EvalSpec.from_params(snakemake.params.spec),
        data=snakemake.input.data,
        finals=list(snakemake.input.finals),
        masks=list(snakemake.input.masks),
        outputs=dict(snakemake.output.items()),
        threads=snakemake.threads,
        device=snakemake.config["device"],
        gpus_declared=snakemake.resources.get("gpu", 0),
        ood={Path(p).stem: p for p in snakemake.input.ood},
        folder_corruptions={Path(p).stem: p for p in snakemake.input.folder_corruptions},
        chain=snakemake.wildcards.branch == MAIN,
    )
)
