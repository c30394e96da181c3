from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys

sys.stderr = open(snakemake.log[0], "a")  # everything goes to the job log

from blth.config.runspec import MaskSpec
from blth.platform import logs
from blth.steps.lottery import ticket_mask

logs.setup()
ticket_mask(
    MaskSpec.from_params(snakemake.params.spec),
    snakemake.input.init,
    snakemake.output[0],
    snakemake.input.get("final"),
    snakemake.input.get("mask"),
)
