"""The workflow's config checked before its first job: every problem at once, a line each
naming where it was set (blth.config.origins) and what was expected.

Torch-free, except where the model's layers are needed (config_sizes): a set ``pruning.ignore``
and levels that prune below a thousandth of the weights.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from blth.config import runspec
from blth.config import sizes as config_sizes
from blth.config.origins import KeyPath, Origins, Problem, dotted
from blth.data import sources
from blth.lottery import masks
from blth.lottery.arms import Arm
from blth.models import model_names
from blth.shift import NOISE_IMAGES
from blth.shift import files as shift_files

# blth's errors mostly start with the key they concern: "bayes.kl: 'mc' needs ..."
_LEADING_KEY = re.compile(r"([a-z0-9_]+(?:\.[a-z0-9_]+)*):? (.*)", re.S)


# ---- the JSON schema -------------------------------------------------------------------------


def check_schema(config: Mapping, schema_file: str | os.PathLike, origins: Origins) -> None:
    """Every error of the JSON schema at once, a line each (Snakemake's ``validate`` stops at
    the first and prints the schema around it)."""
    from jsonschema import Draft202012Validator  # Snakemake's; blth check-config needs none

    schema = yaml.safe_load(Path(schema_file).read_text(encoding="utf-8"))
    errors = Draft202012Validator(schema).iter_errors(config)
    problems = [p for error in errors for p in _schema_problems(error)]
    origins.check(sorted(problems, key=lambda p: dotted(p[0])))


def _schema_problems(error: Any) -> Iterator[Problem]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = sorted(error.schema.get("properties", {}))
        for key in sorted(set(error.instance) - set(allowed)):
            yield (*path, key), f"unknown key; allowed: {', '.join(allowed)}"
        return
    value = repr(error.instance)  # jsonschema's messages start with it: whole sections, maybe
    short = value if len(value) <= 60 else value[:57] + "..."
    yield path, error.message.replace(value, short, 1)


def check(config: dict, schema_file: str | os.PathLike, origins: Origins) -> None:
    """The whole check the workflow runs before any job (and ``blth check-config``): the schema's
    problems at once, then, with the schema's defaults filled into ``config``, the cross-key
    checks'; :class:`ConfigError` names each with where it was set."""
    from snakemake.utils import validate

    check_schema(config, schema_file, origins)
    validate(config, str(schema_file))  # fills the defaults the cross-key checks read
    check_experiments(config, origins)


# ---- cross-key checks ------------------------------------------------------------------------


def check_experiments(config: Mapping, origins: Origins) -> None:
    """The checks the schema cannot express, on the config with the schema's defaults filled."""
    experiments = config["experiments"].items()
    problems = [p for name, e in experiments for p in _experiment(("experiments", name), e)]
    origins.check([*_data_root(config), *problems])


def _data_root(config: Mapping) -> Iterator[Problem]:
    root = Path(config["data_root"])
    if root.exists() and not root.is_dir():
        yield (
            ("data_root",),
            (
                f"{str(root)!r} is a file; expected the folder the datasets are read from (or "
                "downloaded to)"
            ),
        )


def _experiment(at: KeyPath, exp: dict) -> Iterator[Problem]:
    yield from _repeats(at, exp)
    yield from _arms(at, exp)
    yield from _levels(at, exp)
    specs = list(_specs(at, exp))
    yield from specs
    if specs:  # the checks below read the specs
        return
    yield from _dataset_options(at, exp)
    yield from _shift(at, exp)
    yield from _folder_corruptions(at, exp)
    yield from _schedule(at, exp)
    yield from _pruning(at, exp)
    yield from config_sizes.predictive_memory(at, exp)
    if exp["transplant"]["levels"] and "det" not in exp["arms"]:
        yield (*at, "transplant"), f"needs the arm 'det' in {dotted((*at, 'arms'))}"


def _shift(at: KeyPath, exp: dict) -> Iterator[Problem]:
    """Out-of-distribution sets: noise images or a known dataset other than the experiment's."""
    known = sources.names()
    for i, name in enumerate(exp["evaluation"]["shift"]["ood"]):
        key = (*at, "evaluation", "shift", "ood", i)
        if name != NOISE_IMAGES and name not in known:
            yield key, f"{name!r} is neither {NOISE_IMAGES!r} nor a dataset ({', '.join(known)})"
        elif name == exp["dataset"]:
            yield key, f"{name!r} is the experiment's own dataset, not out of distribution"
        elif name != NOISE_IMAGES and exp["dataset"] in known:
            own = sources.image_shape(exp["dataset"], exp["dataset_options"])
            other = sources.image_shape(name)
            if own != other:
                yield (
                    key,
                    (
                        f"{name!r} has images of shape {list(other)}, the experiment's "
                        f"{exp['dataset']!r} {list(own)}: the networks cannot read them"
                    ),
                )


def _folder_corruptions(at: KeyPath, exp: dict) -> Iterator[Problem]:
    """Corruptions read from files: a folder that has them, and no name computed as well."""
    shift = exp["evaluation"]["shift"]
    at = (*at, "evaluation", "shift")
    folder, names = shift["folder"], shift["folder_corruptions"]
    if not names:
        if folder is not None:
            yield (*at, "folder_corruptions"), f"names no corruption to read from {folder}"
        return
    if folder is None or not Path(folder).is_dir():
        found = "is not set" if folder is None else f"{folder!r} is no folder"
        yield (*at, "folder"), f"{found}, and folder_corruptions names {names}"
        return
    missing = set(shift_files.missing(folder, names))
    for i, name in enumerate(names):
        key = (*at, "folder_corruptions", i)
        if name == shift_files.LABELS:
            yield key, f"{name!r} is the folder's labels, not a corruption"
        elif name in missing:
            yield key, f"{shift_files.path(folder, name)} does not exist"
        elif name in shift["corruptions"]:
            yield key, f"{name!r} is computed too ({dotted((*at, 'corruptions'))}): keep one"


# Lists whose entries name runs: a repeat would run nothing new, or (milestones) decay twice.
SETS: tuple[tuple[str, ...], ...] = (
    ("seeds",),
    ("arms",),
    ("lrr", "arms"),
    ("branches", "arms"),
    ("branches", "levels"),
    ("branches", "kinds"),
    ("transplant", "levels"),
    ("evaluation", "shift", "ood"),
    ("evaluation", "ensembles"),
)


def _repeats(at: KeyPath, exp: dict) -> Iterator[Problem]:
    """No list of runs names one twice; milestones rise; branch arms and levels come together."""
    for path in SETS:
        section = exp
        for key in path[:-1]:
            section = section[key]
        values: list[Any] = section[path[-1]]
        twice = sorted({v for v in values if values.count(v) > 1}, key=str)
        if twice:
            yield (*at, *path), f"{twice} appear more than once"
    milestones = exp["train"].get("milestones", [])
    if list(milestones) != sorted(set(milestones)):
        yield (
            (*at, "train", "milestones"),
            (f"{milestones} must rise strictly (each one decays the rate once)"),
        )
    branches = exp["branches"]
    if bool(branches["arms"]) != bool(branches["levels"]):
        given, empty = ("arms", "levels") if branches["arms"] else ("levels", "arms")
        yield (
            (*at, "branches", empty),
            (f"is empty, so the branches.{given} {branches[given]} run no branch"),
        )


def _arms(at: KeyPath, exp: dict) -> Iterator[Problem]:
    for i, arm in enumerate(exp["arms"]):
        try:
            Arm.parse(arm)
        except ValueError as err:
            yield (*at, "arms", i), str(err)
    for key in (("lrr", "arms"), ("branches", "arms"), ("evaluation", "ensembles")):
        unknown = sorted(set(exp[key[0]][key[1]]) - set(exp["arms"]), key=str)
        if unknown:
            yield (*at, *key), f"{unknown} are not in {dotted((*at, 'arms'))}"
    if exp["evaluation"]["ensembles"] and len(exp["seeds"]) < 2:
        yield (
            (*at, "evaluation", "ensembles"),
            f"an ensemble across seeds needs two or more in {dotted((*at, 'seeds'))}, "
            f"which holds {exp['seeds']}",
        )


def _levels(at: KeyPath, exp: dict) -> Iterator[Problem]:
    for key in ("branches", "transplant"):
        too_deep = [level for level in exp[key]["levels"] if level > exp["levels"]]
        if too_deep:
            limit = f"{dotted((*at, 'levels'))} = {exp['levels']}"
            yield (*at, key, "levels"), f"{too_deep} exceed {limit}"


def _specs(at: KeyPath, exp: dict) -> Iterator[Problem]:
    """Every part of the jobs' specs (blth.config.runspec) builds: types, options, hparams'
    checks."""
    parts = (
        lambda: runspec.data_spec(exp, ""),
        lambda: model_names.options(exp["model"], exp["model_options"]),
        lambda: model_names.check_importable(exp["model"]),
        lambda: runspec.bayes_of(exp),
        lambda: runspec.train_of(exp),
        lambda: runspec.evaluation_of(exp),
    )
    for build in parts:
        try:
            build()
        except (ValueError, TypeError) as err:
            yield _located(at, exp, err)


def _located(at: KeyPath, exp: dict, err: Exception) -> Problem:
    """``err``'s message under ``at``, a leading key of the experiment moved into the key path
    (``bayes.kl: 'mc' needs ...``, ``model_options ['patch'] do not apply ...``)."""
    match = _LEADING_KEY.fullmatch(str(err))
    if match is None or match[1].split(".")[0] not in exp:
        return at, str(err)
    return (*at, *match[1].split(".")), match[2]


def _integer(value: object, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


# What each option of a data source (a keyword of a blth.data.sources reader) accepts: (test, what
# is expected). Checked here, not in blth.data.sources, so that no job's code fingerprint changes.
DATASET_OPTIONS: dict[str, tuple[Callable[[object], bool], str]] = {
    "test_fraction": (
        lambda v: isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < 1,
        "a number in (0, 1)",
    ),
    "classes": (lambda v: _integer(v, 2), "an integer >= 2"),
    "shape": (
        lambda v: isinstance(v, list | tuple) and len(v) == 3 and all(_integer(s, 1) for s in v),
        "3 positive integers [channels, height, width]",
    ),
    "train": (lambda v: _integer(v, 1), "an integer >= 1"),
    "test": (lambda v: _integer(v, 1), "an integer >= 1"),
    "seed": (lambda v: _integer(v, 0), "an integer >= 0"),
}


def _dataset_options(at: KeyPath, exp: dict) -> Iterator[Problem]:
    for key, value in exp["dataset_options"].items():
        valid, expected = DATASET_OPTIONS[key]
        if not valid(value):
            yield (*at, "dataset_options", key), f"{value!r} is not {expected}"


def _schedule(at: KeyPath, exp: dict) -> Iterator[Problem]:
    """Milestones, warmup and the rewind point inside the training: past its end the learning
    rate silently never decays, or the warmup never ends."""
    train = runspec.train_of(exp)
    epochs = train.epochs
    below = f"must be below {dotted((*at, 'train', 'epochs'))} = {epochs}"
    late = [m for m in train.milestones if m >= epochs]
    milestones = (*at, "train", "milestones")
    if late and "milestones" in exp["train"]:
        yield milestones, f"{late} {below}: the learning rate never decays there"
    elif late:
        advice = f"set {dotted(milestones)} below {epochs}, or [] for a constant rate"
        default = list(train.milestones)
        yield milestones, f"the default {default} {below} to decay the rate: {advice}"
    if train.warmup_epochs >= epochs:
        yield (*at, "train", "warmup_epochs"), f"{train.warmup_epochs} {below}"
    if exp["pruning"]["rewind_epoch"] >= epochs:
        yield (*at, "pruning", "rewind_epoch"), f"{exp['pruning']['rewind_epoch']} {below}"


def _pruning(at: KeyPath, exp: dict) -> Iterator[Problem]:
    """``pruning.ignore`` must name prunable layers of the model and leave one to prune, and no
    level may leave a layer empty (config_sizes)."""
    ignore = exp["pruning"]["ignore"]
    if ignore is None:  # the classifier, which every model has besides other layers
        yield from config_sizes.emptied_layers(at, exp, None)
        return
    meta = config_sizes.model_description(exp)
    try:
        left = masks.prunable_names(meta, meta["sizes"], ignore)
    except ValueError as err:
        yield _located(at, exp, err)
        return
    if not left:
        yield (
            (*at, "pruning", "ignore"),
            (
                f"{sorted(ignore)} leave nothing to prune; expected at least one of the prunable "
                f"layers {meta['layers']} left out"
            ),
        )
    else:
        yield from config_sizes.emptied_layers(at, exp, meta)
