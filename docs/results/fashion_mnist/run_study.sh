#!/usr/bin/env bash
# The Fashion-MNIST study of config/fashion_mnist.yaml at commit 52795c2: seed 0 first, then all.
set -euo pipefail
cd /work/study
export PYTHONPATH=/work/study/src
echo "study: commit $(git rev-parse HEAD), config/fashion_mnist.yaml, started $(date -u +%FT%TZ)"
/work/main/.venv/bin/snakemake --cores 2 --configfile config/fashion_mnist.yaml --keep-going  results/fashion_mnist/evaluation/det/s0/imp/main/runs.parquet results/fashion_mnist/evaluation/bnn-snr/s0/imp/main/runs.parquet results/fashion_mnist/evaluation/bnn-mean/s0/imp/main/runs.parquet results/fashion_mnist/evaluation/bnn-sqsum/s0/imp/main/runs.parquet results/fashion_mnist/evaluation/det/s0/lrr/main/runs.parquet results/fashion_mnist/evaluation/det/s0/imp/reinit/runs.parquet results/fashion_mnist/evaluation/det/s0/imp/shuffle_global/runs.parquet results/fashion_mnist/evaluation/det/s0/imp/shuffle_even/runs.parquet results/fashion_mnist/evaluation/det/s0/imp/shuffle_layerwise/runs.parquet results/fashion_mnist/evaluation/bnn-snr/s0/lrr/main/runs.parquet results/fashion_mnist/evaluation/bnn-snr/s0/imp/reinit/runs.parquet results/fashion_mnist/evaluation/bnn-snr/s0/imp/shuffle_global/runs.parquet results/fashion_mnist/evaluation/bnn-snr/s0/imp/shuffle_even/runs.parquet results/fashion_mnist/evaluation/bnn-snr/s0/imp/shuffle_layerwise/runs.parquet results/fashion_mnist/evaluation/det/s0/imp/transplant/runs.parquet
/work/main/.venv/bin/snakemake --cores 2 --configfile config/fashion_mnist.yaml --keep-going
echo "study: finished $(date -u +%FT%TZ)"
