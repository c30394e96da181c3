import sys

sys.stderr = open(snakemake.log[0], "w")  # everything goes to the job log

from blth import logs
from blth.steps.training import train_run

logs.setup()
i = snakemake.input
train_run(
    snakemake.params.spec,
    i.data,
    i.start,
    i.mask,
    dict(snakemake.output.items()),
    snakemake.params.checkpoint,
    snakemake.threads,
)
