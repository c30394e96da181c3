import sys

sys.stderr = open(snakemake.log[0], "w")  # everything goes to the job log

from blth import logs
from blth.steps.lottery import transplant_init

logs.setup()
transplant_init(
    snakemake.input.det,
    snakemake.input.bnn,
    snakemake.params.sigma,
    snakemake.params.sigma_value,
    snakemake.output[0],
)
