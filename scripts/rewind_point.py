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
    None,  # the dense run
    {"final": snakemake.output[0]},
    snakemake.threads,
    snakemake.config["device"],
    gpus_declared=snakemake.resources.get("gpu", 0),
)
