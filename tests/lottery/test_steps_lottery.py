"""The mask steps: dense and pruned level masks, branch masks, the transplant's initial state."""

from __future__ import annotations

import numpy as np
import pytest

from blth.config.runspec import BranchSpec, MaskSpec, TransplantSpec
from blth.io import states
from blth.lottery import masks
from blth.steps import lottery

DENSE = MaskSpec(None, False, None, None, None, "")
PRUNE = MaskSpec(None, False, "magnitude", 0.5, None, "")


@pytest.fixture
def dense_mask(tiny_inits, tmp_path):
    path = tmp_path / "L0.safetensors"
    lottery.ticket_mask(DENSE, str(tiny_inits["det"]), str(path))
    return path


def test_level_0_is_dense_over_the_prunable_layers_but_the_classifier(dense_mask, tiny_inits):
    _, meta = states.load_state(tiny_inits["det"])
    dense = masks.load_masks(dense_mask)
    assert list(dense) == [
        f"{layer}.weight" for layer in meta["layers"] if layer != meta["classifier"]
    ]
    assert all(m.all() for m in dense.values())


def test_a_level_prunes_the_previous_final_weights_under_its_mask(dense_mask, tiny_inits, tmp_path):
    out = tmp_path / "L1.safetensors"
    lottery.ticket_mask(
        PRUNE, str(tiny_inits["det"]), str(out), str(tiny_inits["det"]), str(dense_mask)
    )
    total, kept = masks.counts(masks.load_masks(out))
    assert kept == total - int(np.ceil(0.5 * total))


def test_a_level_that_empties_a_layer_is_refused_and_writes_nothing(
    dense_mask, tiny_inits, tmp_path
):
    init = str(tiny_inits["det"])
    steep = MaskSpec(None, False, "magnitude", 0.999, None, "")
    one_left = tmp_path / "L1.safetensors"  # 1024 hidden weights: ceil(0.999 · 1024) go
    lottery.ticket_mask(steep, init, str(one_left), init, str(dense_mask))
    assert masks.counts(masks.load_masks(one_left)) == (1024, 1)
    out = tmp_path / "L2.safetensors"
    with pytest.raises(ValueError, match=r"L2.safetensors: pruning at rate 0.999 leaves no weight"):
        lottery.ticket_mask(steep, init, str(out), init, str(one_left))
    assert not out.exists()


def test_pruning_without_a_criterion_or_mask_is_refused(dense_mask, tiny_inits, tmp_path):
    init, out = str(tiny_inits["det"]), str(tmp_path / "L1.safetensors")
    with pytest.raises(ValueError, match="needs its mask and a spec with a criterion"):
        lottery.ticket_mask(DENSE, init, out, init, str(dense_mask))
    with pytest.raises(ValueError, match="needs its mask"):
        lottery.ticket_mask(PRUNE, init, out, init, None)


def test_a_mask_of_other_tensors_is_refused(tiny_inits, tmp_path):
    foreign = tmp_path / "foreign.safetensors"
    masks.save_masks({"conv9.weight": np.ones(3, bool)}, foreign)
    init = str(tiny_inits["det"])
    with pytest.raises(ValueError, match="do not match the prunable tensors"):
        lottery.ticket_mask(PRUNE, init, str(tmp_path / "L1.safetensors"), init, str(foreign))


@pytest.mark.parametrize("branch", ["reinit", "shuffle_global", "shuffle_even", "transplant"])
def test_branch_masks_keep_the_tickets_count(dense_mask, tiny_inits, tmp_path, branch):
    ticket = tmp_path / "L1.safetensors"
    lottery.ticket_mask(
        PRUNE, str(tiny_inits["det"]), str(ticket), str(tiny_inits["det"]), str(dense_mask)
    )
    out = tmp_path / f"{branch}.safetensors"
    lottery.branch_mask(BranchSpec(branch, [2, 0, 1], ""), str(ticket), str(out))
    before, after = masks.load_masks(ticket), masks.load_masks(out)
    assert masks.counts(after) == masks.counts(before)
    same = all(np.array_equal(before[n], after[n]) for n in before)
    assert same == (branch in ("reinit", "transplant"))


@pytest.mark.parametrize("sigma,value", [("constant", 0.05), ("fan_in", None)])
def test_the_transplant_starts_from_the_deterministic_weights(tiny_inits, tmp_path, sigma, value):
    out = tmp_path / "transplant.safetensors"
    lottery.transplant_init(
        TransplantSpec(sigma, value, ""), str(tiny_inits["det"]), str(tiny_inits["bnn"]), str(out)
    )
    state, meta = states.load_state(out)
    det, _ = states.load_state(tiny_inits["det"])
    bnn, _ = states.load_state(tiny_inits["bnn"])
    assert meta["bayesian"]
    np.testing.assert_array_equal(state["hidden.0.weight_mean"], det["hidden.0.weight"])
    expected = np.log(value) if value else bnn["hidden.0.weight_log_std"]
    np.testing.assert_allclose(state["hidden.0.weight_log_std"], expected, rtol=1e-6)
