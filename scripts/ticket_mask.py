import sys

sys.stderr = open(snakemake.log[0], "w")  # everything goes to the job log

from blth import logs
from blth.steps.lottery import ticket_mask

logs.setup()
p = snakemake.params
ticket_mask(
    snakemake.input.init,
    snakemake.output[0],
    p.criterion,
    p.rate,
    p.ignore,
    p.prune_biases,
    snakemake.input.get("final"),
    snakemake.input.get("mask"),
    p.seed,
)
