"""The init step: initial weights of a network, reproducible from the seed."""

from __future__ import annotations

from tiny_data import TINY_MODEL

from blth.config.runspec import InitSpec
from blth.io import states
from blth.steps.init import init_weights


def test_initial_weights_are_deterministic_or_bayesian(tiny_inits):
    det, det_meta = states.load_state(tiny_inits["det"])
    bnn, bnn_meta = states.load_state(tiny_inits["bnn"])
    assert not det_meta["bayesian"] and bnn_meta["bayesian"]
    assert (
        "hidden.0.weight" in det
        and "hidden.0.weight_mean" in bnn
        and "hidden.0.weight_log_std" in bnn
    )
    assert det_meta["layers"] == bnn_meta["layers"]


def test_the_same_seed_writes_the_same_file_and_another_seed_another(
    tiny_data, tiny_inits, tmp_path
):
    again, other = tmp_path / "again.safetensors", tmp_path / "other.safetensors"
    init_weights(InitSpec(TINY_MODEL, {}, None, 0, ""), str(tiny_data), str(again))
    init_weights(InitSpec(TINY_MODEL, {}, None, 1, ""), str(tiny_data), str(other))
    assert again.read_bytes() == tiny_inits["det"].read_bytes()
    assert other.read_bytes() != again.read_bytes()
