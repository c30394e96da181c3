"""Config validation, path helpers and every input function of the workflow."""

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

from snakemake.utils import validate

from blth.config import bayes_hparams, train_hparams
from blth.lottery.arms import Arm
from blth.report import FIGURES

validate(config, "../schemas/config.schema.yaml")

# Keys sorted at every depth: params compare as ordered dicts, and reordering keys in a
# config file must not make a finished job look changed.
EXPERIMENTS = json.loads(json.dumps(config["experiments"], sort_keys=True))
BRANCH_KINDS = ("reinit", "shuffle_global", "shuffle_even", "shuffle_layerwise")
PACKAGE = Path(workflow.basedir).parent / "src" / "blth"


wildcard_constraints:
    experiment=r"[A-Za-z0-9_-]+",
    arm=r"(det|bnn)(-[a-z_]+)?",
    kind=r"det|bnn",
    seed=r"\d+",
    epoch=r"\d+",
    init_seed=r"\d+",
    chain=r"imp|lrr",
    level=r"\d+",
    branch="|".join(("main",) + BRANCH_KINDS + ("transplant",)),
    dataset=r"[a-z0-9_]+",


def check_experiment(name, exp):
    """Cross-key checks the JSON schema cannot express; errors name the key."""
    where = f"experiments.{name}"
    for arm in exp["arms"]:
        try:
            Arm.parse(arm)
        except ValueError as err:
            raise ValueError(f"{where}.arms: {err}") from None
    for key in ("lrr", "branches"):
        unknown = sorted(set(exp[key]["arms"]) - set(exp["arms"]))
        if unknown:
            raise ValueError(f"{where}.{key}.arms: {unknown} are not in {where}.arms")
    for key in ("branches", "transplant"):
        too_deep = [lvl for lvl in exp[key]["levels"] if lvl > exp["levels"]]
        if too_deep:
            raise ValueError(
                f"{where}.{key}.levels: {too_deep} exceed {where}.levels = {exp['levels']}"
            )
    epochs = train_hparams(exp["train"]).epochs
    if exp["pruning"]["rewind_epoch"] >= epochs:
        raise ValueError(
            f"{where}.pruning.rewind_epoch: {exp['pruning']['rewind_epoch']} must be below "
            f"{where}.train.epochs = {epochs}"
        )
    if exp["transplant"]["levels"] and "det" not in exp["arms"]:
        raise ValueError(f"{where}.transplant needs the arm 'det' in {where}.arms")


for _name, _exp in EXPERIMENTS.items():
    check_experiment(_name, _exp)


def code_version(*patterns):
    """Fingerprint of package files: a job reruns when the code it runs changes."""
    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(PACKAGE.glob(pattern)):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


STATE_IO = ("lottery/masks.py", "lottery/__init__.py")
CODE = {
    "data": code_version("data.py"),
    "lottery": code_version("lottery/*.py", "steps/lottery.py"),
    "train": code_version(
        "hparams.py",
        "bayes.py",
        "data.py",
        "train.py",
        "config.py",
        "artefacts.py",
        "metrics.py",
        "models/*.py",
        "steps/training.py",
        *STATE_IO,
    ),
    "evaluate": code_version(
        "artefacts.py", "metrics.py", "steps/evaluation.py", *STATE_IO
    ),
}


# ---- paths -------------------------------------------------------------------------------


def run_file(w, file, chain=None, level=None, branch=None):
    """A file of run (experiment, arm, seed, chain, level, branch); overrides for neighbours."""
    level = w.level if level is None else level
    return (
        f"results/{w.experiment}/runs/{w.arm}/s{w.seed}/{chain or w.chain}/L{level}/"
        + (f"{branch or w.branch}/{file}")
    )


def init_file(experiment, kind, seed):
    return f"results/{experiment}/init/{kind}/s{seed}.safetensors"


def rewind_epoch(w):
    return exp(w)["pruning"]["rewind_epoch"]


def rewind_file(experiment, kind, seed, epoch):
    """The dense run's state after ``epoch`` epochs: where late-rewound tickets restart."""
    return f"results/{experiment}/rewind/{kind}/s{seed}/e{epoch}.safetensors"


def rewound_init(w, kind):
    """Initial state of IMP tickets: the initialisation, or the late rewind point."""
    if rewind_epoch(w) == 0:
        return init_file(w.experiment, kind, w.seed)
    return rewind_file(w.experiment, kind, w.seed, rewind_epoch(w))


def data_file(w):
    return f"results/{w.experiment}/data/{EXPERIMENTS[w.experiment]['dataset']}.safetensors"


def exp(w):
    return EXPERIMENTS[w.experiment]


def arm(w):
    return Arm.parse(w.arm)


def kind(w):
    return "bnn" if arm(w).bayesian else "det"


def reinit_seed(w):
    """Initial-weight seed of the reinit branch, disjoint from every replicate seed."""
    return 1_000_003 * (1 + exp(w)["branches"]["seeds"]["reinit"]) + int(w.seed)


def previous_run(w):
    """(chain, level) of the run whose final weights level w.level is pruned from."""
    level = int(w.level) - 1
    return ("imp" if w.chain == "imp" or level == 0 else "lrr"), level


# ---- input functions ---------------------------------------------------------------------


def ticket_mask_inputs(w):
    inputs = {"init": init_file(w.experiment, kind(w), w.seed)}
    if int(w.level) > 0:
        chain, level = previous_run(w)
        inputs["final"] = run_file(w, "final.safetensors", chain, level, "main")
        inputs["mask"] = run_file(w, "mask.safetensors", chain, level, "main")
    return inputs


def start_weights(w):
    """Weights a run starts from: its chain's rewind point, or its branch's."""
    if w.branch == "transplant":
        return f"results/{w.experiment}/init/transplant/s{w.seed}.safetensors"
    if w.branch == "reinit":
        return init_file(w.experiment, kind(w), reinit_seed(w))
    if w.chain == "lrr":  # learning-rate rewinding: continue from the previous level
        chain, level = previous_run(w)
        return run_file(w, "final.safetensors", chain, level, "main")
    if is_dense_run(w):
        return init_file(w.experiment, kind(w), w.seed)
    return rewound_init(w, kind(w))


def is_dense_run(w):
    return w.chain == "imp" and int(w.level) == 0 and w.branch == "main"


def start_epoch(w):
    """Epoch of the schedule a run starts at: IMP tickets and their branches continue from
    the rewind epoch; the dense run and the LRR chain train the whole schedule."""
    return 0 if w.chain == "lrr" or is_dense_run(w) else rewind_epoch(w)


def identity(w):
    e, a = exp(w), arm(w)
    return {
        "experiment": w.experiment,
        "dataset": e["dataset"],
        "model": e["model"],
        "arm": w.arm,
        "bayesian": a.bayesian or w.branch == "transplant",
        "criterion": a.criterion,
        "chain": w.chain,
        "branch": w.branch,
        "seed": int(w.seed),
        "level": int(w.level),
    }


def train_spec(w):
    """Everything a training run depends on besides its input files."""
    e, ident = exp(w), identity(w)
    return {
        "name": f"{w.experiment}/{w.arm}/s{w.seed}/{w.chain}/L{w.level}/{w.branch}",
        "identity": ident,
        "model": e["model"],
        "model_options": e["model_options"],
        "bayesian": ident["bayesian"],
        "bayes": e["bayes"],
        "train": e["train"],
        "seed": int(w.seed),
        "start_epoch": start_epoch(w),
        "device": config["device"],
        "passes": e["evaluation"]["passes"],
    }


def rewind_spec(w):
    """The first ``epoch`` epochs of the dense run (same seed and settings: the same state)."""
    e = exp(w)
    return {
        "name": f"{w.experiment}/{w.kind}/s{w.seed}/rewind/e{w.epoch}",
        "model": e["model"],
        "model_options": e["model_options"],
        "bayesian": w.kind == "bnn",
        "bayes": e["bayes"],
        "train": e["train"],
        "seed": int(w.seed),
        "stop_epoch": int(w.epoch),
        "device": config["device"],
    }


def branch_seed(w):
    return [exp(w)["branches"]["seeds"].get(w.branch, 0), int(w.seed), int(w.level)]


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
            out += [(a, seed, "imp", lvl, "main") for lvl in range(e["levels"] + 1)]
        for a in e["lrr"]["arms"]:
            out += [(a, seed, "lrr", lvl, "main") for lvl in range(1, e["levels"] + 1)]
        for a in e["branches"]["arms"]:
            out += [
                (a, seed, "imp", lvl, b)
                for lvl in e["branches"]["levels"]
                for b in e["branches"]["kinds"]
            ]
        out += [
            ("det", seed, "imp", lvl, "transplant") for lvl in e["transplant"]["levels"]
        ]
    keys = ("arm", "seed", "chain", "level", "branch")
    return [
        SimpleNamespace(experiment=name, **dict(zip(keys, r))) for r in sorted(set(out))
    ]


def run_tables(w):
    """Per-run files the experiment's tables are made from."""
    return {
        key: [run_file(r, file) for r in runs(w.experiment)]
        for key, file in (
            ("epochs", "epochs.parquet"),
            ("predictions", "predictions.parquet"),
            ("masks", "mask.safetensors"),
        )
    }


def run_records(w):
    """Identity, folder and sample count of every run (the aggregate job's params)."""
    samples = bayes_hparams(exp(w)["bayes"]).eval_samples
    return [
        {
            **identity(r),
            "run_dir": run_file(r, "").rstrip("/"),
            "samples": samples if identity(r)["bayesian"] else 1,
        }
        for r in runs(w.experiment)
    ]


def all_targets():
    return [
        path
        for name in EXPERIMENTS
        for path in expand(
            "results/{experiment}/report/{figure}.html", experiment=name, figure=FIGURES
        )
        + expand(
            "results/{experiment}/tables/{table}.parquet",
            experiment=name,
            table=("runs", "epochs", "layers", "calibration"),
        )
    ]
