from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys

sys.stderr = open(snakemake.log[0], "a")  # everything goes to the job log

from blth.config.runspec import TransplantSpec
from blth.platform import logs
from blth.steps.lottery import transplant_init

logs.setup()
transplant_init(
    TransplantSpec.from_params(snakemake.params.spec),
    snakemake.input.det,
    snakemake.input.bnn,
    snakemake.output[0],
)
