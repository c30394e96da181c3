"""Tests for blth.evaluation.metrics' binned calibration errors: ECE and MACE against hand-computed
values
and a plain ECE reference, bin-edge conventions, class-wise MACE and the reliability bins."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from metric_examples import P5, P5_ECE, P5_MACE, Y5, random_probs

from blth.evaluation.metrics import ece, mace, mace_classwise, reliability_bins


def _ece_reference(probs: torch.Tensor, labels: torch.Tensor, n_bins: int) -> float:
    """Plain float64 ECE: bins [i/B, (i+1)/B), the last one closed at 1."""
    p = probs.double().numpy()
    y = labels.numpy()
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(np.float64)
    total = 0.0
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        upper_ok = conf < hi if b < n_bins - 1 else conf <= hi
        in_bin = (conf >= lo) & upper_ok
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return total


# --------------------------------------------------------------------------- ece / mace


def test_ece_and_mace_hand_with_empty_bins():
    assert ece(P5, Y5, n_bins=5) == pytest.approx(P5_ECE, abs=1e-6)
    value = mace(P5, Y5, n_bins=5)
    assert value == pytest.approx(P5_MACE, abs=1e-6)  # 0.2333
    assert value != pytest.approx(0.7 / 5, abs=1e-3)  # not averaged over all 5 bins
    assert value != pytest.approx(P5_ECE, abs=1e-3)  # not count-weighted


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_bins", [1, 10, 15, 20])
def test_ece_matches_plain_formula(seed, n_bins):
    probs, labels = random_probs(seed)
    assert ece(probs, labels, n_bins) == pytest.approx(
        _ece_reference(probs, labels, n_bins), abs=1e-6
    )


def test_ece_matches_plain_formula_with_exact_ones():
    probs, labels = random_probs(3, n=500)
    conf, pred = probs.max(dim=1)
    top = conf >= 14 / 15
    labels[top] = pred[top]  # last bin underconfident: accuracy 1 > confidence
    probs[:40] = torch.nn.functional.one_hot(torch.arange(40) % 10, 10).float()  # confidence 1.0
    labels[:40] = (torch.arange(40) + 1) % 10  # ... and wrong: overconfident
    assert int(top[40:].sum()) > 10
    # The opposite-signed gaps partly cancel once the 1.0s share the last bin with the rest.
    assert ece(probs, labels) == pytest.approx(_ece_reference(probs, labels, 15), abs=1e-6)


def test_confidence_exactly_one():
    probs = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.95, 0.05], [0.3, 0.7]])
    labels = torch.tensor([0, 0, 0, 1])
    # 15 bins. Last bin [14/15, 1]: conf {1, 1, .95}, correct {1, 0, 1}:
    #   acc 2/3, mean conf 2.95/3 = .98333 -> gap .31667, weight 3/4 -> .2375
    # bin [10/15, 11/15): conf .7, correct -> gap .3, weight 1/4 -> .075
    # ECE = .3125 (unguarded torchmetrics 1.9 puts the two 1.0s in a phantom bin: .3375)
    assert ece(probs, labels) == pytest.approx(0.3125, abs=1e-6)
    assert mace(probs, labels) == pytest.approx((0.95 / 3 + 0.3) / 2, abs=1e-6)
    rows = reliability_bins(probs, labels)
    assert len(rows) == 15
    assert rows[-1]["count"] == 3
    assert rows[-1]["accuracy"] == pytest.approx(2 / 3)
    assert rows[-1]["mean_confidence"] == pytest.approx(2.95 / 3, abs=1e-6)
    assert rows[10]["count"] == 1


def test_bin_edges_are_left_closed_like_torchmetrics():
    # n_bins = 4: edges 0, .25, .5, .75, 1 are exact in float32.
    # Confidences .5 -> bin 2 ([.5, .75)), .75 -> bin 3, 1.0 -> bin 3 (last bin closed).
    probs = torch.tensor([[0.5, 0.25, 0.25], [0.75, 0.25, 0.0], [1.0, 0.0, 0.0]])
    labels = torch.tensor([1, 0, 0])  # row 0 wrong, rows 1 and 2 correct
    counts = [row["count"] for row in reliability_bins(probs, labels, n_bins=4)]
    assert counts == [0, 0, 1, 2]
    # bin 2: |0 - .5| = .5; bin 3: |1 - .875| = .125
    assert mace(probs, labels, n_bins=4) == pytest.approx((0.5 + 0.125) / 2, abs=1e-6)
    assert ece(probs, labels, n_bins=4) == pytest.approx((0.5 + 2 * 0.125) / 3, abs=1e-6)


def test_ece_equals_weighted_reliability_bins_on_edge_values():
    # Confidences exactly on the float32 edges 0.5, 0.6, ..., 1.0 of 10 bins: torchmetrics (via
    # ece) and the shared binning helper (via reliability_bins) must put them in the same bins.
    conf = torch.linspace(0, 1, 11)[6:].repeat(7)  # 0.6 .. 1.0, avoids the 0.5 tie
    probs = torch.stack([conf, 1 - conf], dim=1)
    labels = (torch.arange(conf.numel()) % 3 == 0).long()  # every third example wrong
    rows = reliability_bins(probs, labels, n_bins=10)
    n = conf.numel()
    weighted = sum(
        r["count"] / n * abs(r["accuracy"] - r["mean_confidence"]) for r in rows if r["count"]
    )
    assert ece(probs, labels, n_bins=10) == pytest.approx(weighted, abs=1e-6)
    assert [r["count"] for r in rows][6:] == [7, 7, 7, 14]  # 0.9 and 1.0 share the last bin


# --------------------------------------------------------------------------- mace_classwise


def test_mace_classwise_hand():
    # n_bins = 5: bins [0,.2) [.2,.4) [.4,.6) [.6,.8) [.8,1], centres .1 .3 .5 .7 .9
    probs = torch.tensor(
        [
            [0.90, 0.05, 0.05],  # y=0: .9 T -> b4; .05 F, .05 F -> b0
            [0.45, 0.30, 0.25],  # y=1: .45 F -> b2; .3 T -> b1; .25 F -> b1
            [0.10, 0.85, 0.05],  # y=0: .1 T -> b0; .85 F -> b4; .05 F -> b0
        ]
    )
    labels = torch.tensor([0, 1, 0])
    # b0: {.05F .05F .1T .05F} freq 1/4 -> |.1 - .25| = .15
    # b1: {.3T .25F}           freq 1/2 -> |.3 - .5|  = .2
    # b2: {.45F}               freq 0   -> |.5 - 0|   = .5
    # b3: empty (skipped)
    # b4: {.9T .85F}           freq 1/2 -> |.9 - .5|  = .4
    # mean over the 4 non-empty bins = 1.25 / 4 = .3125 (all 5 bins would give .25)
    assert mace_classwise(probs, labels, n_bins=5) == pytest.approx(0.3125, abs=1e-6)


def test_mace_classwise_perfect_on_one_hot():
    # One-hot predictions that are always right: 1.0 entries -> last bin, freq 1, centre .995;
    # 0.0 entries -> first bin, freq 0, centre .005. MACE = (.005 + .005) / 2.
    labels = torch.tensor([0, 2, 1, 1])
    probs = torch.nn.functional.one_hot(labels, 3).float()
    assert mace_classwise(probs, labels) == pytest.approx(0.005, abs=1e-6)


# --------------------------------------------------------------------------- reliability_bins


def test_reliability_bins_structure_and_counts():
    probs, labels = random_probs(6, n=300)
    rows = reliability_bins(probs, labels, n_bins=15)
    assert [r["bin"] for r in rows] == list(range(15))
    assert sum(r["count"] for r in rows) == 300
    assert rows[0]["lower"] == 0.0 and rows[-1]["upper"] == 1.0
    assert all(a["upper"] == b["lower"] for a, b in zip(rows, rows[1:], strict=False))
    for r in rows:
        if r["count"] == 0:
            assert math.isnan(r["mean_confidence"]) and math.isnan(r["accuracy"])
        else:
            assert r["lower"] <= r["mean_confidence"] <= r["upper"]
            assert 0.0 <= r["accuracy"] <= 1.0


def test_reliability_bins_hand():
    rows = reliability_bins(P5, Y5, n_bins=5)
    assert [r["count"] for r in rows] == [0, 0, 2, 1, 2]
    assert math.isnan(rows[0]["accuracy"]) and math.isnan(rows[1]["mean_confidence"])
    assert rows[4]["mean_confidence"] == pytest.approx(0.875, abs=1e-6)
    assert rows[4]["accuracy"] == pytest.approx(0.5)
    assert rows[2]["mean_confidence"] == pytest.approx(0.475, abs=1e-6)
    assert rows[3]["accuracy"] == pytest.approx(1.0)
