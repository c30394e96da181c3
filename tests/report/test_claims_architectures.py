"""blth.report.claims.architectures and the layer-depth rule, on small hand-made tables."""

from __future__ import annotations

import pandas as pd
import pytest

from blth.report.claims import CHECKS
from blth.report.claims.architectures import (
    Architecture,
    independent_of_size,
    markdown,
    per_architecture,
    relies_on_initial_weights,
)
from blth.report.claims.pruning import deeper_pruned_more, depth_trend
from blth.report.claims.series import NOT_REPRODUCED, NOT_TESTABLE, REPRODUCED


def runs(model: str, ticket: float, reinit: float, levels: int = 4) -> pd.DataFrame:
    """Flat IMP curves at ``ticket`` for det and bnn-snr, reinit branches at the last level."""
    rows = []
    for arm in ("det", "bnn-snr"):
        for level in range(levels + 1):
            for branch, acc in (("main", ticket), ("reinit", reinit)):
                if branch == "reinit" and level != levels:
                    continue
                rows += [
                    {
                        "model": model,
                        "arm": arm,
                        "bayesian": arm != "det",
                        "chain": "imp",
                        "branch": branch,
                        "seed": seed,
                        "level": level,
                        "remaining_fraction": 0.5**level,
                        "best_test_acc": acc,
                        "acc_std": 0.0,
                        "mace": 0.05,
                        "passes": 2,
                        "n_prunable": 1000,
                    }
                    for seed in (0, 1)
                ]
    return pd.DataFrame(rows)


def arch(model: str, reinit_loss: float, n: int = 1000) -> Architecture:
    return Architecture(model, n, runs(model, 0.9, 0.9 - reinit_loss), pd.DataFrame())


def layers(fractions: dict[str, list[float]]) -> pd.DataFrame:
    """A layers table at level 4 with the given remaining fraction per layer and arm."""
    rows = [
        {
            "arm": arm,
            "chain": "imp",
            "branch": "main",
            "seed": 0,
            "level": 4,
            "index": i,
            "n_weights": 1000,
            "n_remaining": round(1000 * f),
        }
        for arm, fs in fractions.items()
        for i, f in enumerate(fs)
    ]
    return pd.DataFrame(rows)


def test_depth_trend_is_a_rank_correlation():
    assert depth_trend([0.9, 0.5, 0.2]) == pytest.approx(-1.0)
    assert depth_trend([0.1, 0.2, 0.3]) == pytest.approx(1.0)
    assert depth_trend([0.3, 0.3]) == 0.0


def test_a_modulated_fall_with_depth_counts_and_the_bnn_must_fall_faster():
    # ViT-like: attention layers keep more than MLP layers, but the trend falls
    det = [0.8, 0.5, 0.6, 0.3, 0.4, 0.2, 0.3, 0.1]
    faster = [0.8, 0.4, 0.5, 0.2, 0.3, 0.1, 0.2, 0.02]
    slower = [0.5, 0.4, 0.45, 0.35, 0.4, 0.3, 0.35, 0.25]
    found = deeper_pruned_more(pd.DataFrame(), layers({"det": det, "bnn-snr": faster}))
    assert found.verdict == REPRODUCED and "ρ -0.90" in found.measured
    found = deeper_pruned_more(pd.DataFrame(), layers({"det": det, "bnn-snr": slower}))
    assert (found.verdict, found.why) == (
        NOT_REPRODUCED,
        "falls with depth, but not faster in the BNN",
    )
    rising = deeper_pruned_more(pd.DataFrame(), layers({"det": det[::-1], "bnn-snr": faster}))
    assert rising.why == "the remaining fraction does not fall with depth"


def test_the_vit_must_lose_more_to_reinit_than_every_conv_net():
    conv = [arch("resnet20", 0.05), arch("vgg11", 0.0)]
    assert relies_on_initial_weights([*conv, arch("vit_tiny", 0.12)]).verdict == REPRODUCED
    # within the tolerance of the worst conv net: not reproduced
    assert relies_on_initial_weights([*conv, arch("vit_tiny", 0.053)]).verdict == NOT_REPRODUCED
    assert relies_on_initial_weights(conv).verdict == NOT_TESTABLE


def test_every_model_must_match_near_ten_percent():
    small, large = arch("lenet_300_100", 0.0, 1000), arch("vgg11", 0.0, 10**7)
    assert independent_of_size([small, large]).verdict == REPRODUCED
    losing = Architecture("resnet20", 5000, runs("resnet20", 0.9, 0.9), pd.DataFrame())
    losing.runs.loc[losing.runs["level"] > 0, "best_test_acc"] = 0.8
    found = independent_of_size([small, losing])
    assert (found.verdict, found.why) == (NOT_REPRODUCED, "1 of 2 models match near 10 % left")
    assert independent_of_size([small]).verdict == NOT_TESTABLE


def test_claims_no_architecture_can_test_are_left_out_of_the_study_table():
    archs = [arch("resnet20", 0.05), arch("vit_tiny", 0.12, 10**6)]
    claims = [claim for claim, _ in per_architecture(archs, CHECKS)]
    assert "The LTH holds in BNNs: IMP finds matching (and some surpassing) tickets" in claims
    assert "LRR ≥ IMP at high sparsity" not in claims  # no LRR chain
    text = markdown(archs, CHECKS)
    assert text.startswith("| Claim (paper) | resnet20 (1 k) | vit_tiny (1.0 M) |")
    assert "### vit_tiny (1.0 M)" in text
