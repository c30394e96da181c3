from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys

sys.stderr = open(snakemake.log[0], "a")  # everything goes to the job log

from blth.config.runspec import InitSpec
from blth.platform import logs
from blth.steps.init import init_weights

logs.setup()
init_weights(InitSpec.from_params(snakemake.params.spec), snakemake.input.data, snakemake.output[0])
