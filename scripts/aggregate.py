import sys

sys.stderr = open(snakemake.log[0], "w")  # everything goes to the job log

from blth import logs
from blth.steps.evaluation import aggregate

logs.setup()
aggregate(snakemake.params.runs, snakemake.params.evaluation, dict(snakemake.output.items()))
