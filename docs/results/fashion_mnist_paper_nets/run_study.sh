#!/usr/bin/env bash
# The paper-networks study of config/fashion_mnist_paper_nets.yaml at commit da8cf0d, in a
# worktree (/work/study) so that later commits to main do not change its code: seed 0 of both
# networks first, then everything. Rerunning this script resumes where it stopped.
set -euo pipefail
cd /work/study
export PYTHONPATH=/work/study/src
CONFIG=config/fashion_mnist_paper_nets.yaml
echo "study: commit $(git rev-parse HEAD), $CONFIG, started $(date -u +%FT%TZ)"
seed0=()
for exp in fmnist_resnet20 fmnist_vit_tiny; do
  for arm in det bnn-snr; do
    for branch in main reinit shuffle_global shuffle_layerwise; do
      seed0+=("results/$exp/evaluation/$arm/s0/imp/$branch/runs.parquet")
    done
  done
  seed0+=("results/$exp/evaluation/det/s0/imp/transplant/runs.parquet")
done
/work/main/.venv/bin/snakemake --cores 2 --configfile $CONFIG --keep-going "${seed0[@]}"
/work/main/.venv/bin/snakemake --cores 2 --configfile $CONFIG --keep-going
echo "study: finished $(date -u +%FT%TZ)"
