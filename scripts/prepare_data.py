import sys

sys.stderr = open(snakemake.log[0], "w")  # everything goes to the job log

from blth import data, logs

logs.setup()
data.prepare(
    snakemake.wildcards.dataset,
    snakemake.params.root,
    snakemake.output[0],
    **snakemake.params.options,
)
