from blth.jobserver import hand_over

hand_over()  # on a local run the warm job server runs this script (blth.jobserver)

import sys

sys.stderr = open(snakemake.log[0], "a")  # everything goes to the job log

from blth.io.artefacts import ENSEMBLE_TABLES, EVALUATION_TABLES
from blth.platform import logs
from blth.steps.aggregate import aggregate

logs.setup()
keys = ("epochs", *EVALUATION_TABLES, *ENSEMBLE_TABLES)
inputs = {key: list(snakemake.input[key]) for key in keys}
spec = snakemake.params.spec
aggregate(spec["runs"], inputs, dict(snakemake.output.items()), spec["ensembles"])
