"""Selective prediction: the risk of the predictions a classifier keeps when it abstains on the
ones it is least sure of, as uncertainty libraries (TorchUncertainty, uncertainty-baselines)
report it.

A confidence score orders the N test examples; keeping the k most confident ones (coverage
k / N) leaves a *selective risk*, their error rate. The risk-coverage curve and its area, AURC
(Geifman et al. 2019: the mean of the risk over k = 1..N), say how well the score ranks right
above wrong predictions; a ticket that keeps its accuracy but loses that ranking is no match
for anyone who uses the uncertainty.

Ties in the score are resolved by their expectation over random orderings: within a group of
equally confident examples the kept errors grow linearly, so the curve and AURC do not depend
on how a sort breaks ties (a deterministic network's saturated softmax ties often).

Shapes: N examples, C classes; tensors on any device, results as floats.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from blth.shift import SCORES
from blth.shift.detection import scores as uncertainty_scores

COVERAGES = tuple(round(0.05 * k, 2) for k in range(1, 21))  # the stored curve: 5 %, ..., 100 %
# Confidence scores: minus the uncertainty scores of out-of-distribution detection
# (blth.shift.detection), so that higher = more confident and kept first: the top probability,
# and for Bayesian networks minus the predictive entropy and minus the mutual information.
MAX_PROBABILITY, ENTROPY, MUTUAL_INFORMATION = SCORES


def confidences(mean_probs: Tensor, mi: Tensor | None) -> dict[str, Tensor]:
    """Each score's confidence [N] of the predictive ``mean_probs`` [N, C]; with the mutual
    information ``mi`` [N] (Bayesian networks) also the entropy and MI scores."""
    uncertainty = uncertainty_scores(mean_probs, mi)
    return {name: -uncertainty[name] for name in (SCORES if mi is not None else SCORES[:1])}


def expected_errors(confidence: Tensor, correct: Tensor) -> Tensor:
    """Expected errors among the k most confident examples, k = 1..N, [N] float64.

    ``confidence`` [N] (higher: kept first), ``correct`` [N] bool. Within a group of equal
    confidence the errors are spread evenly: the expectation over random tie-breaking.
    """
    if confidence.ndim != 1 or confidence.shape != correct.shape or not len(confidence):
        raise ValueError(
            f"confidence and correct must be [N] with N > 0, got {tuple(confidence.shape)} "
            f"and {tuple(correct.shape)}"
        )
    values, inverse = torch.unique(confidence.double(), sorted=True, return_inverse=True)
    groups = len(values)
    errors = torch.zeros(groups, dtype=torch.float64, device=confidence.device)
    sizes = torch.zeros_like(errors)
    errors.index_add_(0, inverse, (~correct).double())
    sizes.index_add_(0, inverse, torch.ones_like(confidence, dtype=torch.float64))
    errors, sizes = errors.flip(0), sizes.flip(0)  # most confident group first
    ends = sizes.cumsum(0)  # examples kept once a group is in
    before = errors.cumsum(0) - errors  # errors of the groups kept before it
    k = torch.arange(1, len(confidence) + 1, dtype=torch.float64, device=confidence.device)
    group = torch.searchsorted(ends, k, right=False)  # the group the k-th example falls in
    start = ends[group] - sizes[group]
    return before[group] + (k - start) * errors[group] / sizes[group]


def aurc(confidence: Tensor, correct: Tensor) -> float:
    """Area under the risk-coverage curve: the mean selective risk over k = 1..N (0 is best)."""
    errs = expected_errors(confidence, correct)
    k = torch.arange(1, len(errs) + 1, dtype=torch.float64, device=errs.device)
    return float((errs / k).mean())


def risks(
    confidence: Tensor, correct: Tensor, coverages: tuple[float, ...] = COVERAGES
) -> list[float]:
    """Selective risk at each coverage: the error rate of the ceil(coverage · N) most confident
    examples (at least one)."""
    errs = expected_errors(confidence, correct).tolist()
    n = len(errs)
    out = []
    for coverage in coverages:
        k = min(n, max(1, math.ceil(round(coverage * n, 6))))  # 0.05 · 20 is 1, not 1 + 2e-16
        out.append(errs[k - 1] / k)
    return out


def selective_rows(probs: Tensor, mi: Tensor | None, labels: Tensor) -> list[dict[str, Any]]:
    """One run's rows of the ``selective`` table from its repeated passes: per score and
    coverage of :data:`COVERAGES`, the selective risk and the score's AURC, each the mean over
    the passes (as the runs table averages its metrics). ``probs`` [P, N, C] per-pass
    predictives, ``mi`` [P, N] their mutual information (None: a deterministic network, scored
    by its top probability alone), ``labels`` [N]."""
    sums: dict[tuple[str, float], list[float]] = {}
    for p in range(len(probs)):
        correct = probs[p].argmax(dim=1) == labels.to(probs.device)
        for score, confidence in confidences(probs[p], None if mi is None else mi[p]).items():
            area = aurc(confidence, correct)
            for coverage, risk in zip(COVERAGES, risks(confidence, correct), strict=True):
                total = sums.setdefault((score, coverage), [0.0, 0.0])
                total[0] += risk
                total[1] += area
    return [
        {"score": score, "coverage": coverage, "risk": risk / len(probs), "aurc": area / len(probs)}
        for (score, coverage), (risk, area) in sums.items()
    ]
