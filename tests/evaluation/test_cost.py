"""Inference cost (blth.evaluation.cost): weight MACs of unpruned weights, stored numbers and
bytes."""

import math

import numpy as np
import pytest

from blth.evaluation import cost
from blth.models.registry import build

LENET_MACS = 784 * 300 + 300 * 100 + 100 * 10
LENET_PARAMS = LENET_MACS + 300 + 100 + 10


@pytest.fixture(scope="module")
def lenet() -> cost.Structure:
    return cost.structure(build("lenet_300_100", (1, 28, 28), 10), (1, 28, 28))


def test_a_dense_mlp_costs_one_mac_per_weight(lenet):
    columns = cost.cost_columns(lenet, {}, bayesian=False, samples=1)
    assert columns == {
        "weight_macs": LENET_MACS,
        "predictive_macs": LENET_MACS,
        "stored_parameters": LENET_PARAMS,
        "storage_bytes": 4 * LENET_PARAMS,
    }


def test_pruned_weights_cost_nothing_and_a_bayesian_predictive_costs_s_passes(lenet):
    kept = {"hidden.0.weight": 1000, "hidden.1.weight": 300}
    pruned = 784 * 300 - 1000 + 300 * 100 - 300
    det = cost.cost_columns(lenet, kept, bayesian=False, samples=1)
    bnn = cost.cost_columns(lenet, kept, bayesian=True, samples=10)
    assert det["weight_macs"] == bnn["weight_macs"] == LENET_MACS - pruned
    assert bnn["predictive_macs"] == 10 * det["predictive_macs"]
    assert det["stored_parameters"] == LENET_PARAMS - pruned
    assert bnn["stored_parameters"] == 2 * det["stored_parameters"]  # μ and σ, no other params
    mask_bytes = math.ceil((784 * 300 + 300 * 100) / 8)
    assert det["storage_bytes"] == 4 * det["stored_parameters"] + mask_bytes


def test_a_convolution_costs_its_weights_at_every_output_position():
    """CIFAR ResNet-20: 40.8 M MACs and 0.27 M parameters, the figures of the literature."""
    net = build("resnet20", (3, 32, 32), 10)
    shape = cost.structure(net, (3, 32, 32))
    first = next(iter(shape.positions))
    assert shape.positions[first] == 32 * 32
    assert min(shape.positions.values()) == 1  # the classifier
    columns = cost.cost_columns(shape, {}, bayesian=False, samples=1)
    assert columns["weight_macs"] == 40_813_184
    assert columns["stored_parameters"] == sum(p.numel() for p in net.parameters()) == 272_474
    assert shape.other_parameters > 0  # BatchNorm's affine parameters, stored once


def test_a_transformers_linear_layers_run_once_per_token():
    shape = cost.structure(build("vit_tiny", (3, 32, 32), 10), (3, 32, 32))
    tokens = (32 // 4) ** 2
    assert np.bincount(list(shape.positions.values())).nonzero()[0].tolist() == [1, tokens]


def test_masks_of_unknown_tensors_and_bayesian_probes_are_refused(lenet):
    with pytest.raises(KeyError, match="conv9.weight"):
        cost.cost_columns(lenet, {"conv9.weight": 3}, bayesian=False, samples=1)
    from blth.bayes.hparams import BayesHparams

    with pytest.raises(ValueError, match="deterministic"):
        cost.structure(build("lenet_16", (1, 8, 8), 3, BayesHparams()), (1, 8, 8))
