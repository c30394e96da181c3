"""Accuracy and calibration metrics for classifiers.

All metrics take the *predictive* distribution of a classifier: for a Bayesian neural network the
mean over S Monte-Carlo weight samples of the per-sample softmax probabilities, for a
deterministic network the softmax itself (S = 1). Shapes: S weight samples, N examples, C classes.
Tensors go in (CPU or CUDA, any floating dtype; everything is computed in float32, bin statistics
are accumulated in float64), Python floats or small dataclasses come out. There are no
per-example Python loops.

Binning convention (shared by :func:`ece`, :func:`mace`, :func:`mace_classwise` and
:func:`reliability_bins`, all of which go through :func:`_bin`): ``n_bins`` equal-width bins on
[0, 1] with the float32 edges ``torch.linspace(0, 1, n_bins + 1)`` that torchmetrics uses, and
torchmetrics' assignment ``bucketize(x, edges, right=True) - 1``. That makes the bins
*left-closed*, ``[lo, hi)``: a value exactly on an inner edge belongs to the bin above it, and 0
is in the first bin. The last bin is closed, ``[lo, 1]``: a value of exactly 1.0 is clamped to the
largest float32 below 1 (:data:`_ONE_BELOW`) before binning. Unguarded, torchmetrics (1.9, issue
#3510) puts a confidence of exactly 1.0 into a phantom extra bin of its own; :func:`ece` applies
the same clamp to the probabilities it hands to torchmetrics, so ECE, MACE and the reliability
diagram always see the same bins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "Calibration",
    "accuracy",
    "brier",
    "calibration",
    "ece",
    "mace",
    "mace_classwise",
    "mutual_information",
    "nll",
    "predictive",
    "predictive_entropy",
    "reliability_bins",
]

PROB_FLOOR = 1e-12
"""Probabilities are clamped to at least this before the log in :func:`nll`, so a probability of
0 for the true class costs ``-log(1e-12) ≈ 27.63`` nats instead of ``inf``."""

_ONE_BELOW = float(torch.nextafter(torch.tensor(1.0), torch.tensor(0.0)))  # 1 - 2**-24


# --------------------------------------------------------------------------- helpers


def _check(probs: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """Validate ``probs`` [N, C] and integer ``labels`` [N]; return float32 probs, int64 labels."""
    if probs.ndim != 2:
        raise ValueError(f"probs must have shape [N, C], got {tuple(probs.shape)}")
    if labels.ndim != 1 or labels.shape[0] != probs.shape[0]:
        raise ValueError(
            f"labels must have shape [N] = [{probs.shape[0]}], got {tuple(labels.shape)}"
        )
    if probs.shape[0] == 0 or probs.shape[1] == 0:
        raise ValueError(f"probs must be non-empty, got shape {tuple(probs.shape)}")
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise TypeError(f"labels must be an integer tensor, got {labels.dtype}")
    labels = labels.to(device=probs.device, dtype=torch.long)
    if bool(((labels < 0) | (labels >= probs.shape[1])).any()):
        raise ValueError(f"labels must lie in [0, {probs.shape[1]})")
    return probs.float(), labels


def _check_samples(sample_probs: Tensor) -> Tensor:
    if sample_probs.ndim != 3 or 0 in sample_probs.shape:
        raise ValueError(
            f"sample probs must have non-empty shape [S, N, C], got {tuple(sample_probs.shape)}"
        )
    return sample_probs.float()


def _guard(x: Tensor) -> Tensor:
    """Clamp into [0, 1) so that exactly 1.0 falls into the last bin, not a phantom one."""
    return x.clamp(0.0, _ONE_BELOW)


def _top_label(probs: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
    """Top-label confidence [N] and correctness [N] (float 0/1), the same way as torchmetrics."""
    confidence, prediction = probs.max(dim=1)
    return confidence, prediction.eq(labels).float()


@dataclass(frozen=True)
class _Bins:
    edges: Tensor  # [B + 1] float32, edges[0] = 0, edges[B] = 1
    count: Tensor  # [B] float64, number of values in each bin
    value_sum: Tensor  # [B] float64, sum of the binned values
    hit_sum: Tensor  # [B] float64, sum of the 0/1 hits of the binned values


def _bin(values: Tensor, hits: Tensor, n_bins: int) -> _Bins:
    """Histogram ``values`` [M] in [0, 1] into ``n_bins`` equal bins (see the module docstring).

    ``hits`` [M] (0/1) is summed per bin alongside the values. NaN values end up in the last bin
    and make its sums NaN, so NaN inputs give NaN metrics rather than an indexing error.
    """
    if not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    edges = torch.linspace(0.0, 1.0, n_bins + 1, dtype=torch.float32, device=values.device)
    values = values.float()
    index = torch.bucketize(_guard(values), edges, right=True) - 1
    index = index.clamp(0, n_bins - 1)  # only NaN can be out of range after the guard

    def per_bin(src: Tensor) -> Tensor:
        out = torch.zeros(n_bins, dtype=torch.float64, device=values.device)
        return out.scatter_add_(0, index, src.to(torch.float64))  # deterministic on CUDA for 1-D

    return _Bins(edges, per_bin(torch.ones_like(values)), per_bin(values), per_bin(hits))


def _entropy(probs: Tensor) -> Tensor:
    """Entropy in nats over the last dimension, with 0 · log 0 = 0."""
    entropy: Tensor = -torch.special.xlogy(probs, probs).sum(dim=-1)
    return entropy


# --------------------------------------------------------------------------- public API


def predictive(logits: Tensor) -> tuple[Tensor, Tensor]:
    """Softmax probabilities of Monte-Carlo logits.

    Args:
        logits: [S, N, C] logits of S weight samples (S = 1 for a deterministic net), any dtype.

    Returns:
        (per-sample probabilities [S, N, C], predictive mean probabilities [N, C]), both float32.
    """
    if logits.ndim != 3:
        raise ValueError(f"logits must have shape [S, N, C], got {tuple(logits.shape)}")
    sample_probs = torch.softmax(logits.float(), dim=-1)
    return sample_probs, sample_probs.mean(dim=0)


def accuracy(probs: Tensor, labels: Tensor) -> float:
    """Top-1 accuracy of ``probs`` [N, C] against integer ``labels`` [N]."""
    probs, labels = _check(probs, labels)
    return float(_top_label(probs, labels)[1].mean())


def nll(probs: Tensor, labels: Tensor) -> float:
    """Mean negative log-likelihood −log p_y (nats) of ``probs`` [N, C] at ``labels`` [N].

    p_y is clamped to at least :data:`PROB_FLOOR` (1e-12), so p_y = 0 gives ≈ 27.63, not inf.
    """
    probs, labels = _check(probs, labels)
    p_true = probs.gather(1, labels[:, None]).squeeze(1)
    return float(-torch.log(p_true.clamp_min(PROB_FLOOR)).mean())


def brier(probs: Tensor, labels: Tensor) -> float:
    """Brier score: mean over N of Σ_c (p_c − onehot_c)² for ``probs`` [N, C], ``labels`` [N]."""
    probs, labels = _check(probs, labels)
    onehot = F.one_hot(labels, probs.shape[1]).float()
    return float((probs - onehot).square().sum(dim=1).mean())


def ece(probs: Tensor, labels: Tensor, n_bins: int = 15) -> float:
    """Top-label expected calibration error of ``probs`` [N, C] at ``labels`` [N].

    Σ_b (n_b / N) · |accuracy_b − mean_confidence_b| over ``n_bins`` equal-width bins, computed by
    torchmetrics' ``MulticlassCalibrationError(norm="l1")``. Probabilities are clamped below 1
    first so a confidence of exactly 1.0 lands in the last bin (torchmetrics issue #3510).
    """
    probs, labels = _check(probs, labels)
    if not isinstance(n_bins, int) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    # imported here: torchmetrics pulls in torchvision (~3 s), which training jobs never need
    from torchmetrics.classification import MulticlassCalibrationError

    metric = MulticlassCalibrationError(num_classes=probs.shape[1], n_bins=n_bins, norm="l1")
    metric = metric.to(probs.device)
    metric.update(_guard(probs), labels)
    return float(metric.compute())


def mace(probs: Tensor, labels: Tensor, n_bins: int = 15) -> float:
    """Mean absolute calibration error (top label) of ``probs`` [N, C] at ``labels`` [N].

    Top-label confidences and correctness are binned into ``n_bins`` equal-width bins on [0, 1]
    (left-closed ``[lo, hi)``, last bin ``[lo, 1]``, as torchmetrics). MACE is the *unweighted*
    mean over the non-empty bins of |accuracy_b − mean_confidence_b|.
    """
    probs, labels = _check(probs, labels)
    bins = _bin(*_top_label(probs, labels), n_bins)
    used = bins.count > 0
    count = bins.count[used]
    gap = (bins.hit_sum[used] / count - bins.value_sum[used] / count).abs()
    return float(gap.mean())


def mace_classwise(probs: Tensor, labels: Tensor, n_bins: int = 100) -> float:
    """MACE over all class probabilities (variant of the paper authors' code).

    All N·C entries of ``probs`` [N, C] are binned into ``n_bins`` equal-width bins on [0, 1]
    (same edges as :func:`mace`). Per bin, freq_b is the share of its entries that are the
    probability of the true class; the result is the unweighted mean over non-empty bins of
    |centre_b − freq_b|, with the bin centre (not the mean probability in the bin).
    """
    probs, labels = _check(probs, labels)
    is_true = F.one_hot(labels, probs.shape[1]).float()
    bins = _bin(probs.reshape(-1), is_true.reshape(-1), n_bins)
    centre = ((bins.edges[:-1] + bins.edges[1:]) / 2).to(torch.float64)
    used = bins.count > 0
    freq = bins.hit_sum[used] / bins.count[used]
    return float((centre[used] - freq).abs().mean())


def predictive_entropy(mean_probs: Tensor) -> float:
    """Mean over N of the entropy (nats) of the predictive distribution ``mean_probs`` [N, C]."""
    if mean_probs.ndim != 2:
        raise ValueError(f"mean_probs must have shape [N, C], got {tuple(mean_probs.shape)}")
    return float(_entropy(mean_probs.float()).mean())


def mutual_information_per_example(sample_probs: Tensor) -> Tensor:
    """Mutual information (nats) between prediction and weights for each example, [N].

    For ``sample_probs`` [S, N, C]: H[mean_s p_s] − mean_s H[p_s] (the epistemic part of the
    predictive entropy), clamped at 0 against rounding. It is 0 for S = 1 and whenever all
    samples agree.
    """
    sample_probs = _check_samples(sample_probs)
    mi = _entropy(sample_probs.mean(dim=0)) - _entropy(sample_probs).mean(dim=0)
    return mi.clamp_min(0.0)


def mutual_information(sample_probs: Tensor) -> float:
    """Mean over N of :func:`mutual_information_per_example`."""
    return float(mutual_information_per_example(sample_probs).mean())


def reliability_bins(probs: Tensor, labels: Tensor, n_bins: int = 15) -> list[dict[str, Any]]:
    """Per-bin top-label statistics of ``probs`` [N, C] at ``labels`` [N], for reliability plots.

    Returns one dict per bin, empty bins included, in order:
    ``{"bin": i, "lower": lo, "upper": hi, "count": n, "mean_confidence": c, "accuracy": a}``
    with ``c`` and ``a`` NaN for empty bins. Bins as in :func:`mace` (float32 edges, ``[lo, hi)``,
    last bin ``[lo, 1]``); the counts sum to N.
    """
    probs, labels = _check(probs, labels)
    bins = _bin(*_top_label(probs, labels), n_bins)
    edges = bins.edges.tolist()
    counts = bins.count.tolist()
    conf = (bins.value_sum / bins.count).tolist()  # 0 / 0 = nan for empty bins
    acc = (bins.hit_sum / bins.count).tolist()
    return [
        {
            "bin": i,
            "lower": edges[i],
            "upper": edges[i + 1],
            "count": int(counts[i]),
            "mean_confidence": conf[i] if counts[i] > 0 else math.nan,
            "accuracy": acc[i] if counts[i] > 0 else math.nan,
        }
        for i in range(n_bins)
    ]


@dataclass(frozen=True)
class Calibration:
    """Accuracy, proper scores, calibration errors and uncertainty of one predictive."""

    accuracy: float
    nll: float  # nats
    brier: float
    ece: float  # top label, ece_bins bins, count-weighted (torchmetrics)
    mace: float  # top label, mace_bins bins, unweighted over non-empty bins
    mace_classwise100: float  # all class probabilities, classwise_bins (default 100) bins
    entropy: float  # predictive entropy, nats
    mutual_information: float  # nats; 0 for S = 1


def calibration(
    sample_probs: Tensor,
    labels: Tensor,
    ece_bins: int = 15,
    mace_bins: int = 15,
    classwise_bins: int = 100,
) -> Calibration:
    """All metrics from per-sample probabilities ``sample_probs`` [S, N, C] and ``labels`` [N].

    Every metric except the mutual information is evaluated on the predictive mean over S.
    """
    sample_probs = _check_samples(sample_probs)
    mean_probs = sample_probs.mean(dim=0)
    return Calibration(
        accuracy=accuracy(mean_probs, labels),
        nll=nll(mean_probs, labels),
        brier=brier(mean_probs, labels),
        ece=ece(mean_probs, labels, ece_bins),
        mace=mace(mean_probs, labels, mace_bins),
        mace_classwise100=mace_classwise(mean_probs, labels, classwise_bins),
        entropy=predictive_entropy(mean_probs),
        mutual_information=mutual_information(sample_probs),
    )
