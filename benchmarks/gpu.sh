#!/usr/bin/env bash
# One-shot GPU benchmark: training epochs as a job runs them (src/blth/bench/epoch.py), for
# ResNet-20, VGG-11 and ViT-tiny, deterministic and Bayesian (S = 10, both sample strategies),
# batch 128, 50,000 CIFAR-shaped synthetic images, amp and torch.compile on and off, and two
# trainings sharing the GPU. Sized to end within 8 minutes on one H100/H200: cases run in order of
# importance and those that no longer fit the budget are written as skipped.
#
#   bash benchmarks/gpu.sh [extra blth.bench.epoch args]
#   TIMEOUT=1500 bash benchmarks/gpu.sh --budget-s 1200      (a longer window: every case)
#
# Writes benchmarks/gpu-<host>-<date>.jsonl (one JSON line per case) and prints the lines too.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
RESULT=${RESULT:-$ROOT/benchmarks/gpu-$(hostname -s)-$(date +%Y%m%d-%H%M).jsonl}
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
export CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-0}  # one GPU: the sharing cases share it
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader >&2 || true
start=$(date +%s)
# the budget stops starting cases after 7 minutes; timeout is the hard stop at 8
timeout "${TIMEOUT:-480}" "$PYTHON" -m blth.bench.epoch --device cuda --budget-s 420 --out "$RESULT" "$@"
echo "gpu.sh: $(( $(date +%s) - start )) s, results in $RESULT" >&2
