#!/usr/bin/env bash
# One GPU window, one script (issue 23), within TOTAL seconds (default 470):
#   1. the embedded demo through Snakemake with `device: cuda`, JOBS trainings sharing the one GPU
#      (--resources gpu=JOBS, BLTH_JOBS_PER_GPU=JOBS), to its tables; its accuracies beside the
#      CPU demo's (benchmarks/demo-cpu.json, python -m blth.bench.parity);
#   2. `blth bench`: LeNet-300-100 and ResNet-20, blth (both sample strategies) against
#      torch_blue, in one run;
#   3. the epoch benchmark (benchmarks/gpu.sh's plan) in the time left.
# Every stage has its own time limit, so a stage that fails or hangs costs only its share.
#
#   DEV=cpu bash benchmarks/device-run.sh     the rehearsal: the same stages on the CPU, quick sizes
#   bash benchmarks/device-run.sh             on the GPU machine (carry .whl: snakemake, altair and
#                                             torch-blue as wheels, see benchmarks/README.md)
#
# Writes into $OUT (default benchmarks/device-run-$DEV/): log.txt (everything printed),
# demo-$DEV.json (the demo's runs), demo-$DEV.tar.gz (its tables and job logs),
# bench-$DEV.jsonl, epoch-$DEV.jsonl.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEV=${DEV:-cuda}
TOTAL=${TOTAL:-470}
JOBS=${JOBS:-4}
OUT=${OUT:-$ROOT/benchmarks/device-run-$DEV}
WORK=${WORK:-$(mktemp -d /tmp/blth-device-XXXX)}  # the demo's working directory: a fresh results/
source "$ROOT/benchmarks/device-window.sh"  # log, window clock, carried wheels
if [ "$DEV" = cpu ]; then QUICK=--quick; GPUS=0; else QUICK=; GPUS=1; fi

stage "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true
echo "host $(hostname) · $(nproc) CPUs · $PYTHON · cc: $(command -v cc || echo none)"
"$PYTHON" -c 'import sys, torch; from blth import hardware
d = torch.device(sys.argv[1]); print(hardware.describe_device(d)); print(hardware.versions(d))' "$DEV"
"$PYTHON" -m snakemake --version || exit 1

stage "1. the demo, device $DEV, $JOBS jobs at a time on one device"
cat > "$WORK/device.yaml" <<EOF
device: $DEV
experiments: {demo: {resources: {gpu: $GPUS}}}
EOF
demo_s=$(( $(left) * 45 / 100 ))
BLTH_JOBS_PER_GPU=$JOBS timeout "$demo_s" "$PYTHON" -m snakemake --cores "$(nproc)" \
  --resources gpu="$JOBS" --snakefile "$ROOT/workflow/Snakefile" --directory "$WORK" \
  --configfile "$ROOT/config/demo.yaml" "$WORK/device.yaml" --quiet rules \
  -- results/demo/tables/runs.parquet
echo "demo: exit $? after $(($(date +%s) - START)) s"
"$PYTHON" -m blth.bench.parity "$WORK/results/demo/tables" --out "$OUT/demo-$DEV.json" \
  --against "$ROOT/benchmarks/demo-cpu.json"
tar czf "$OUT/demo-$DEV.tar.gz" -C "$WORK" results/demo/tables results/demo/logs \
  results/demo/benchmarks .snakemake/log 2>/dev/null

stage "2. blth bench: blth (per_sample, stacked) against torch_blue"
timeout "$(( $(left) * 35 / 100 ))" "$PYTHON" -m blth.cli bench --device "$DEV" $QUICK \
  --models lenet_300_100 resnet20 --impl blth_per_sample blth_stacked torch_blue \
  --out "$OUT/bench-$DEV.jsonl"
echo "bench: exit $?"

stage "3. the epoch benchmark in the time left"
timeout "$(( $(left) - 5 ))" "$PYTHON" -m blth.bench.epoch --device "$DEV" $QUICK \
  --budget-s "$(( $(left) - 40 ))" --max-timed-s 8 --out "$OUT/epoch-$DEV.jsonl"
echo "epoch: exit $?"
stage "done"
