from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys

sys.stderr = open(snakemake.log[0], "a")  # everything goes to the job log

from blth.config.runspec import DataSpec
from blth.data import prepared as data
from blth.platform import logs

logs.setup()
spec = DataSpec.from_params(snakemake.params.spec)
root, out = snakemake.config["data_root"], snakemake.output[0]
data.prepare(spec.dataset, root, out, subset=spec.subset, **spec.options)
