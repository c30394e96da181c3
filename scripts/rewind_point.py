import sys

sys.stderr = open(snakemake.log[0], "w")  # everything goes to the job log

from blth import logs
from blth.steps.training import train_run

logs.setup()
train_run(
    snakemake.params.spec,
    snakemake.input.data,
    snakemake.input.start,
    None,  # the dense run
    {"final": snakemake.output[0]},
    snakemake.params.checkpoint,
    snakemake.threads,
)
