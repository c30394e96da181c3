# Sourced by the one-window GPU scripts (benchmarks/device-run.sh,
# docs/results/fashion_mnist_paper_nets/run_on_gpu.sh) after they set ROOT, TOTAL and OUT:
# everything printed goes to $OUT/log.txt too, `left` and `stage` count the window's seconds,
# and the carried wheels (.whl/, benchmarks/README.md) are installed into $SITE, because the GPU
# machine has no network. Sets PYTHON, PYTHONPATH (the checkout's src first) and PATH.
SITE=${SITE:-/tmp/blth-site}
START=$(date +%s)
mkdir -p "$OUT"
exec > >(tee -a "$OUT/log.txt") 2>&1
left() { echo $((TOTAL - ($(date +%s) - START))); }
stage() { echo; echo "=== $* ($(($(date +%s) - START)) s in, $(left) s left) ==="; }

PYTHON=${PYTHON:-$(command -v python3)}
if [ -d "$ROOT/.whl" ]; then
  "$PYTHON" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target "$SITE" "$ROOT"/.whl/*.whl || exit 1
  export PYTHONPATH="$SITE"
fi
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export PATH="$(dirname "$PYTHON"):$PATH"  # Snakemake's scripts run with this Python too
