"""Pruning invariants, shuffles, transplantation and the arm grammar."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blth.lottery import branches, masks, prune, scores, transplant
from blth.lottery.arms import Arm


def _masks(shapes, rng=None):
    return {f"l{i}.weight": np.ones(s, dtype=bool) for i, s in enumerate(shapes)}


def test_remaining_fraction_follows_the_ceil_arithmetic():
    m = _masks([(300, 200), (100, 70)])
    rng = np.random.default_rng(0)
    remaining = total = 67_000
    for _ in range(20):
        s = {k: rng.random(v.shape) for k, v in m.items()}
        m = prune.prune(s, m, 0.2)
        remaining -= math.ceil(0.2 * remaining)
        assert masks.counts(m) == (total, remaining)
    assert remaining / total == pytest.approx(0.8**20, abs=2e-4)  # ≈ 1.15 % after 20 levels


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 40), min_size=1, max_size=4),
    st.floats(0.05, 0.9),
    st.integers(0, 2**31 - 1),
    st.booleans(),
)
def test_pruning_invariants(sizes, rate, seed, ties):
    rng = np.random.default_rng(seed)
    m = {f"t{i}": rng.random(n) < 0.8 for i, n in enumerate(sizes)}
    if not any(v.any() for v in m.values()):
        return
    s = {
        k: (rng.integers(0, 3, v.shape) if ties else rng.random(v.shape)).astype(float)
        for k, v in m.items()
    }
    new = prune.prune(s, m, rate)
    before, after = masks.counts(m)[1], masks.counts(new)[1]
    assert after == before - math.ceil(rate * before)
    for k in m:
        assert not np.any(new[k] & ~m[k])  # pruned entries never revive
    kept = np.concatenate([s[k][new[k]] for k in m])
    dropped = np.concatenate([s[k][m[k] & ~new[k]] for k in m])
    if kept.size and dropped.size:
        assert kept.min() >= dropped.max()
    assert all(np.array_equal(new[k], prune.prune(s, m, rate)[k]) for k in m)  # deterministic


def test_scores_follow_the_paper_formulas():
    state = {"a.weight_mean": np.array([0.5, -2.0]), "a.weight_log_std": np.log([0.5, 4.0])}
    get = lambda c: scores.scores(c, state, ["a.weight"], True)["a.weight"]  # noqa: E731
    np.testing.assert_allclose(get("snr"), [1.0, 0.5])
    np.testing.assert_allclose(get("mean"), [0.5, 2.0])
    np.testing.assert_allclose(get("sqsum"), [math.sqrt(0.5), math.sqrt(20)])
    np.testing.assert_allclose(get("snr_code"), [2.0, 0.125])
    with pytest.raises(ValueError, match="not defined for Bayesian"):
        scores.scores("magnitude", state, ["a.weight"], True)


def test_shuffles_keep_their_promised_counts_and_move_positions():
    rng = np.random.default_rng(0)
    ticket = {"a": rng.random((40, 30)) < 0.3, "b": rng.random((20, 10)) < 0.05}
    total = masks.counts(ticket)[1]
    g = branches.shuffle_global(ticket, np.random.default_rng(1))
    assert masks.counts(g)[1] == total and not np.array_equal(g["a"], ticket["a"])
    lw = branches.shuffle_layerwise(ticket, np.random.default_rng(1))
    assert all(lw[k].sum() == ticket[k].sum() for k in ticket)
    assert not np.array_equal(lw["a"], ticket["a"])
    ev = branches.shuffle_even(ticket, np.random.default_rng(1))
    density = total / 1400
    assert all(abs(ev[k].mean() - density) < 1 / ev[k].size + 1e-9 for k in ticket)
    assert branches.branch_mask("reinit", ticket, rng)["a"] is ticket["a"]
    with pytest.raises(ValueError, match="unknown branch"):
        branches.branch_mask("shuffle", ticket, rng)


def test_transplant_copies_w0_into_mu_bit_for_bit():
    det = {
        "c.weight": np.random.default_rng(0).normal(size=(3, 2)).astype(np.float32),
        "bn.weight": np.ones(3, np.float32),
    }
    bnn = {
        "c.weight_mean": np.zeros((3, 2), np.float32),
        "c.weight_log_std": np.full((3, 2), -5, np.float32),
        "bn.weight": np.zeros(3),
    }
    out = transplant.transplant_state(det, bnn, "constant", 0.01)
    assert np.array_equal(out["c.weight_mean"], det["c.weight"])
    np.testing.assert_allclose(np.exp(out["c.weight_log_std"]), 0.01, rtol=1e-6)
    assert np.array_equal(out["bn.weight"], det["bn.weight"])
    kept = transplant.transplant_state(det, bnn, "fan_in", 0.01)
    assert np.array_equal(kept["c.weight_log_std"], bnn["c.weight_log_std"])


def test_arm_names():
    assert Arm.parse("det") == Arm("det", False, "magnitude")
    assert Arm.parse("bnn-snr") == Arm("bnn-snr", True, "snr")
    for bad in ("bnn", "cnn-snr", "bnn-magnitude", "det-snr"):
        with pytest.raises(ValueError):
            Arm.parse(bad)


def test_masks_keep_model_order_through_a_file(tmp_path):
    path = tmp_path / "mask.safetensors"
    model_order = {"hidden.0.weight": np.ones((3, 2), bool), "fc.weight": np.zeros(2, bool)}
    masks.save_masks(model_order, path)
    back = masks.load_masks(path)
    assert list(back) == ["hidden.0.weight", "fc.weight"]  # not the file's alphabetical order
    assert all(np.array_equal(back[k], v) and back[k].dtype == bool for k, v in model_order.items())
    assert [r["name"] for r in masks.sparsity_rows(back)] == list(model_order)
