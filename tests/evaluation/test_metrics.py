"""Tests for blth.evaluation.metrics: hand-computed values of the predictive, accuracy, NLL, Brier
score,
entropy and mutual information, and of calibration() (binned errors: test_metrics_bins)."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch
from metric_examples import P5, P5_ECE, P5_MACE, Y5, random_probs

from blth.evaluation.metrics import (
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


# --------------------------------------------------------------------------- entropy / MI


def test_entropy_uniform_and_one_hot():
    assert predictive_entropy(torch.full((7, 10), 0.1)) == pytest.approx(math.log(10), rel=1e-6)
    assert predictive_entropy(torch.eye(4)) == pytest.approx(0.0, abs=1e-7)
    # mean over N: (log 2 + 0) / 2
    value = predictive_entropy(torch.tensor([[0.5, 0.5], [1.0, 0.0]]))
    assert value == pytest.approx(math.log(2) / 2, rel=1e-6)


def test_mutual_information_zero_when_samples_agree():
    probs, _ = random_probs(4, n=50)
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
