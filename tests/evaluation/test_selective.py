"""blth.evaluation.selective against brute-force references: risk-coverage curves and AURC."""

from __future__ import annotations

import itertools
import statistics

import pytest
import torch

from blth.evaluation import selective


def brute_aurc(confidence: list[float], correct: list[bool]) -> float:
    """Sort by confidence (no ties), keep the top k, average the error rates over k."""
    order = sorted(range(len(confidence)), key=lambda i: -confidence[i])
    risks = [sum(not correct[i] for i in order[:k]) / k for k in range(1, len(order) + 1)]
    return statistics.fmean(risks)


def test_aurc_without_ties_is_the_mean_risk_of_the_sorted_predictions():
    gen = torch.Generator().manual_seed(0)
    confidence = torch.rand(500, generator=gen)
    correct = torch.rand(500, generator=gen) < confidence  # confident ones are right more often
    ours = selective.aurc(confidence, correct)
    assert ours == pytest.approx(brute_aurc(confidence.tolist(), correct.tolist()), abs=1e-12)
    shuffled = selective.aurc(torch.rand(500, generator=gen), correct)
    assert ours < shuffled  # a score that ranks beats one that does not


def test_ties_count_as_the_mean_over_every_order():
    confidence = [0.9, 0.9, 0.9, 0.5, 0.5, 0.2]
    correct = [True, False, True, False, True, False]
    orders = {
        tuple(p)
        for p in itertools.permutations(range(6))
        if list(p) == sorted(p, key=lambda i: -confidence[i])
    }
    mean = statistics.fmean(
        statistics.fmean(sum(not correct[i] for i in p[:k]) / k for k in range(1, 7))
        for p in orders
    )
    assert len(orders) == 12
    ours = selective.aurc(torch.tensor(confidence), torch.tensor(correct))
    assert ours == pytest.approx(mean, abs=1e-12)


def test_risk_at_coverage_keeps_the_most_confident_share():
    confidence = torch.arange(20, 0, -1).float()  # example i is the (i+1)-th most confident
    correct = torch.tensor([True] * 10 + [False] * 10)
    assert selective.risks(confidence, correct, (0.05, 0.5, 0.8, 1.0)) == [0.0, 0.0, 6 / 16, 0.5]
    assert selective.aurc(confidence, correct) == pytest.approx(
        brute_aurc(confidence.tolist(), correct.tolist())
    )


def test_perfect_and_hopeless_rankings():
    correct = torch.tensor([True] * 8 + [False] * 2)
    assert selective.risks(-torch.arange(10.0), correct, (0.8,)) == [0.0]
    assert selective.risks(torch.arange(10.0), correct, (0.2,)) == [1.0]


def test_rows_of_a_bayesian_and_a_deterministic_predictive():
    gen = torch.Generator().manual_seed(1)
    probs = torch.softmax(3 * torch.randn(200, 10, generator=gen), dim=1)
    labels = torch.randint(0, 10, (200,), generator=gen)
    mi = torch.rand(200, generator=gen)
    bayes = selective.selective_rows(probs[None], mi[None], labels)
    det = selective.selective_rows(probs[None], None, labels)
    n = len(selective.COVERAGES)
    assert len(bayes) == 3 * n and len(det) == n
    assert {r["score"] for r in bayes} == set(selective.SCORES)
    full = [r for r in det if r["coverage"] == 1.0]
    accuracy = float((probs.argmax(1) == labels).float().mean())
    assert full[0]["risk"] == pytest.approx(1 - accuracy)  # coverage 1: the error rate
    top = probs.max(1).values
    assert det[0]["aurc"] == pytest.approx(
        brute_aurc(top.tolist(), (probs.argmax(1) == labels).tolist())
    )


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="must be \\[N\\]"):
        selective.aurc(torch.rand(3, 2), torch.ones(3, 2, dtype=torch.bool))


def test_rows_average_the_passes():
    gen = torch.Generator().manual_seed(2)
    probs = torch.softmax(torch.randn(2, 100, 4, generator=gen), dim=2)
    labels = torch.randint(0, 4, (100,), generator=gen)
    both = selective.selective_rows(probs, None, labels)
    each = [selective.selective_rows(probs[p : p + 1], None, labels) for p in range(2)]
    for row, first, second in zip(both, *each, strict=True):
        assert row["risk"] == pytest.approx((first["risk"] + second["risk"]) / 2)
        assert row["aurc"] == pytest.approx((first["aurc"] + second["aurc"]) / 2)
