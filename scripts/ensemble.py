from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys
from pathlib import Path

sys.stderr = open(snakemake.log[0], "a")  # everything goes to the job log

from blth.platform import logs
from blth.steps.ensemble import write_ensemble

logs.setup()
spec = snakemake.params.spec
folders = [Path(p).parent for p in snakemake.input.runs]
write_ensemble(spec["seeds"], folders, tuple(spec["bins"]), dict(snakemake.output.items()))
