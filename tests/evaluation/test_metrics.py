"""Tests for blth.metrics: hand-computed values, a plain ECE reference, bin-edge conventions."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch

from blth.metrics import (
    Calibration,
    accuracy,
    brier,
    calibration,
    ece,
    mace,
    mace_classwise,
    mutual_information,
    nll,
    predictive,
    predictive_entropy,
    reliability_bins,
)

# Four examples, three classes. Predictions: 0, 1, 2, 1 -> correct, wrong, correct, correct.
P4 = torch.tensor(
    [
        [0.70, 0.20, 0.10],
        [0.10, 0.50, 0.40],
        [0.30, 0.30, 0.40],
        [0.25, 0.50, 0.25],
    ]
)
Y4 = torch.tensor([0, 2, 2, 1])

# Five examples for top-label binning with n_bins = 5 (bins [0,.2) [.2,.4) [.4,.6) [.6,.8) [.8,1]).
# (confidence, correct): (.90, 1) (.85, 0) -> bin 4; (.70, 1) -> bin 3; (.50, 0) (.45, 1) -> bin 2;
# bins 0 and 1 are empty.
P5 = torch.tensor(
    [
        [0.90, 0.05, 0.05],  # y=0: correct
        [0.85, 0.10, 0.05],  # y=1: wrong
        [0.20, 0.70, 0.10],  # y=1: correct
        [0.30, 0.20, 0.50],  # y=0: wrong
        [0.45, 0.30, 0.25],  # y=0: correct
    ]
)
Y5 = torch.tensor([0, 1, 1, 0, 0])
# bin 4: acc 1/2, conf .875 -> gap .375;  bin 3: acc 1, conf .7 -> gap .3;
# bin 2: acc 1/2, conf .475 -> gap .025.
P5_MACE = (0.375 + 0.3 + 0.025) / 3  # 0.2333..: mean over the 3 non-empty bins only
P5_ECE = (2 * 0.375 + 1 * 0.3 + 2 * 0.025) / 5  # 0.22: count-weighted


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


def _random_probs(seed: int, n: int = 2000, c: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, c, (n,), generator=g)
    logits = 3.0 * torch.randn(n, c, generator=g)
    logits[torch.arange(n), labels] += 2.0  # better than chance, not perfectly calibrated
    return torch.softmax(logits, dim=1), labels


# --------------------------------------------------------------------------- predictive


def test_predictive_shapes_dtype_and_mean():
    logits = torch.randn(3, 5, 4).to(torch.bfloat16)
    sample_probs, mean_probs = predictive(logits)
    assert sample_probs.shape == (3, 5, 4)
    assert mean_probs.shape == (5, 4)
    assert sample_probs.dtype == torch.float32 and mean_probs.dtype == torch.float32
    expected = torch.softmax(logits.float(), dim=-1)
    torch.testing.assert_close(sample_probs, expected)
    torch.testing.assert_close(mean_probs, expected.mean(dim=0))
    torch.testing.assert_close(mean_probs.sum(dim=1), torch.ones(5))


def test_predictive_single_sample_is_softmax():
    logits = torch.tensor([[[0.0, math.log(3.0)]]])  # softmax = [1/4, 3/4]
    sample_probs, mean_probs = predictive(logits)
    torch.testing.assert_close(mean_probs, torch.tensor([[0.25, 0.75]]))
    torch.testing.assert_close(sample_probs[0], mean_probs)


def test_predictive_rejects_2d():
    with pytest.raises(ValueError):
        predictive(torch.zeros(5, 4))


# --------------------------------------------------------------------------- accuracy, nll, brier


def test_accuracy_hand():
    assert accuracy(P4, Y4) == pytest.approx(0.75)


def test_nll_hand():
    # -(log .7 + log .4 + log .4 + log .5) / 4
    assert nll(P4, Y4) == pytest.approx(0.720600897, rel=1e-6)


def test_nll_zero_probability_is_large_but_finite():
    value = nll(torch.tensor([[1.0, 0.0], [0.5, 0.5]]), torch.tensor([1, 0]))
    # (-log 1e-12 - log 0.5) / 2
    assert value == pytest.approx((27.631021116 + 0.693147181) / 2, rel=1e-6)
    assert math.isfinite(value)


def test_brier_hand():
    # rows: .09+.04+.01=.14, .01+.25+.36=.62, .09+.09+.36=.54, .0625+.25+.0625=.375
    assert brier(P4, Y4) == pytest.approx((0.14 + 0.62 + 0.54 + 0.375) / 4, abs=1e-7)
    assert brier(P4, Y4) == pytest.approx(0.41875, abs=1e-7)


def test_input_validation():
    with pytest.raises(ValueError):
        accuracy(P4, Y4[:3])
    with pytest.raises(TypeError):
        nll(P4, Y4.float())
    with pytest.raises(ValueError):
        brier(P4, torch.tensor([0, 1, 2, 3]))  # label 3 out of range for C = 3
    with pytest.raises(ValueError):
        mace(P4, Y4, n_bins=0)


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
    probs, labels = _random_probs(seed)
    assert ece(probs, labels, n_bins) == pytest.approx(
        _ece_reference(probs, labels, n_bins), abs=1e-6
    )


def test_ece_matches_plain_formula_with_exact_ones():
    probs, labels = _random_probs(3, n=500)
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


# --------------------------------------------------------------------------- entropy / MI


def test_entropy_uniform_and_one_hot():
    assert predictive_entropy(torch.full((7, 10), 0.1)) == pytest.approx(math.log(10), rel=1e-6)
    assert predictive_entropy(torch.eye(4)) == pytest.approx(0.0, abs=1e-7)
    # mean over N: (log 2 + 0) / 2
    value = predictive_entropy(torch.tensor([[0.5, 0.5], [1.0, 0.0]]))
    assert value == pytest.approx(math.log(2) / 2, rel=1e-6)


def test_mutual_information_zero_when_samples_agree():
    probs, _ = _random_probs(4, n=50)
    assert mutual_information(probs[None]) == 0.0  # S = 1
    assert mutual_information(probs.expand(5, -1, -1)) == pytest.approx(0.0, abs=1e-6)


def test_mutual_information_positive_when_samples_disagree():
    # Two confident samples that disagree: H[mean] = log 2, mean H = 0 -> MI = log 2.
    sample_probs = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]])
    assert mutual_information(sample_probs) == pytest.approx(math.log(2), rel=1e-6)
    # [1, 0] and [.5, .5]: mean [.75, .25], H[mean] = -(.75 ln .75 + .25 ln .25) = 0.5623351;
    # mean H = (0 + ln 2) / 2 = 0.3465736 -> MI = 0.2157615
    sample_probs = torch.tensor([[[1.0, 0.0]], [[0.5, 0.5]]])
    assert mutual_information(sample_probs) == pytest.approx(0.2157615, abs=1e-6)
    logits = torch.randn(8, 30, 5, generator=torch.Generator().manual_seed(5))
    assert mutual_information(torch.softmax(logits, dim=-1)) > 0.01


# --------------------------------------------------------------------------- reliability_bins


def test_reliability_bins_structure_and_counts():
    probs, labels = _random_probs(6, n=300)
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


# --------------------------------------------------------------------------- calibration()


def test_calibration_bundles_all_metrics():
    logits = torch.randn(4, 200, 6, generator=torch.Generator().manual_seed(7))
    labels = torch.randint(0, 6, (200,), generator=torch.Generator().manual_seed(8))
    sample_probs, mean_probs = predictive(logits)
    cal = calibration(sample_probs, labels, ece_bins=10, mace_bins=12, classwise_bins=50)
    assert isinstance(cal, Calibration)
    assert cal == Calibration(
        accuracy=accuracy(mean_probs, labels),
        nll=nll(mean_probs, labels),
        brier=brier(mean_probs, labels),
        ece=ece(mean_probs, labels, 10),
        mace=mace(mean_probs, labels, 12),
        mace_classwise100=mace_classwise(mean_probs, labels, 50),
        entropy=predictive_entropy(mean_probs),
        mutual_information=mutual_information(sample_probs),
    )
    assert cal.mutual_information > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        cal.accuracy = 1.0  # type: ignore[misc]


def test_calibration_hand_deterministic():
    cal = calibration(P5[None], Y5, ece_bins=5, mace_bins=5)
    assert cal.accuracy == pytest.approx(0.6)
    assert cal.ece == pytest.approx(P5_ECE, abs=1e-6)
    assert cal.mace == pytest.approx(P5_MACE, abs=1e-6)
    assert cal.mutual_information == 0.0


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    logits = torch.randn(3, 500, 10, generator=torch.Generator().manual_seed(9)).bfloat16()
    labels = torch.randint(0, 10, (500,), generator=torch.Generator().manual_seed(10))
    cpu = calibration(predictive(logits)[0], labels)
    sample_probs_cuda, mean_probs_cuda = predictive(logits.cuda())
    gpu = calibration(sample_probs_cuda, labels.cuda())
    for field in dataclasses.fields(Calibration):
        assert getattr(gpu, field.name) == pytest.approx(getattr(cpu, field.name), abs=1e-5)
    rows = reliability_bins(mean_probs_cuda, labels.cuda())
    assert sum(r["count"] for r in rows) == 500
