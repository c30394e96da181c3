import sys

sys.stderr = open(snakemake.log[0], "w")  # everything goes to the job log

from blth import logs
from blth.steps.training import init_weights

logs.setup()
init_weights(
    snakemake.params.model,
    snakemake.params.model_options,
    snakemake.input.data,
    snakemake.params.bayes,
    int(snakemake.wildcards.init_seed),
    snakemake.output[0],
)
