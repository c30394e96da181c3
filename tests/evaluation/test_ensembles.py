"""blth.evaluation.ensembles and blth.report.ensembles: ensembles of tickets across seeds from
stored
predictions, held to a brute-force computation on random predictions, and the equal-cost
comparison with Bayesian tickets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from blth.evaluation import ensembles
from blth.io import predictions
from blth.report import ensembles as report


def stored(tmp_path, seed: int, passes: int, levels=(0, 1, 2)) -> predictions.SeriesPredictions:
    """Random predictions of 50 examples × 4 classes, written and read back (half precision)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(50) % 4
    series = predictions.SeriesPredictions(
        labels,
        {
            lvl: predictions.LevelPredictions(
                torch.softmax(3 * torch.randn(passes, 50, 4, generator=g), -1),
                torch.zeros(passes, 50),
            )
            for lvl in levels
        },
        samples=1,
    )
    path = tmp_path / f"s{seed}.safetensors"
    predictions.write(path, series)
    return predictions.load(path)


def member(tmp_path, seed, passes=1, levels=(0, 1, 2)) -> ensembles.Member:
    rows = {
        lvl: {
            "remaining_fraction": 0.8**lvl,
            "acc_mean": 0.5,
            "predictive_macs": 1000 - 100 * lvl,
            "storage_bytes": 4000,
        }
        for lvl in levels
    }
    return ensembles.Member(seed, stored(tmp_path, seed, passes, levels), rows)


def test_rows_match_a_brute_force_computation(tmp_path):
    members = [member(tmp_path, s) for s in (0, 1, 2)]
    rows, detected = ensembles.ensemble_rows(members)
    assert detected == []  # no out-of-distribution predictions stored
    assert [r["level"] for r in rows] == [0, 1, 2]
    for row in rows:
        probs = np.stack(
            [m.predictions.levels[row["level"]].probs[0].double().numpy() for m in members]
        )
        mean, labels = probs.mean(0), members[0].predictions.labels.numpy()
        assert row["acc"] == pytest.approx(np.mean(mean.argmax(1) == labels))
        assert row["nll"] == pytest.approx(-np.mean(np.log(mean[np.arange(50), labels])), rel=1e-5)
        # AURC by the top probability: the mean selective risk over k = 1..N (no ties here)
        order = np.argsort(-mean.max(1), kind="stable")
        wrong = (mean.argmax(1) != labels)[order]
        risk = np.cumsum(wrong) / np.arange(1, 51)
        assert row["aurc_max_probability"] == pytest.approx(risk.mean(), rel=1e-5)
        assert row["members"] == 3
        assert row["predictive_macs"] == 3 * (1000 - 100 * row["level"])
        assert row["remaining_fraction"] == pytest.approx(0.8 ** row["level"])
    # disagreement between members is the ensemble's mutual information: its score ranks too
    assert all(0 <= r["aurc_mutual_information"] <= 1 for r in rows)


def test_a_bayesian_member_contributes_its_first_pass_whose_cost_its_row_states(tmp_path):
    members = [member(tmp_path, 0, passes=3), member(tmp_path, 1, passes=3)]
    (row, *_), _ = ensembles.ensemble_rows(members)
    first = torch.stack([m.predictions.levels[0].probs[0].float() for m in members]).mean(0)
    assert row["acc"] == pytest.approx(
        float((first.argmax(1) == members[0].predictions.labels).float().mean())
    )


def test_only_shared_levels_and_one_test_set(tmp_path):
    a, b = member(tmp_path, 0), member(tmp_path, 1, levels=(0, 2))
    assert [r["level"] for r in ensembles.ensemble_rows([a, b])[0]] == [0, 2]
    with pytest.raises(ValueError, match="two or more members"):
        ensembles.ensemble_rows([a])
    other = ensembles.Member(
        2,
        predictions.SeriesPredictions(
            a.predictions.labels.flip(0), a.predictions.levels, a.predictions.samples
        ),
        a.runs,
    )
    with pytest.raises(ValueError, match="other test labels than seed 0's"):
        ensembles.ensemble_rows([a, other])


def test_out_of_distribution_rows_separate_the_ensembles_two_predictives(tmp_path):
    members = []
    for seed in (0, 1):
        m = member(tmp_path, seed, levels=(0,))
        noise = stored(tmp_path, 10 + seed, 1, levels=(0,)).levels  # 50 noise images
        flat = {
            0: predictions.LevelPredictions(
                noise[0].probs / 4 + 0.1875, noise[0].mutual_information
            )
        }
        series = predictions.SeriesPredictions(
            m.predictions.labels, m.predictions.levels, 1, {"uniform_noise": flat}
        )
        path = tmp_path / f"ood{seed}.safetensors"
        predictions.write(path, series)
        members.append(ensembles.Member(seed, predictions.load(path), m.runs))
    _, detected = ensembles.ensemble_rows(members)
    assert [(r["level"], r["ood"], r["score"]) for r in detected] == [
        (0, "uniform_noise", score)
        for score in ("max_probability", "entropy", "mutual_information")
    ]
    inside, outside = (
        np.mean([m.predictions.levels[0].probs[0].double().numpy() for m in members], 0),
        np.mean(
            [m.predictions.ood["uniform_noise"][0].probs[0].double().numpy() for m in members], 0
        ),
    )
    # AUROC of 1 - top probability, brute force: P(outside scores above inside), ties halved
    a, b = 1 - inside.max(1), 1 - outside.max(1)
    brute = np.mean((b[:, None] > a[None, :]) + 0.5 * (b[:, None] == a[None, :]))
    assert detected[0]["auroc"] == pytest.approx(brute, abs=1e-6)
    assert detected[0]["auroc"] > 0.9  # the flattened noise predictions are far less confident


def tables(bayes_macs: list[int], ens_macs: list[int]) -> dict[str, pd.DataFrame]:
    """A model's bnn-snr IMP runs (two seeds) and its det ensembles, at the given costs."""
    ident = {"model": "m", "chain": "imp", "branch": "main"}
    runs = pd.DataFrame(
        [
            {
                **ident,
                "arm": "bnn-snr",
                "seed": s,
                "level": lvl,
                "predictive_macs": c,
                "remaining_fraction": 0.8**lvl,
                "acc_mean": 0.80 + 0.01 * s,
                "nll": 0.5,
                "ece": 0.05,
            }
            for lvl, c in enumerate(bayes_macs)
            for s in (0, 1)
        ]
    )
    selective = runs[[*ident, "arm", "seed", "level"]].assign(
        score="max_probability", coverage=1.0, aurc=0.04
    )
    ens = pd.DataFrame(
        [
            {
                **ident,
                "arm": "det",
                "level": lvl,
                "members": 2,
                "predictive_macs": c,
                "remaining_fraction": 0.8**lvl,
                "acc": 0.83,
                "nll": 0.45,
                "ece": 0.06,
                "aurc_max_probability": 0.03,
            }
            for lvl, c in enumerate(ens_macs)
        ]
    )
    empty = pd.DataFrame()
    return {
        "runs": runs,
        "selective": selective,
        "ensembles": ens,
        "ood": empty,
        "ensembles_ood": empty,
    }


def test_pairs_are_matched_by_cost_within_one_pruning_step():
    pairs = report.matched(tables([4000, 3000, 2000, 1000], [2100, 1000, 400]))
    # 2100 -> the Bayesian 2000, 1000 -> 1000, 400 has no Bayesian level within 1.25x
    assert list(zip(pairs["ensemble_level"], pairs["bayes_level"])) == [(0, 2), (1, 3)]
    assert pairs["bayes_acc"].tolist() == pytest.approx([0.805, 0.805])
    assert pairs["bayes_acc_sd"].tolist() == pytest.approx([np.std([0.80, 0.81], ddof=1)] * 2)
    summary = report.summary(pairs).iloc[0]
    assert summary["acc_delta"] == pytest.approx(2.5)
    assert (
        summary["acc_wins"],
        summary["nll_wins"],
        summary["ece_wins"],
        summary["aurc_wins"],
    ) == (2, 2, 0, 2)
    text = report.markdown(pairs)
    assert (
        "| m | 2 | 0.7 | +2.5 (ensemble better in 2/2) | -0.05 (ensemble better in 2/2) |" in text
    )


def test_the_ood_auroc_is_compared_where_both_sides_have_it():
    found = tables([2000, 1000], [2000, 1000])
    ident = {"model": "m", "chain": "imp", "branch": "main", "score": "max_probability"}
    found["ood"] = pd.DataFrame(
        [
            {**ident, "arm": "bnn-snr", "seed": s, "level": lvl, "ood": o, "auroc": 0.7}
            for s in (0, 1)
            for lvl in (0, 1)
            for o in ("a", "b")
        ]
    )
    found["ensembles_ood"] = pd.DataFrame(
        [
            {**ident, "arm": "det", "level": lvl, "ood": o, "auroc": auc}
            for lvl in (0, 1)
            for o, auc in (("a", 0.8), ("b", 0.9))
        ]
    )
    pairs = report.matched(found)
    assert pairs["ensemble_ood_auroc"].tolist() == pytest.approx([0.85, 0.85])
    assert "| +15.0 (ensemble better in 2/2) |" in report.markdown(pairs)
    assert "OOD AUROC" not in report.markdown(report.matched(tables([1000], [1000])))
