"""Out-of-distribution detection: noise images, scores of a predictive, AUROC and AUPR.

The in-distribution test set is the negative class and the out-of-distribution set the
positive one; every score is oriented so that higher means "more likely out of distribution".
"""

from __future__ import annotations

import torch
from torch import Tensor

from blth.shift import SCORES


def noise_images(like: Tensor, gen: torch.Generator) -> Tensor:
    """Uniform noise images, uint8, of the shape and device of ``like`` [N, C, H, W]."""
    return torch.randint(0, 256, like.shape, generator=gen, device=like.device, dtype=torch.uint8)


def scores(mean_probs: Tensor, mutual_information: Tensor | None) -> dict[str, Tensor]:
    """Per-example scores [N] of a predictive ``mean_probs`` [N, C]: 1 − max probability,
    predictive entropy (nats) and, for a Bayesian network, the mutual information [N]."""
    p = mean_probs.double()
    out = {
        SCORES[0]: 1 - p.max(dim=1).values,
        SCORES[1]: -(p * p.clamp_min(1e-300).log()).sum(dim=1),
    }
    if mutual_information is not None:
        out[SCORES[2]] = mutual_information.double()
    return out


def auroc(inside: Tensor, outside: Tensor) -> float:
    """Area under the ROC curve of separating ``outside`` (positive) from ``inside`` by score:
    the probability that an outside example scores higher, ties counting one half."""
    both = torch.cat([inside, outside]).double().cpu()
    ranks = _average_ranks(both)
    n_in, n_out = len(inside), len(outside)
    rank_sum = ranks[n_in:].sum().item()
    return (rank_sum - n_out * (n_out + 1) / 2) / (n_in * n_out)


def aupr(inside: Tensor, outside: Tensor) -> float:
    """Area under the precision-recall curve, outside as positive: average precision over the
    distinct score thresholds (scikit-learn's ``average_precision_score``)."""
    score = torch.cat([inside, outside]).double().cpu()
    positive = torch.cat([torch.zeros(len(inside)), torch.ones(len(outside))]).double()
    order = torch.argsort(score, descending=True, stable=True)
    score, positive = score[order], positive[order]
    true_pos = positive.cumsum(0)
    last_of_tie = torch.cat([score[1:] != score[:-1], torch.tensor([True])])
    true_pos = true_pos[last_of_tie]
    predicted = torch.arange(1, len(score) + 1, dtype=torch.double)[last_of_tie]
    precision = true_pos / predicted
    recall = true_pos / positive.sum()
    gained = torch.diff(recall, prepend=torch.zeros(1, dtype=torch.double))
    return float((gained * precision).sum())


def _average_ranks(values: Tensor) -> Tensor:
    """1-based ranks of ``values`` [N], tied values sharing their mean rank."""
    order = torch.argsort(values, stable=True)
    ranks = torch.empty(len(values), dtype=torch.double)
    ranks[order] = torch.arange(1, len(values) + 1, dtype=torch.double)
    unique, inverse = torch.unique(values, return_inverse=True)
    totals = torch.zeros(len(unique), dtype=torch.double).index_add_(0, inverse, ranks)
    counts = torch.zeros(len(unique), dtype=torch.double).index_add_(
        0, inverse, torch.ones(len(values), dtype=torch.double)
    )
    return (totals / counts)[inverse]
