#!/usr/bin/env bash
# The study of config/fashion_mnist_shift.yaml at commit 2166390, from a clone of main, on 2 CPU cores.
set -euo pipefail
cd /work/study-shift
export PYTHONPATH=/work/study-shift/src
echo "study: commit $(git rev-parse HEAD), config/fashion_mnist_shift.yaml, started $(date -u +%FT%TZ)"
/work/main/.venv/bin/snakemake --cores 2 --configfile config/fashion_mnist_shift.yaml --keep-going
echo "study: finished $(date -u +%FT%TZ)"
