#!/usr/bin/env bash
# Snakemake runs this once in the environment it has just created from blth.yaml (the file next
# to this one). It is copied to .snakemake/conda/<hash>.post-deploy.sh first and runs in the
# workflow's working directory, so it finds blth's source in $BLTH_SOURCE, else the working
# directory (`snakemake --sdm conda` run from the checkout, the usual way). The install is
# editable: the environment runs the checkout's code as it is now, so a job rerun after a code
# change (each rule fingerprints the code it runs) runs the new code, not a copy frozen when the
# environment was built. --no-deps: blth.yaml holds the pinned dependencies.
set -euo pipefail

src="${BLTH_SOURCE:-$PWD}"
if [[ ! -f "$src/pyproject.toml" || ! -f "$src/src/blth/__init__.py" ]]; then
    echo "blth.post-deploy.sh: $src is not a blth checkout (no pyproject.toml and" \
        "src/blth/); run snakemake from the checkout or set BLTH_SOURCE to it" >&2
    exit 1
fi
python="${CONDA_PREFIX:?blth.post-deploy.sh runs inside the new conda environment}/bin/python"
"$python" -m pip install --no-deps --no-input --quiet -e "$src"
"$python" -c "import blth, sys; print('blth', blth.__version__, 'from', blth.__file__)"
