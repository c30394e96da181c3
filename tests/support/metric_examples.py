"""Hand-made and random predictions for the tests of blth.evaluation.metrics, with their known
values."""

from __future__ import annotations

import torch

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


def random_probs(seed: int, n: int = 2000, c: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities [n, c] of random logits, better than chance, not calibrated; and labels."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, c, (n,), generator=g)
    logits = 3.0 * torch.randn(n, c, generator=g)
    logits[torch.arange(n), labels] += 2.0  # better than chance, not perfectly calibrated
    return torch.softmax(logits, dim=1), labels
