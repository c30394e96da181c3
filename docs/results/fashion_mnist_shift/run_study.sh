#!/usr/bin/env bash
# The study of config/fashion_mnist_shift.yaml, from a clone of main, on 2 CPU cores: seed 0 at
# commit 2166390, then seed 1 added at 3b01941 (the same trainings for seed 0: nothing of it reran).
set -euo pipefail
cd /work/study-shift
export PYTHONPATH=/work/study-shift/src
echo "study: commit $(git rev-parse HEAD), config/fashion_mnist_shift.yaml, started $(date -u +%FT%TZ)"
/work/main/.venv/bin/snakemake --cores 2 --configfile config/fashion_mnist_shift.yaml --keep-going
echo "study: finished $(date -u +%FT%TZ)"
