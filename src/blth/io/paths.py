"""The results tree: every path the workflow writes, one template each. Wildcards are in braces,
named as the rules name them, so a template is a rule's output as it stands and ``.format``
fills it in an input function; steps find a job's side files from its outputs with
:func:`beside`. Nothing else spells a results path.

results/<experiment>/
    data/<dataset>.safetensors              prepared datasets
    init/<kind>/s<seed>.safetensors         initial weights (det, bnn); init/transplant/...
    rewind/<kind>/s<seed>/e<epoch>.safetensors   late-rewinding points
    runs/<arm>/s<seed>/<chain>/L<level>/<branch>/{mask,init,final}.safetensors, epochs.parquet
    evaluation/<arm>/s<seed>/<chain>/<branch>/<table>.parquet, predictions.safetensors
    ensembles/<arm>/<chain>/<table>.parquet
    tables/<table>.parquet                  the experiment's tables
    report/<figure>.{html,svg}              its figures
    logs/<rule>/..., benchmarks/<rule>/..., checkpoints/..., tensorboard/...
results/report/<figure>.{html,svg}          the figures across experiments
"""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = "results"
EXPERIMENT = f"{RESULTS}/{{experiment}}"
DATA = f"{EXPERIMENT}/data/{{dataset}}.safetensors"
INIT = f"{EXPERIMENT}/init/{{kind}}/s{{init_seed}}.safetensors"
TRANSPLANT_INIT = f"{EXPERIMENT}/init/transplant/s{{seed}}.safetensors"
REWIND = f"{EXPERIMENT}/rewind/{{kind}}/s{{seed}}/e{{epoch}}.safetensors"
RUN = f"{EXPERIMENT}/runs/{{arm}}/s{{seed}}/{{chain}}/L{{level}}/{{branch}}"
EVALUATION = f"{EXPERIMENT}/evaluation/{{arm}}/s{{seed}}/{{chain}}/{{branch}}"
ENSEMBLE = f"{EXPERIMENT}/ensembles/{{arm}}/{{chain}}"
TABLE = f"{EXPERIMENT}/tables/{{table}}.parquet"
FIGURE = f"{EXPERIMENT}/report/{{figure}}"  # .html and .svg
STUDY_FIGURE = f"{RESULTS}/report/{{figure}}"  # .html and .svg
STUDY_LOG = f"{RESULTS}/report/logs/{{figure}}.log"

# The identity of a job within its rule, as its log and benchmark files name it.
RUN_ID = "{arm}/s{seed}/{chain}/L{level}/{branch}"
SERIES_ID = "{arm}/s{seed}/{chain}/{branch}"
REWIND_ID = "{kind}/s{seed}/e{epoch}"


def log(rule: str, job: str | None = None) -> str:
    """The log of rule ``rule``'s job ``job`` (a template: ``RUN_ID``, ``{dataset}``, ...), or
    of its one job per experiment."""
    return f"{EXPERIMENT}/logs/{rule}{'/' + job if job else ''}.log"


def benchmark(rule: str, job: str) -> str:
    """The time and memory record of rule ``rule``'s job ``job`` (Snakemake's benchmark)."""
    return f"{EXPERIMENT}/benchmarks/{rule}/{job}.tsv"


def beside(output: str | Path, kind: str) -> Path:
    """results/<experiment>/<kind>/<the rest of ``output``'s path, without suffix>: a job's
    files outside its outputs (checkpoints, TensorBoard events), which Snakemake never deletes
    when the job restarts."""
    experiment, rest = _split(Path(output))
    return Path(experiment, kind, rest).with_suffix("")


def _split(path: Path) -> tuple[Path, Path]:
    """(results/<experiment>, the rest) of a path in the results tree."""
    depth = len(Path(EXPERIMENT).parts)
    if len(path.parts) <= depth:
        raise ValueError(f"{path} is not a file in the results tree ({EXPERIMENT}/...)")
    return Path(*path.parts[:depth]), Path(*path.parts[depth:])


def fill(template: str, **values: object) -> str:
    """``template`` with the wildcards named in ``values`` filled, the others left as they are
    (e.g. a rule whose branch is always ``main``)."""
    for name, value in values.items():
        template = template.replace(f"{{{name}}}", str(value))
    return template


def pattern(template: str) -> str:
    """``template`` as a glob pattern: every wildcard matches anything."""
    return re.sub(r"\{[a-z_]+\}", "*", template)
