#!/usr/bin/env bash
# CI: the workflow through the SLURM profile on a throw-away single-node cluster.
#   bash .ci/slurm.sh [extra pytest args]     (as root, from anywhere inside the clone)
# Needs the venv (.venv, `make venv`) and the shared folder beside the clone (../shared), or
# SHARED_DIR=/path/to/shared. Exits non-zero when the cluster does not start or a test fails.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED_DIR:-$ROOT/../shared}
CLUSTER="$SHARED/ci/slurm-ci.sh"
[ -f "$CLUSTER" ] || { echo "slurm.sh: $CLUSTER not found (set SHARED_DIR)" >&2; exit 2; }
PYTEST="$ROOT/.venv/bin/pytest"
[ -x "$PYTEST" ] || { echo "slurm.sh: $PYTEST not found (run make venv)" >&2; exit 2; }

trap 'bash "$CLUSTER" down' EXIT
bash "$CLUSTER" up
cd "$ROOT"
start=$(date +%s)
BLTH_SLURM_TESTS=1 "$PYTEST" -m slurm tests/workflow/test_slurm.py -q -p no:cacheprovider "$@"
echo "slurm tests: $(( $(date +%s) - start )) s"
