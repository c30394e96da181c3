"""Bad configs for the config check's tests: the demo's config changed one way each (or raw
YAML text), the fragments each message must hold (ROWS), and the check common.smk runs."""

from pathlib import Path

import pytest
import yaml

from blth.config.check import check
from blth.config.origins import ConfigError, Origins

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEMO = (ROOT / "config" / "demo.yaml").read_text()
AT = "experiments.demo"


def demo(change):
    """A row's config: the demo's, with ``change`` applied to its experiment."""

    def changed(config):
        change(config["experiments"]["demo"])

    return changed


def train(**values):
    return demo(lambda e: e["train"].update(values))


def section(key, **values):
    return demo(lambda e: e.setdefault(key, {}).update(values))


def synthetic(**options):
    return demo(lambda e: e.update(dataset="synthetic", dataset_options=options))


def text_of(change) -> str:
    """YAML text of a row: its raw text, or the demo's changed by it."""
    if isinstance(change, str):
        return change
    config = yaml.safe_load(DEMO)
    change(config)
    return yaml.safe_dump(config, sort_keys=False)


def checked(path: Path, overrides=None) -> None:
    """What rules/common.smk runs on the config of ``path`` (with --config ``overrides``)."""
    origins = Origins([path], overrides or {})
    check({**yaml.safe_load(path.read_text()), **(overrides or {})}, SCHEMA, origins)


def problems(tmp_path: Path, change, overrides=None) -> str:
    path = tmp_path / "config.yaml"
    path.write_text(text_of(change))
    with pytest.raises(ConfigError) as error:
        checked(path, overrides)
    return str(error.value).replace(str(path), "{file}")


RAW_DUPLICATE = DEMO.replace("    model: lenet_300_100\n", "    model: lenet_300_100\n" * 2)
RAW_SYNTAX = DEMO.replace("    model: lenet_300_100\n", "   model: lenet_300_100\n")
RAW_DEFAULTED = "experiments:\n  x:\n    dataset: digits\n    model: lenet\n    arms: [det]\n"
RAW_DEFAULTED += "    levels: 1\n    train:\n      epochs: 40\n"

# fmt: off
ROWS = {  # id: (change, fragments of the message)
    # the JSON schema: key path, value, what is expected; every error at once
    "levels_not_int": (demo(lambda e: e.update(levels="8")),
        [f"{{file}}:13: {AT}.levels: '8' is not of type 'integer'"]),
    "train_typo": (train(epoch=3),
        [f"{AT}.train.epoch: unknown key; allowed: amp, batch_size", "epochs"]),
    "device": (lambda c: c.update(device="gpu"),
        ["{file}:1: device: 'gpu' does not match '^(auto|cpu|cuda"]),
    "no_arms": (demo(lambda e: e.update(arms=[])), [f"{AT}.arms: [] should be non-empty"]),
    "dataset": (demo(lambda e: e.update(dataset="stl10")),
        [f"{AT}.dataset: 'stl10' is not one of ['cifar10', 'digits', 'fashion_mnist'"]),
    "rate": (section("pruning", rate=1.5),
        [f"{AT}.pruning.rate: 1.5 is greater than or equal to the maximum of 1"]),
    "no_model": (demo(lambda e: e.pop("model")),
        [f"{{file}}:3: {AT}: 'model' is a required property"]),
    "kl": (section("bayes", kl="open"), [f"{AT}.bayes.kl: 'open' is not one of ['closed', 'mc']"]),
    "seed": (demo(lambda e: e.update(seeds=[-1])),
        [f"{AT}.seeds[0]: -1 is less than the minimum of 0"]),
    "tolerance": (lambda c: c.update(report={"match_tolerance": -1}),
        ["report.match_tolerance: -1 is less than the minimum of 0"]),
    "no_experiments": ("device: cpu\n", ["{file}: 'experiments' is a required property"]),
    "long_value": (demo(lambda e: e.update(train=list(range(40)))),
        [f"{AT}.train: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9,", "... is not of type 'object'"]),
    "three_at_once": (demo(lambda e: e.update(levels="8", bogus=1, train={"lr": 0})),
        ["3 problems", f"{AT}.bogus: unknown key", f"{AT}.levels: '8'",
         f"{AT}.train.lr: 0 is less than or equal to the minimum of 0"]),
    # the learning-rate schedule within the training
    "milestone_late": (train(milestones=[6, 10]),
        [f"{AT}.train.milestones: [10] must be below {AT}.train.epochs = 8"]),
    "default_milestones": (demo(lambda e: e.update(train={"epochs": 40})),
        [f"{AT}.train.milestones: the default [80, 120] must be below {AT}.train.epochs = 40",
         f"set {AT}.train.milestones below 40, or [] for a constant rate"]),
    "default_at_enclosing_key": (RAW_DEFAULTED,
        ["{file}:7: experiments.x.train.milestones: the default [80, 120] must be below"]),
    "warmup": (train(warmup_epochs=8),
        [f"{AT}.train.warmup_epochs: 8 must be below {AT}.train.epochs = 8"]),
    "rewind": (section("pruning", rewind_epoch=8),
        [f"{AT}.pruning.rewind_epoch: 8 must be below {AT}.train.epochs = 8"]),
    # cross-key checks
    "branch_levels": (section("branches", levels=[12]),
        [f"{AT}.branches.levels: [12] exceed {AT}.levels = 8"]),
    "transplant_levels": (section("transplant", levels=[9]),
        [f"{AT}.transplant.levels: [9] exceed {AT}.levels = 8"]),
    "lrr_arms": (section("lrr", arms=["bnn-snr_code"]),
        [f"{AT}.lrr.arms: ['bnn-snr_code'] are not in {AT}.arms"]),
    "arm_criterion": (demo(lambda e: e.update(arms=["det", "bnn-magnitude"])),
        [f"{AT}.arms[1]: criterion 'magnitude' is not defined for Bayesian models; choose one"]),
    "transplant_det": (demo(lambda e: e.update(arms=["bnn-snr"], lrr={}, branches={})),
        [f"{AT}.transplant: needs the arm 'det' in {AT}.arms"]),
    # the jobs' specs: models, options, hyper-parameters
    "resnet21": (demo(lambda e: e.update(model="resnet21")),
        [f"{AT}.model: 'resnet21': a CIFAR ResNet has depth 6n+2 (20, 32, 56, 110)"]),
    "model_options": (demo(lambda e: e.update(model_options={"patch": 4})),
        [f"{AT}.model_options: ['patch'] do not apply to 'lenet_300_100' (allowed: none)"]),
    "ood_unknown": (demo(lambda e: e["evaluation"]["shift"].update(ood=["svhn_x"])),
        [f"{AT}.evaluation.shift.ood[0]: 'svhn_x' is neither 'uniform_noise' nor a dataset"]),
    "ood_own_dataset": (demo(lambda e: e["evaluation"]["shift"].update(ood=["digits"])),
        [f"{AT}.evaluation.shift.ood[0]: 'digits' is the experiment's own dataset"]),
    "shift_corruption": (demo(lambda e: e["evaluation"]["shift"].update(corruptions=["fog"])),
        [f"{AT}.evaluation.shift.corruptions[0]: 'fog' is not one of"]),
    "folder_unset": (demo(lambda e: e["evaluation"]["shift"].update(folder_corruptions=["fog"])),
        [f"{AT}.evaluation.shift.folder: is not set, and folder_corruptions names ['fog']"]),
    "folder_absent": (demo(lambda e: e["evaluation"]["shift"].update(
        folder="/no/such/c10c", folder_corruptions=["fog"])),
        [f"{AT}.evaluation.shift.folder: '/no/such/c10c' is no folder"]),
    "folder_file_missing": (demo(lambda e: e["evaluation"]["shift"].update(
        folder=str(ROOT / "tests"), folder_corruptions=["fog"])),
        [f"{AT}.evaluation.shift.folder_corruptions[0]: {ROOT / 'tests' / 'fog.npy'} does not"]),
    "folder_unused": (demo(lambda e: e["evaluation"]["shift"].update(folder=str(ROOT))),
        [f"{AT}.evaluation.shift.folder_corruptions: names no corruption to read from {ROOT}"]),
    "torchvision_no_name": (demo(lambda e: e.update(model="torchvision:")),
        [f"{AT}.model: 'torchvision:' does not match"]),
    "two_colons": (demo(lambda e: e.update(model="a:b:c")),
        [f"{AT}.model: 'a:b:c' does not match"]),
    "module_missing": (demo(lambda e: e.update(model="no_such_pkg_xyz.nets:build")),
        [f"{AT}.model: 'no_such_pkg_xyz.nets:build': no module 'no_such_pkg_xyz' can be imported"]),
    "torchvision_weights": (demo(lambda e: e.update(model="torchvision:resnet18",
                                                    model_options={"weights": "DEFAULT"})),
        [f"{AT}.model_options: 'torchvision:resnet18' must not set weights (blth never loads"]),
    "dataset_option": (demo(lambda e: e.update(dataset_options={"foo": 1})),
        [f"{AT}.dataset_options: ['foo'] do not apply to dataset 'digits' "
         "(allowed: ['test_fraction'])"]),
    "test_fraction": (demo(lambda e: e.update(dataset_options={"test_fraction": 1.5})),
        [f"{AT}.dataset_options.test_fraction: 1.5 is not a number in (0, 1)"]),
    "test_fraction_zero": (demo(lambda e: e.update(dataset_options={"test_fraction": 0})),
        [f"{AT}.dataset_options.test_fraction: 0 is not a number in (0, 1)"]),
    "classes": (synthetic(classes=1), [f"{AT}.dataset_options.classes: 1 is not an integer >= 2"]),
    "shape_2d": (synthetic(shape=[3, 32]),
        [f"{AT}.dataset_options.shape: [3, 32] is not 3 positive integers [channels, height"]),
    "shape_zero": (synthetic(shape=[3, 0, 8]), [f"{AT}.dataset_options.shape: [3, 0, 8] is not"]),
    "train_size": (synthetic(train=0), [f"{AT}.dataset_options.train: 0 is not an integer >= 1"]),
    "test_size": (synthetic(test=2.5),
        [f"{AT}.dataset_options.test: 2.5 is not an integer >= 1"]),
    "local_reparam_mc": (section("bayes", estimator="local_reparam", kl="mc"),
        [f"{AT}.bayes.kl: 'mc' needs weight samples", "use kl: closed"]),
    # pruning.ignore against the model's layers
    "ignore_unknown": (section("pruning", ignore=["fc9"]),
        [f"{AT}.pruning.ignore: names no prunable layer: ['fc9']; "
         "prunable layers are ['hidden.0', 'hidden.1', 'fc']"]),
    "ignore_all": (section("pruning", ignore=["hidden.0", "hidden.1", "fc"]),
        [f"{AT}.pruning.ignore: ['fc', 'hidden.0', 'hidden.1'] leave nothing to prune"]),
    # repeats and lists that run nothing
    "seed_twice": (demo(lambda e: e.update(seeds=[0, 1, 0])),
        [f"{AT}.seeds: [0] appear more than once"]),
    "arm_twice": (demo(lambda e: e["branches"].update(arms=["det", "det"])),
        [f"{AT}.branches.arms: ['det'] appear more than once"]),
    "transplant_level_twice": (section("transplant", levels=[4, 8, 4]),
        [f"{AT}.transplant.levels: [4] appear more than once"]),
    "milestones_unsorted": (train(milestones=[6, 3]),
        [f"{AT}.train.milestones: [6, 3] must rise strictly"]),
    "milestones_twice": (train(milestones=[6, 3, 3]),
        [f"{AT}.train.milestones: [6, 3, 3] must rise strictly (each one decays the rate once)"]),
    "branch_arms_empty": (section("branches", arms=[]),
        [f"{AT}.branches.arms: is empty, so the branches.levels [8] run no branch"]),
    "branch_levels_empty": (section("branches", levels=[]),
        [f"{AT}.branches.levels: is empty, so the branches.arms ['det', 'bnn-snr'] run no"]),
    # named before any job, not in one
    "torchvision_unknown": (demo(lambda e: e.update(model="torchvision:resnet999")),
        [f"{AT}.model: 'torchvision:resnet999': torchvision has no classification model "
         "'resnet999' (nearest: resnet50, "]),
    "ood_other_shape": (demo(lambda e: e["evaluation"]["shift"].update(ood=["mnist"])),
        [f"{AT}.evaluation.shift.ood[0]: 'mnist' has images of shape [1, 28, 28], the "
         "experiment's 'digits' [1, 8, 8]: the networks cannot read them"]),
    "data_root_file": (lambda config: config.update(data_root=str(ROOT / "README.md")),
        [f"data_root: '{ROOT / 'README.md'}' is a file; expected the folder the datasets"]),
    # sizes: of the model's layers, of the predictives
    "levels_empty_a_layer": (section("pruning", rate=0.99),
        [f"{AT}.levels: 8 levels at {AT}.pruning.rate = 0.99 leave 0 weights at level 3 for the 2 "
         "prunable tensors of 'lenet_300_100': at least one is empty from there on"]),
    "eval_samples_memory": (section("bayes", eval_samples=10**9),
        [f"{AT}.bayes.eval_samples: 1000000000 weight samples x 360 digits test images x 10 "
         "classes of float32 probabilities take 13,411.0 GiB at once, more than this machine's"]),
    # ensembles across seeds
    "ensemble_one_seed": (section("evaluation", ensembles=["det"]),
        [f"{AT}.evaluation.ensembles: an ensemble across seeds needs two or more in {AT}.seeds, "
         "which holds [0]"]),
    "ensemble_unknown_arm": (
        demo(lambda e: e.update(seeds=[0, 1], evaluation={"ensembles": ["bnn-x"]})),
        [f"{AT}.evaluation.ensembles: ['bnn-x'] are not in {AT}.arms"]),
    # the YAML itself
    "duplicate_key": (RAW_DUPLICATE,
        [f"{{file}}:8: {AT}.model is set twice (also on line 7); only the last would count"]),
    "syntax": (RAW_SYNTAX, ["{file}:7:4: not valid YAML: expected <block end>"]),
}
# fmt: on
