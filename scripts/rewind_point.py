from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys

sys.stderr = open(snakemake.log[0], "a")  # everything goes to the job log, kept across resumes

from blth.config.runspec import TrainSpec
from blth.platform import logs
from blth.steps.training import TrainJob, TrainOutputs, run

logs.setup()
run(
    TrainJob(
        TrainSpec.from_params(snakemake.params.spec),
        data=snakemake.input.data,
        start=snakemake.input.start,
        mask=None,  # the dense run
        outputs=TrainOutputs(final=snakemake.output[0]),
        threads=snakemake.threads,
        device=snakemake.config["device"],
        gpus_declared=snakemake.resources.get("gpu", 0),
    )
)
