from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys

sys.stderr = open(snakemake.log[0], "a")  # everything goes to the job log

from blth.config.runspec import BranchSpec
from blth.platform import logs
from blth.steps.lottery import branch_mask

logs.setup()
branch_mask(BranchSpec.from_params(snakemake.params.spec), snakemake.input[0], snakemake.output[0])
