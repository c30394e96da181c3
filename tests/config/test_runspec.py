"""Job specs: defaults applied, values normalised, and only the keys that decide a result."""

import dataclasses
import typing

import numpy as np
import pytest

from blth.bayes.hparams import INIT_KEYS, BayesHparams, InitBayes, PredictiveBayes
from blth.config import runspec
from blth.models import model_names
from blth.models.registry import build
from blth.models.vgg import PLANS


def experiment(**changes):
    exp = {
        "dataset": "digits",
        "dataset_options": {},
        "model": "lenet_300_100",
        "model_options": {},
        "train": {"epochs": 4},
        "bayes": {},
        "pruning": {"rate": 0.2, "ignore": None, "prune_biases": False, "seed": 0},
        "evaluation": {"passes": 5, "ece_bins": 15, "mace_bins": 15, "classwise_bins": 100},
        "branches": {"seeds": {"reinit": 1}},
        "transplant": {"sigma": "constant", "sigma_value": 0.01},
    }
    for key, value in changes.items():
        exp[key] = {**exp[key], **value} if isinstance(value, dict) else value
    return exp


def test_explicit_defaults_and_number_spellings_describe_the_same_run():
    plain = runspec.train_spec(experiment(), True, 0, 0, None, "c")
    explicit = runspec.train_spec(
        experiment(
            train={"lr": 0.001, "gamma": 0.1, "milestones": [80, 120]}, bayes={"samples": 10}
        ),
        True,
        0,
        0,
        None,
        "c",
    )
    assert plain.params() == explicit.params() and plain.key() == explicit.key()
    assert repr(plain.params()) == repr(explicit.params())  # Snakemake compares reprs
    one = [
        runspec.train_spec(experiment(train={"lr": v}), False, 0, 0, None, "c") for v in (1, 1.0)
    ]
    assert repr(one[0].params()) == repr(one[1].params())


def test_a_setting_that_matters_changes_the_key():
    plain = runspec.train_spec(experiment(), True, 0, 0, None, "c")
    hotter = runspec.train_spec(experiment(bayes={"temperature": 0.2}), True, 0, 0, None, "c")
    assert plain.key() != hotter.key()


def test_deterministic_runs_carry_no_bayesian_keys():
    det = runspec.train_spec(experiment(), False, 0, 0, None, "c")
    hot = runspec.train_spec(experiment(bayes={"temperature": 0.5}), False, 0, 0, None, "c")
    assert det.bayes is None and det.params() == hot.params()
    assert runspec.init_spec(experiment(bayes={"init_std": 0.5}), False, 0, "c").bayes is None
    assert runspec.eval_spec(experiment(), False, 0, [0, 1], "c").bayes is None


def test_dense_masks_carry_no_pruning_rate_and_only_random_pruning_a_seed():
    dense = runspec.mask_spec(experiment(pruning={"rate": 0.5}), "snr", 0, "c")
    assert dense == runspec.mask_spec(experiment(), "snr", 0, "c")
    assert dense.rate is None and dense.criterion is None
    snr = [runspec.mask_spec(experiment(pruning={"seed": s}), "snr", 1, "c") for s in (0, 7)]
    assert snr[0] == snr[1] and snr[0].seed is None
    random = [runspec.mask_spec(experiment(pruning={"seed": s}), "random", 1, "c") for s in (0, 7)]
    assert random[0] != random[1]


def test_evaluation_spec_holds_the_predictive_settings_only():
    spec = runspec.eval_spec(experiment(), True, 0, [2, 0, 1], "c")
    assert isinstance(spec.bayes, PredictiveBayes) and spec.levels == [0, 1, 2]
    hot = runspec.eval_spec(experiment(bayes={"temperature": 0.5}), True, 0, [0, 1, 2], "c")
    assert hot == spec


def test_specs_round_trip_through_params():
    for spec in (
        runspec.train_spec(experiment(), True, 3, 1, None, "c"),
        runspec.eval_spec(experiment(), True, 0, [0], "c"),
        runspec.init_spec(experiment(), True, 0, "c"),
    ):
        assert type(spec).from_params(spec.params()) == spec  # typed again, equal
    again = runspec.TrainSpec.from_params(
        runspec.train_spec(experiment(), True, 0, 0, 2, "c").params()
    )
    assert again.train.milestones == (80, 120)
    assert again.bayes == BayesHparams()


@pytest.mark.parametrize("subset", [InitBayes, PredictiveBayes])
def test_a_bayes_subset_is_some_of_the_bayes_settings_with_their_types(subset):
    """Its fields are BayesHparams' (name and type); the others stay at their defaults."""
    full = typing.get_type_hints(BayesHparams)
    assert all(full[name] == hint for name, hint in typing.get_type_hints(subset).items())
    hot = BayesHparams(init_std=0.5, eval_samples=3, temperature=0.5)
    assert subset.of(hot).hparams().temperature == BayesHparams().temperature
    kept = {f.name for f in dataclasses.fields(subset)}
    assert all(getattr(subset.of(hot).hparams(), k) == getattr(hot, k) for k in kept)


def _initial_state(**bayes):
    hp = BayesHparams(**bayes)
    return build("resnet20", (3, 8, 8), 10, hp, seed=0).numpy_state()


def test_init_keys_are_exactly_what_the_initial_state_depends_on():
    base = _initial_state()
    changed = {
        "samples": 3,
        "eval_samples": 3,
        "prior_std": 0.5,
        "init_std": 0.05,
        "classifier_init_std": 0.05,
        "kl": "mc",
        "temperature": 0.5,
        "sample_strategy": "stacked",
        "estimator": "flipout",
        "batchnorm_stats": "batch",
        "cpu_noise": "torch",
    }
    assert set(changed) == {f.name for f in dataclasses.fields(BayesHparams)}
    for key, value in changed.items():
        state = _initial_state(**{key: value})
        same = state.keys() == base.keys() and all(np.array_equal(state[k], base[k]) for k in base)
        assert same == (key not in INIT_KEYS), key


def test_dataset_options_are_the_sources_keywords():
    assert runspec.dataset_options("digits") == {"test_fraction": 0.2}
    assert runspec.dataset_options("cifar10") == {}
    explicit = runspec.data_spec(experiment(dataset_options={"test_fraction": 0.2}), "c")
    assert explicit == runspec.data_spec(experiment(), "c")


def test_unknown_options_are_named():
    with pytest.raises(ValueError, match=r"dataset_options \['test_fractoin'\].*digits"):
        runspec.data_spec(experiment(dataset_options={"test_fractoin": 0.1}), "c")
    with pytest.raises(ValueError, match=r"model_options \['patch'\].*lenet_300_100"):
        runspec.train_spec(experiment(model_options={"patch": 4}), False, 0, 0, None, "c")
    with pytest.raises(ValueError, match=r"train: unknown keys \['epoch'\]"):
        runspec.train_spec(experiment(train={"epoch": 3}), False, 0, 0, None, "c")


def test_model_names_agree_with_the_models():
    assert tuple(PLANS) == model_names.VGG_DEPTHS
    assert model_names.options("vit_tiny", {}) == {"patch": 4, "depth": 6}
    with pytest.raises(ValueError, match="6n\\+2"):
        model_names.parse("resnet21")
