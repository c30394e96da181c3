import sys

sys.stderr = open(snakemake.log[0], "w")  # everything goes to the job log

from blth import logs
from blth.steps.lottery import branch_mask

logs.setup()
branch_mask(
    snakemake.input[0], snakemake.wildcards.branch, snakemake.params.seed, snakemake.output[0]
)
