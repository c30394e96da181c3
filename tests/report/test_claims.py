"""blth.report.claims: each verdict rule on small hand-made runs tables."""

from __future__ import annotations

import pandas as pd

from blth.report.claims import Finding, markdown
from blth.report.claims.controls import controls_close, controls_lose, transplant_matches
from blth.report.claims.pruning import degradation, lth_holds, snr_like_mean
from blth.report.claims.series import NOT_REPRODUCED, NOT_TESTABLE, REPRODUCED


def runs(curves: dict[tuple[str, str], list[float]], seeds: int = 2) -> pd.DataFrame:
    """A runs table: per (arm, branch) the accuracy of levels 0, 1, ... (both seeds alike)."""
    rows = []
    for (arm, branch), accs in curves.items():
        for level, acc in enumerate(accs):
            if branch != "main" and level == 0:
                continue
            rows += [
                {
                    "model": "lenet",
                    "arm": arm,
                    "bayesian": arm != "det",
                    "chain": "imp",
                    "branch": branch,
                    "seed": seed,
                    "level": level,
                    "remaining_fraction": 0.8**level,
                    "best_test_acc": acc + 0.001 * seed,
                    "acc_std": 0.0,
                    "mace": 0.05,
                    "passes": 3,
                }
                for seed in range(seeds)
            ]
    return pd.DataFrame(rows)


FLAT = [0.88] * 21
DROPPING = [0.88] * 18 + [0.85, 0.84, 0.83]
NO_LAYERS = pd.DataFrame()


def test_matching_tickets_reproduce_and_a_first_level_loss_does_not():
    assert lth_holds(runs({("bnn-snr", "main"): FLAT}), NO_LAYERS).verdict == REPRODUCED
    early = [0.88, 0.80] + [0.80] * 19
    assert lth_holds(runs({("bnn-snr", "main"): early}), NO_LAYERS).verdict == NOT_REPRODUCED
    assert lth_holds(runs({("det", "main"): FLAT}), NO_LAYERS).verdict == NOT_TESTABLE


def test_degradation_needs_a_loss_under_two_percent_left():
    dropped = runs({("det", "main"): DROPPING, ("bnn-snr", "main"): DROPPING})
    assert degradation(dropped, NO_LAYERS).verdict == REPRODUCED
    assert degradation(runs({("det", "main"): FLAT}), NO_LAYERS).verdict == NOT_REPRODUCED
    assert degradation(runs({("det", "main"): FLAT[:6]}), NO_LAYERS).verdict == NOT_TESTABLE


def test_scores_alike_within_the_tolerance():
    alike = runs({("bnn-snr", "main"): FLAT, ("bnn-mean", "main"): [a - 0.002 for a in FLAT]})
    assert snr_like_mean(alike, NO_LAYERS).verdict == REPRODUCED
    apart = runs({("bnn-snr", "main"): FLAT, ("bnn-mean", "main"): [a - 0.02 for a in FLAT]})
    assert snr_like_mean(apart, NO_LAYERS).verdict == NOT_REPRODUCED


def test_controls_are_judged_at_the_deepest_branch_level():
    losing = [0.88] * 20 + [0.80]
    table = runs({("det", "main"): FLAT, ("det", "shuffle_global"): losing})
    assert controls_lose(table, NO_LAYERS).verdict == REPRODUCED
    table = runs({("det", "main"): FLAT, ("det", "reinit"): losing})
    finding = controls_close(table, NO_LAYERS)
    assert finding.verdict == NOT_REPRODUCED
    assert "L20 -8.0" in finding.measured


def test_transplants_must_match_at_every_level():
    table = runs({("bnn-snr", "main"): FLAT, ("det", "transplant"): [0.88] * 10 + [0.86] * 11})
    assert transplant_matches(table, NO_LAYERS).verdict == NOT_REPRODUCED


def test_markdown_escapes_the_pipes_of_a_cell():
    table = markdown([Finding("|μ| claim", "a | b", REPRODUCED, "why")])
    assert "| \\|μ\\| claim | a \\| b | **reproduced** | why |" in table
