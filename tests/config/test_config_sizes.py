"""Config checks from sizes (blth.config.sizes): the weights left per level, as pruning removes
them, against the prunable layers; the predictives' memory from the sources' test sizes."""

import numpy as np
import pytest
from bad_configs import AT, demo, problems

from blth.config import sizes as config_sizes
from blth.data import sources
from blth.lottery.prune import prune


@pytest.mark.parametrize(("total", "rate", "levels"), [(1000, 0.2, 12), (37, 0.5, 6), (5, 0.99, 2)])
def test_the_weights_left_per_level_are_those_pruning_leaves(total, rate, levels):
    rng = np.random.default_rng(0)
    masks = {"a.weight": np.ones(total - total // 3, bool), "b.weight": np.ones(total // 3, bool)}
    left = [total]
    for _ in range(levels):
        masks = prune({n: rng.normal(size=m.shape) for n, m in masks.items()}, masks, rate)
        left.append(int(sum(m.sum() for m in masks.values())))
    assert config_sizes.remaining(total, rate, levels) == left


def test_a_hundred_levels_at_the_default_rate_are_refused_with_the_level(tmp_path):
    """LeNet-300-100 on digits: 49,200 prunable weights, two tensors (the classifier is left)."""
    message = problems(tmp_path, demo(lambda e: e.update(levels=100)))
    left = config_sizes.remaining(64 * 300 + 300 * 100, 0.2, 100)
    level = next(k for k, n in enumerate(left) if n < 2)
    expected = f"{AT}.levels: 100 levels at {AT}.pruning.rate = 0.2 leave {left[level]} weights"
    assert f"{expected} at level {level} for the 2 prunable tensors" in message


@pytest.mark.parametrize(
    ("name", "options"),
    [("digits", {}), ("digits", {"test_fraction": 0.33}), ("synthetic", {"classes": 3, "test": 7})],
)
def test_a_sources_test_size_is_that_of_what_it_reads(tmp_path, name, options):
    _, _, test_x, test_y = sources.get(name).read(tmp_path, **options)
    assert sources.test_size(name, options) == (len(test_x), len(np.unique(test_y)))


def test_the_predictives_are_checked_against_the_memory_given():
    exp = {
        "arms": ["det", "bnn-snr"],
        "bayes": {"eval_samples": 100},
        "dataset": "digits",
        "dataset_options": {},
        "evaluation": {"shift": {"ood": ["uniform_noise"]}},
    }
    need = 100 * 360 * 10 * config_sizes.PROBABILITY_BYTES
    assert not list(config_sizes.predictive_memory(("e",), exp, memory=need))
    [(key, message)] = config_sizes.predictive_memory(("e",), exp, memory=need - 1)
    assert key == ("e", "bayes", "eval_samples") and "100 weight samples x 360 digits" in message
    assert not list(config_sizes.predictive_memory(("e",), {**exp, "arms": ["det"]}, memory=1))
