"""The one naming rule of stored variational parameters, and its users."""

import subprocess
import sys

import numpy as np
import torch

from blth.bayes import param_names
from blth.bayes.hparams import BayesHparams
from blth.lottery import transplant
from blth.models.registry import build


def test_names_follow_the_rule():
    assert param_names.mean_name("fc.weight") == "fc.weight_mean"
    assert param_names.log_std_name("layer1.0.conv1.weight") == "layer1.0.conv1.weight_log_std"
    assert param_names.value_name("fc.bias", bayesian=True) == "fc.bias_mean"
    assert param_names.value_name("fc.bias", bayesian=False) == "fc.bias"
    assert param_names.split("fc.weight_log_std") == ("fc.weight", "log_std")
    assert param_names.split("bias_mean") == ("bias", "mean")
    # a BatchNorm's running mean is no variational parameter
    assert param_names.split("bn.running_mean") == ("bn.running_mean", None)
    assert param_names.split("fc.weight") == ("fc.weight", None)


def test_a_bayesian_state_dict_is_named_by_the_rule():
    net = build("resnet20", (3, 8, 8), 10, BayesHparams(), seed=0)
    state = net.state_dict()
    for layer in net.prunable_layers():
        for name in (
            f"{layer}.weight",
            *([f"{layer}.bias"] if f"{layer}.bias_mean" in state else []),
        ):
            assert param_names.mean_name(name) in state and param_names.log_std_name(name) in state
    assert {param_names.split(k)[1] for k in state} == {"mean", "log_std", None}


def test_the_rule_imports_without_torch():
    code = (
        "import sys, blth.bayes.param_names, blth.lottery.scores; sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_transplant_copies_batchnorm_running_statistics():
    det = build("resnet20", (3, 8, 8), 10, seed=0)
    with torch.no_grad():
        det.net.bn.running_mean.fill_(0.25)
    bnn = build("resnet20", (3, 8, 8), 10, BayesHparams(), seed=1)
    out = transplant.transplant_state(det.numpy_state(), bnn.numpy_state())
    assert list(out) == list(bnn.numpy_state())
    assert np.array_equal(out["bn.running_mean"], det.numpy_state()["bn.running_mean"])
    assert np.array_equal(out["conv.weight_mean"], det.numpy_state()["conv.weight"])
