"""The rerun contract of docs/reruns.md, row by row.

One tiny whole study (tests/data/reruns.yaml) runs once; then each row makes its change, dry-runs
Snakemake and compares the exact set of planned jobs, by rule and wildcards, with the row's
expectation. Every row of the docs' table is a row here (checked by the first test).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from reruns_study import CONFIG, parse, plan, restored

from blth.bayes.hparams import INIT_KEYS, BayesHparams
from blth.config.hparams import TrainHparams

ROOT = Path(__file__).resolve().parents[2]
Expect = Callable[[str, dict], bool]


# ---- expectations: predicates on (rule, wildcards) --------------------------------------


def rules(*names: str, where: Callable[[dict], bool] = lambda wc: True) -> Expect:
    return lambda rule, wc: rule in names and where(wc)


def any_of(*expects: Expect) -> Expect:
    return lambda rule, wc: any(e(rule, wc) for e in expects)


def level(wc: dict) -> int:
    return int(wc.get("level", -1))


def bnn_run(wc: dict) -> bool:
    return wc.get("arm", "").startswith("bnn") or wc.get("branch") == "transplant"


def NOTHING(rule: str, wc: dict) -> bool:
    return False


REPORT = rules("aggregate", "figure", "all")
EVALUATIONS = any_of(rules("evaluate"), REPORT)
TRAININGS = any_of(  # every training and what depends on a trained network
    rules("train", "branch_mask"),
    rules("ticket_mask", where=lambda wc: level(wc) >= 1),
    EVALUATIONS,
)
BAYESIAN_TRAININGS = any_of(
    rules("train", "evaluate", where=bnn_run),
    rules("ticket_mask", where=lambda wc: bnn_run(wc) and level(wc) >= 1),
    REPORT,
)
BAYESIAN_INIT = any_of(
    BAYESIAN_TRAININGS,
    rules("init_weights", where=lambda wc: wc["kind"] == "bnn"),
    rules("ticket_mask", where=bnn_run),
    rules("transplant_init"),
)
PRUNED_LEVELS = any_of(  # every level above the dense one
    rules("train", "ticket_mask", where=lambda wc: level(wc) >= 1),
    rules("branch_mask"),
    EVALUATIONS,
)
LATE_REWIND = any_of(
    rules("rewind_point", "transplant_init", "branch_mask"),
    rules("train", where=lambda wc: wc["chain"] == "imp" and level(wc) >= 1),
    rules("ticket_mask", where=lambda wc: wc["chain"] == "imp" and level(wc) >= 2),
    rules("evaluate", where=lambda wc: wc["chain"] == "imp"),
    REPORT,
)


# ---- changes ------------------------------------------------------------------------------


def study(config: dict) -> dict:
    return config["experiments"]["tiny"]


def setting(section: str, key: str, value) -> Callable[[dict], None]:
    return lambda config: study(config).setdefault(section, {}).__setitem__(key, value)


def reversed_keys(value):
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    return value


def edit(path: str, old: str | None = None, new: str = "") -> Callable[[Path], None]:
    """Replace ``old`` in a file of the study's copy (None: append ``new``)."""

    def change(work: Path) -> None:
        file = work / path
        text = file.read_text()
        assert old is None or old in text, f"{path}: {old!r} not found"
        file.write_text(text + new if old is None else text.replace(old, new, 1))

    return change


def touch_everything(work: Path) -> None:
    for path in work.rglob("*"):
        if path.is_file() and "results" not in path.parts and ".snakemake" not in path.parts:
            path.touch()


BAYES_CHANGES = {
    "samples": 3,
    "eval_samples": 3,
    "prior_std": 0.5,
    "init_std": 0.02,
    "classifier_init_std": 0.05,
    "kl": "mc",
    "temperature": 0.2,
    "sample_strategy": "stacked",
    "estimator": "flipout",
    "batchnorm_stats": "batch",
    "cpu_noise": "torch",
}
TRAIN_CHANGES = {
    "epochs": 3,
    "batch_size": 60,
    "lr": 0.002,
    "weight_decay": 0.0,
    "milestones": [],  # from [1]: within the 2 epochs, as the config checks require
    "gamma": 0.5,
    "warmup_epochs": 1,
    "eval_batch_size": 50,
    "amp": False,
    "compile": True,
    "channels_last": False,
}
EVALUATION_CHANGES = {
    "passes": 3,
    "ece_bins": 10,
    "mace_bins": 10,
    "classwise_bins": 50,
    "shift": {"corruptions": ["contrast"], "ood": ["uniform_noise"]},
}
EXPLICIT_DEFAULTS = {
    "train": {"lr": 0.001, "weight_decay": 1e-4, "gamma": 0.1, "amp": True},
    "bayes": {"temperature": 0.1, "prior_std": 1, "kl": "closed"},
    "pruning": {"rate": 0.2, "rewind_epoch": 0},
    "model_options": {},
    "dataset_options": {"classes": 10, "seed": 0},
    "dataset_subset": None,
}


def explicit_defaults(exp: dict) -> None:
    for section, values in EXPLICIT_DEFAULTS.items():
        if values is None:
            exp[section] = values
        else:
            exp.setdefault(section, {}).update(values)


@dataclasses.dataclass
class Row:
    action: str  # the first column of the table in docs/reruns.md
    expect: Expect
    config: Callable[[dict], dict | None] = lambda config: None  # in place, or a new one
    files: Callable[[Path], None] = lambda work: None
    grows: bool = False  # the change adds jobs: expectations range over the new study's jobs


# fmt: off
ROWS = [
    Row("touch every file (or a `git checkout` that restores the same content)", NOTHING,
        files=touch_everything),
    Row("comment, docstring or formatting edit in the package or a script", NOTHING,
        files=lambda work: [
            edit("src/blth/training/train.py", '"""Training loop', '"""The training loop')(work),
            edit("src/blth/bayes/noise.py", None, "\n# a comment\n")(work),
            edit("src/blth/bayes/layer.py", "import math\n", "import math  # why\n\n")(work),
            edit("scripts/train.py", "import sys\n", "import sys  # a comment\n")(work),
        ]),
    Row("reorder keys in a config file", NOTHING, config=reversed_keys),
    Row("write defaults out explicitly", NOTHING,
        config=lambda c: explicit_defaults(study(c))),
    Row("`device: cpu` -> `auto` (on a host without a GPU)", NOTHING,
        config=lambda c: c.update(device="auto")),
    Row("`data_root`", NOTHING, config=lambda c: c.update(data_root="/elsewhere")),
    Row("`resources.*`", NOTHING, config=setting("resources", "threads", 2)),
    Row("`tensorboard: true`", NOTHING, config=lambda c: c.update(tensorboard=True)),
    *(
        Row(f"`bayes.{key}`", BAYESIAN_INIT if key in INIT_KEYS else BAYESIAN_TRAININGS,
            config=setting("bayes", key, value))
        for key, value in BAYES_CHANGES.items()
    ),
    *(
        Row(f"`train.{key}`", TRAININGS, config=setting("train", key, value))
        for key, value in TRAIN_CHANGES.items()
    ),
    *(
        Row(f"`evaluation.{key}`", EVALUATIONS, config=setting("evaluation", key, value))
        for key, value in EVALUATION_CHANGES.items()
    ),
    Row("`report.match_tolerance`", rules("figure", "all"),
        config=lambda c: c.update(report={"match_tolerance": 1.0})),
    Row("`pruning.rate`", PRUNED_LEVELS, config=setting("pruning", "rate", 0.3)),
    Row("`pruning.seed` (no arm prunes at random)", NOTHING, config=setting("pruning", "seed", 5)),
    Row("`pruning.ignore`", any_of(PRUNED_LEVELS, rules("ticket_mask")),
        config=setting("pruning", "ignore", [])),
    Row("`pruning.prune_biases`", any_of(PRUNED_LEVELS, rules("ticket_mask")),
        config=setting("pruning", "prune_biases", True)),
    Row("`pruning.rewind_epoch` (late rewinding)", LATE_REWIND,
        config=setting("pruning", "rewind_epoch", 1), grows=True),
    Row("a branch seed (`branches.seeds.shuffle_even`)",
        any_of(rules("branch_mask", "train", "evaluate",
                     where=lambda wc: wc.get("branch") == "shuffle_even"), REPORT),
        config=lambda c: study(c)["branches"].setdefault("seeds", {}).update(shuffle_even=99)),
    Row("a new seed", any_of(
        lambda rule, wc: wc.get("seed") == "1" or wc.get("init_seed") in ("1", "2000007"), REPORT),
        config=lambda c: study(c).update(seeds=[0, 1]), grows=True),
    Row("`evaluation.ensembles`", any_of(
        lambda rule, wc: wc.get("seed") == "1" or wc.get("init_seed") in ("1", "2000007"),
        rules("ensemble"), REPORT),
        config=lambda c: study(c).update(
            seeds=[0, 1], evaluation={"passes": 2, "ensembles": ["det"]}),
        grows=True),
    Row("a new arm", any_of(lambda rule, wc: wc.get("arm") == "bnn-mean", REPORT),
        config=lambda c: study(c)["arms"].append("bnn-mean"), grows=True),
    Row("a new level", any_of(
        rules("ticket_mask", "train", where=lambda wc: level(wc) == 3),
        rules("evaluate", where=lambda wc: wc["branch"] == "main"), REPORT),
        config=lambda c: study(c).update(levels=3), grows=True),
    Row("edit of the noise kernel (`noise.c`)", lambda rule, wc: rule != "prepare_data",
        files=edit("src/blth/bayes/noise.c", None, "\nstatic const int blth_edited = 1;\n")),
    Row("edit of the training loop (`training/train.py`)", TRAININGS,
        files=edit("src/blth/training/train.py", None, "\nEDITED = True\n")),
    Row("edit of the pruning code (`lottery/prune.py`)",
        any_of(PRUNED_LEVELS, rules("ticket_mask", "transplant_init")),
        files=edit("src/blth/lottery/prune.py", None, "\nEDITED = True\n")),
    Row("edit of the evaluation (`steps/evaluation.py`)", EVALUATIONS,
        files=edit("src/blth/steps/evaluation.py", None, "\nEDITED = True\n")),
    Row("a new dataset source (`sources/<name>.py`)", NOTHING,
        files=lambda work: (work / "src/blth/data/sources/newset.py").write_text(
            "AUGMENT = False\n\n\ndef read(root):\n    return ()\n")),
    Row("edit of another dataset's source (`sources/cifar10.py`)", NOTHING,
        files=edit("src/blth/data/sources/cifar10.py", None, "\nEDITED = True\n")),
    Row("`dataset_subset`", lambda rule, wc: True,
        config=lambda c: study(c).update(dataset_subset={"train": 30})),
    Row("edit of the study's dataset source (`sources/synthetic.py`)", lambda rule, wc: True,
        files=edit("src/blth/data/sources/synthetic.py", None, "\nEDITED = True\n")),
    Row("edit of the job server (`jobserver/server.py`)", NOTHING,
        files=edit("src/blth/jobserver/server.py", None, "\nEDITED = True\n")),
    Row("edit of a chart (`report/charts.py`)", rules("figure", "all"),
        files=edit("src/blth/report/charts.py", None, "\nEDITED = True\n")),
]
# fmt: on


def test_every_row_of_the_documented_contract_is_tested():
    table = (ROOT / "docs/reruns.md").read_text()
    documented = re.findall(r"^\| (.+?) \|", table, re.M)[1:]  # after the header
    assert documented == [row.action for row in ROWS]
    # each setting of the hyper-parameter dataclasses has its row
    assert set(BAYES_CHANGES) == {f.name for f in dataclasses.fields(BayesHparams)}
    assert set(TRAIN_CHANGES) == {f.name for f in dataclasses.fields(TrainHparams)}


@pytest.mark.slow
@pytest.mark.parametrize("row", ROWS, ids=[row.action for row in ROWS])
def test_rerun_contract(finished, row):
    work, universe = finished
    config = yaml.safe_load(yaml.safe_dump(CONFIG))
    config = row.config(config) or config
    with restored(work):
        row.files(work)
        planned = plan(work, config)
        if row.grows:
            universe = plan(work, config, "--forceall")
    expected = {job for job in universe if row.expect(*parse(job))}
    assert planned == expected, (
        f"unexpected: {sorted(planned - expected)}\nmissing: {sorted(expected - planned)}"
    )
