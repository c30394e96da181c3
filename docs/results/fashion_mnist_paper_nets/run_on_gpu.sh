#!/usr/bin/env bash
# The paper-networks study (config/fashion_mnist_paper_nets.yaml) in one GPU window:
#   1. the three experiments to their tables in one Snakemake run, ResNet-20's and ViT-tiny's jobs
#      first (--prioritize), VGG-11's in the slots they leave free; JOBS trainings share the one
#      GPU (--resources gpu=JOBS, BLTH_JOBS_PER_GPU=JOBS), the pruning bookkeeping runs beside
#      them on the CPU cores; it stops TOTAL seconds after the start, less the packing's share;
#   2. each experiment's tables, evaluations (runs, predictions), job logs and benchmarks packed
#      into $OUT/<experiment>.tar.gz (weights, masks and the data cache stay behind: the tables
#      hold what the study reports, predictions.safetensors what a re-analysis needs).
# Every phase has its own time limit, so a phase that overruns costs only its share.
#
#   DEV=cpu bash docs/results/fashion_mnist_paper_nets/run_on_gpu.sh   the rehearsal: the same
#        DAG at toy sizes (rehearsal_overlay.yaml) on the CPU, under the device's Python if wanted
#   bash docs/results/fashion_mnist_paper_nets/run_on_gpu.sh           on the GPU machine (carry
#        .whl: snakemake and altair as wheels, benchmarks/README.md "The device machine's packages")
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
cd "$ROOT"
DEV=${DEV:-cuda}
TOTAL=${TOTAL:-540}
JOBS=${JOBS:-12}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo "?")}  # the device gets no .git
OUT=${OUT:-$ROOT/results/gpu-run-$DEV}  # results/ is ignored by git
WORK=${WORK:-$(mktemp -d /tmp/blth-study-XXXX)}  # a fresh working directory: results/ lands there
DATA=${DATA:-$ROOT/.data/fashion-mnist}  # the four idx files, carried: the device has no network
source "$ROOT/benchmarks/device-window.sh"  # log, window clock, carried wheels

stage "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
echo "host $(hostname) · $(nproc) CPUs · $PYTHON · commit $COMMIT"
"$PYTHON" -c 'import sys, torch; from blth import hardware
d = torch.device(sys.argv[1]); print(hardware.describe_device(d)); print(hardware.versions(d))' "$DEV"
"$PYTHON" -m snakemake --version || exit 1

overlays=("$HERE/gpu_overlay.yaml")
[ "$DEV" = cpu ] && overlays+=("$HERE/rehearsal_overlay.yaml")
echo "data_root: $DATA" >"$WORK/data_root.yaml"
overlays+=("$WORK/data_root.yaml")
read -r -a PRIMARY <<<"${PRIMARY:-fmnist_resnet20 fmnist_vit_tiny}"  # their jobs go first
read -r -a EXPERIMENTS <<<"${EXPERIMENTS:-${PRIMARY[*]} fmnist_vgg11 fmnist_lenet}"
tables() { for exp in "$@"; do echo "results/$exp/tables/runs.parquet"; done; }

stage "1. the study, $JOBS trainings at a time on one $DEV"
BLTH_JOBS_PER_GPU=$JOBS timeout "$(( $(left) - 30 ))" "$PYTHON" -m snakemake --cores "$(nproc)" \
  --resources gpu="$JOBS" --snakefile "$ROOT/workflow/Snakefile" --directory "$WORK" \
  --configfile "$ROOT/config/fashion_mnist_paper_nets.yaml" "${overlays[@]}" \
  --keep-going --scheduler greedy --quiet rules --prioritize $(tables "${PRIMARY[@]}") \
  -- $(tables "${EXPERIMENTS[@]}")
echo "snakemake: exit $? after $(($(date +%s) - START)) s"

stage "2. packing"
for exp in "${EXPERIMENTS[@]}"; do
  [ -d "$WORK/results/$exp" ] || continue
  (cd "$WORK" && find "results/$exp" -type f \
    | grep -v -e "^results/$exp/runs/" -e "^results/$exp/init/" -e "^results/$exp/data/" \
      -e "^results/$exp/checkpoints/"
   find "results/$exp/runs" -name epochs.parquet 2>/dev/null) >"$WORK/$exp.files"
  tar czf "$OUT/$exp.tar.gz" -C "$WORK" -T "$WORK/$exp.files"
  echo "$exp: $(du -h "$OUT/$exp.tar.gz" | cut -f1), $(find "$WORK/results/$exp/runs" -name final.safetensors 2>/dev/null | wc -l) trainings"
done
tar czf "$OUT/snakemake-logs.tar.gz" -C "$WORK" .snakemake/log 2>/dev/null
stage "done"
