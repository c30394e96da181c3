"""Config validation, path helpers and every input function of the workflow."""

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

from blth.data import sources
from blth.config import check as config_check
from blth.config import fingerprint, runspec
from blth.io import paths
from blth.io.artefacts import ENSEMBLE_TABLES, EVALUATION_TABLES, PREDICTIONS, TABLES
from blth.lottery.arms import BNN, DET, KINDS, Arm
from blth.lottery.branches import BRANCHES, CHAINS, IMP, LRR, MAIN, REINIT, TRANSPLANT
from blth.report import FIGURES
from blth.shift import NOISE_IMAGES
from blth.shift import files as shift_files

# Every problem at once, each a line naming the file and key (ORIGINS: see the Snakefile);
# Snakemake's validate then fills the schema's defaults the cross-key checks need.
SCHEMA = Path(workflow.basedir) / "schemas" / "config.schema.yaml"
config_check.check(config, SCHEMA, ORIGINS)

# Keys sorted at every depth: params compare as ordered dicts, and reordering keys in a
# config file must not make a finished job look changed.
EXPERIMENTS = json.loads(json.dumps(config["experiments"], sort_keys=True))
SCRIPTS = Path(workflow.basedir).parent / "scripts"
# where workflow/envs/blth.post-deploy.sh installs blth from under --sdm conda
os.environ.setdefault("BLTH_SOURCE", str(Path(workflow.basedir).parent))


def warn_without_metadata():
    """Finished trainings without Snakemake's record of how they were made (a results/ tree
    copied without .snakemake/): Snakemake cannot see a changed setting, so it reruns nothing.
    """
    finished = next(Path().glob(paths.pattern(f"{paths.RUN}/final.safetensors")), None)
    metadata = Path(".snakemake") / "metadata"
    if finished is None or (metadata.is_dir() and any(metadata.iterdir())):
        return
    print(
        f"WARNING: {finished.parent} and the rest of results/ have no record in "
        f"{metadata}/ (was results/ copied without .snakemake/?). Snakemake cannot tell which "
        "settings and code made them, so a changed setting reruns nothing. Copy .snakemake/ "
        "with results/, or move results/<experiment> aside to recompute it.",
        file=sys.stderr,
    )


warn_without_metadata()


wildcard_constraints:
    experiment=r"[A-Za-z0-9_-]+",
    arm=rf"({'|'.join(KINDS)})(-[a-z_]+)?",
    kind="|".join(KINDS),
    seed=r"\d+",
    epoch=r"\d+",
    init_seed=r"\d+",
    chain="|".join(CHAINS),
    level=r"\d+",
    branch="|".join((MAIN, *BRANCHES)),
    dataset=r"[a-z0-9_]+",


# ---- paths -------------------------------------------------------------------------------


def run_file(w, file, chain=None, level=None, branch=None):
    """A file of run (experiment, arm, seed, chain, level, branch); overrides for neighbours."""
    run = paths.RUN.format(
        experiment=w.experiment,
        arm=w.arm,
        seed=w.seed,
        chain=chain or w.chain,
        level=w.level if level is None else level,
        branch=branch or w.branch,
    )
    return f"{run}/{file}"


def init_file(experiment, kind, seed):
    return paths.INIT.format(experiment=experiment, kind=kind, init_seed=seed)


def rewind_epoch(w):
    return exp(w)["pruning"]["rewind_epoch"]


def rewind_file(experiment, kind, seed, epoch):
    """The dense run's state after ``epoch`` epochs: where late-rewound tickets restart."""
    return paths.REWIND.format(experiment=experiment, kind=kind, seed=seed, epoch=epoch)


def rewound_init(w, kind):
    """Initial state of IMP tickets: the initialisation, or the late rewind point."""
    if rewind_epoch(w) == 0:
        return init_file(w.experiment, kind, w.seed)
    return rewind_file(w.experiment, kind, w.seed, rewind_epoch(w))


def data_file(w):
    dataset = EXPERIMENTS[w.experiment]["dataset"]
    return paths.DATA.format(experiment=w.experiment, dataset=dataset)


def ood_datasets(experiment):
    """The datasets evaluation.shift.ood names (noise images need no data file)."""
    shift = EXPERIMENTS[experiment]["evaluation"]["shift"]
    return [name for name in shift["ood"] if name != NOISE_IMAGES]


def ood_data_files(w):
    return [
        paths.DATA.format(experiment=w.experiment, dataset=name)
        for name in ood_datasets(w.experiment)
    ]


def folder_corruption_files(w):
    """The files of the corruptions evaluation.shift reads from its folder, with the folder's
    labels.npy when it has one (blth.shift.files checks them against the test labels).
    """
    shift = EXPERIMENTS[w.experiment]["evaluation"]["shift"]
    if not shift["folder_corruptions"]:
        return []
    folder = shift["folder"]
    found = [
        str(shift_files.path(folder, name)) for name in shift["folder_corruptions"]
    ]
    labels = shift_files.path(folder, shift_files.LABELS)
    return found + ([str(labels)] if labels.is_file() else [])


def exp(w):
    return EXPERIMENTS[w.experiment]


def arm(w):
    return Arm.parse(w.arm)


def kind(w):
    return BNN if arm(w).bayesian else DET


def reinit_seed(w):
    """Initial-weight seed of the reinit branch, disjoint from every replicate seed."""
    return 1_000_003 * (1 + exp(w)["branches"]["seeds"][REINIT]) + int(w.seed)


def previous_run(w):
    """(chain, level) of the run whose final weights level w.level is pruned from."""
    level = int(w.level) - 1
    return (IMP if w.chain == IMP or level == 0 else LRR), level


# ---- input functions ---------------------------------------------------------------------


def ticket_mask_inputs(w):
    inputs = {"init": init_file(w.experiment, kind(w), w.seed)}
    if int(w.level) > 0:
        chain, level = previous_run(w)
        inputs["final"] = run_file(w, "final.safetensors", chain, level, MAIN)
        inputs["mask"] = run_file(w, "mask.safetensors", chain, level, MAIN)
    return inputs


def train_inputs(w):
    """Data, start weights and, except for the dense run, the run's mask."""
    inputs = {"data": data_file(w), "start": start_weights(w)}
    if not is_dense_run(w):
        inputs["mask"] = run_file(w, "mask.safetensors")
    return inputs


def start_weights(w):
    """Weights a run starts from: its chain's rewind point, or its branch's."""
    if w.branch == TRANSPLANT:
        return paths.TRANSPLANT_INIT.format(experiment=w.experiment, seed=w.seed)
    if w.branch == REINIT:
        return init_file(w.experiment, kind(w), reinit_seed(w))
    if w.chain == LRR:  # learning-rate rewinding: continue from the previous level
        chain, level = previous_run(w)
        return run_file(w, "final.safetensors", chain, level, MAIN)
    if is_dense_run(w):
        return init_file(w.experiment, kind(w), w.seed)
    return rewound_init(w, kind(w))


def is_dense_run(w):
    return w.chain == IMP and int(w.level) == 0 and w.branch == MAIN


def start_epoch(w):
    """Epoch of the schedule a run starts at: IMP tickets and their branches continue from
    the rewind epoch; the dense run and the LRR chain train the whole schedule."""
    return 0 if w.chain == LRR or is_dense_run(w) else rewind_epoch(w)


def bayesian(w):
    """Whether run w trains a BNN (a transplant is the Bayesian version of a det ticket)."""
    return arm(w).bayesian or w.branch == TRANSPLANT


def identity(w):
    """The identity columns of run w in the result tables."""
    return {
        "experiment": w.experiment,
        "dataset": exp(w)["dataset"],
        "model": exp(w)["model"],
        "arm": w.arm,
        "bayesian": bayesian(w),
        "criterion": arm(w).criterion,
        "chain": w.chain,
        "branch": w.branch,
        "seed": int(w.seed),
        "level": int(w.level),
    }


def resource(name, per_attempt=False):
    """A training job's resource from its experiment's config; ``per_attempt``: times the
    attempt, so a retry after an out-of-memory kill asks for more."""
    if per_attempt:
        return lambda w, attempt: exp(w)["resources"][name] * attempt
    return lambda w: exp(w)["resources"][name]


# ---- what to build -----------------------------------------------------------------------


def runs(name):
    """Wildcards of every training run of experiment ``name``."""
    e = EXPERIMENTS[name]
    out = []
    for seed in e["seeds"]:
        for a in e["arms"]:
            out += [(a, seed, IMP, lvl, MAIN) for lvl in range(e["levels"] + 1)]
        for a in e["lrr"]["arms"]:
            out += [(a, seed, LRR, lvl, MAIN) for lvl in range(1, e["levels"] + 1)]
        for a in e["branches"]["arms"]:
            out += [
                (a, seed, IMP, lvl, b)
                for lvl in e["branches"]["levels"]
                for b in e["branches"]["kinds"]
            ]
        out += [(DET, seed, IMP, lvl, TRANSPLANT) for lvl in e["transplant"]["levels"]]
    keys = ("arm", "seed", "chain", "level", "branch")
    return [
        SimpleNamespace(experiment=name, **dict(zip(keys, r))) for r in sorted(set(out))
    ]


def series_of(r):
    """(arm, seed, chain, branch): the runs one evaluation job covers, all levels together."""
    return (r.arm, str(r.seed), r.chain, r.branch)


def series_runs(w):
    """The runs of w's series (experiment, arm, seed, chain, branch), by level."""
    return [r for r in runs(w.experiment) if series_of(r) == series_of(w)]


def series_files(w, file):
    return [run_file(r, file) for r in series_runs(w)]


def evaluation_file(r, table):
    """Table ``table`` of the evaluation of run r's series."""
    folder = paths.EVALUATION.format(
        experiment=r.experiment, arm=r.arm, seed=r.seed, chain=r.chain, branch=r.branch
    )
    return f"{folder}/{table}.parquet"


def ensembles(name):
    """(arm, chain) of each ensemble of experiment ``name``: every chain of the arms of
    evaluation.ensembles."""
    arms = EXPERIMENTS[name]["evaluation"]["ensembles"]
    return sorted(
        {(r.arm, r.chain) for r in runs(name) if r.arm in arms and r.branch == MAIN}
    )


def ensemble_members(w):
    """Each seed's evaluation of the ensemble's series: its runs table and predictions."""
    folders = [
        paths.EVALUATION.format(
            experiment=w.experiment, arm=w.arm, seed=seed, chain=w.chain, branch=MAIN
        )
        for seed in EXPERIMENTS[w.experiment]["seeds"]
    ]
    return {
        "runs": [f"{f}/runs.parquet" for f in folders],
        "predictions": [f"{f}/{PREDICTIONS}" for f in folders],
    }


def aggregate_inputs(w):
    """Every run's epoch log, every series' evaluation tables and every ensemble's table."""
    series = {series_of(r): r for r in runs(w.experiment)}.values()
    inputs = {"epochs": [run_file(r, "epochs.parquet") for r in runs(w.experiment)]}
    for table in EVALUATION_TABLES:
        inputs[table] = [evaluation_file(r, table) for r in series]
    for table in ENSEMBLE_TABLES:
        inputs[table] = [
            f"{paths.ENSEMBLE}/{table}.parquet".format(
                experiment=w.experiment, arm=arm, chain=chain
            )
            for arm, chain in ensembles(w.experiment)
        ]
    return inputs


def run_records(w):
    """Identity and folder of every run (the aggregate job's spec)."""
    return [
        {
            **identity(r),
            "run_dir": run_file(r, "").rstrip("/"),
            "evaluation": str(Path(evaluation_file(r, "runs")).parent),
        }
        for r in runs(w.experiment)
    ]


def all_targets():
    """Every experiment's tables and figures; with several experiments, the study figures."""
    from blth.report import STUDY_FIGURES

    study = expand(f"{paths.STUDY_FIGURE}.html", figure=STUDY_FIGURES)
    return [
        path
        for name in EXPERIMENTS
        for path in expand(f"{paths.FIGURE}.html", experiment=name, figure=FIGURES)
        + expand(paths.TABLE, experiment=name, table=TABLES)
    ] + (study if len(EXPERIMENTS) > 1 else [])
