import sys

sys.stderr = open(snakemake.log[0], "a")  # everything goes to the job log, kept across resumes

from blth import logs
from blth.runspec import TrainSpec
from blth.steps.training import train_run

logs.setup()
train_run(
    TrainSpec.from_params(snakemake.params.spec),
    snakemake.input.data,
    snakemake.input.start,
    snakemake.input.get("mask"),  # None for the dense run
    dict(snakemake.output.items()),
    snakemake.threads,
    snakemake.config["device"],
    snakemake.config["tensorboard"],
    gpus_declared=snakemake.resources.get("gpu", 0),
)
