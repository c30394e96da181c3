"""The evaluation step: repeated test passes of a series' final weights, its tables and its
stored predictions."""

from __future__ import annotations

import math

import pytest
import torch
from tiny_data import TINY_MODEL, TINY_PREDICTIVE

from blth.bayes.hparams import PredictiveBayes
from blth.config.hparams import EvaluationHparams
from blth.config.runspec import EvalSpec, MaskSpec
from blth.evaluation import selective
from blth.io import artefacts, predictions
from blth.models.registry import build
from blth.steps import evaluation, lottery

EV = EvaluationHparams(passes=3, ece_bins=5, mace_bins=5, classwise_bins=10)


def spec(bayes: PredictiveBayes | None, levels: list[int]) -> EvalSpec:
    return EvalSpec(TINY_MODEL, {}, bayes, 100, False, EV, 0, levels, "")


@pytest.mark.parametrize("kind", ["det", "bnn"])
def test_a_series_gets_one_runs_row_per_level_with_its_bins_and_layers(
    tiny_data, tiny_inits, tmp_path, kind
):
    init = str(tiny_inits[kind])
    mask = tmp_path / "mask.safetensors"
    lottery.ticket_mask(MaskSpec(None, False, None, None, None, ""), init, str(mask))
    out = {t: str(tmp_path / f"{t}.parquet") for t in artefacts.EVALUATION_TABLES}
    out["predictions"] = str(tmp_path / artefacts.PREDICTIONS)
    bayes = TINY_PREDICTIVE if kind == "bnn" else None
    job = evaluation.EvalJob(
        spec(bayes, [0, 1]), str(tiny_data), [init] * 2, [str(mask)] * 2, out, 1, "cpu"
    )
    evaluation.evaluate(job)
    runs = artefacts.read_rows(out["runs"], artefacts.evaluation_table("runs"))
    assert [r["level"] for r in runs] == [0, 1]
    assert runs[0]["remaining_fraction"] == 1.0
    assert runs[0]["passes"] == (3 if bayes else 1) and runs[0]["samples"] == (2 if bayes else 1)
    assert math.isnan(runs[0]["mutual_information"]) == (bayes is None)
    for key in ("acc_mean", "acc_std", "nll", "ece"):  # the same weights and mask, passes
        assert runs[0][key] == runs[1][key], key
    # inference cost: every weight unpruned (a level-0 mask), S passes for a predictive
    params = dict(build(TINY_MODEL, (1, 8, 8), 3).named_parameters())
    dense = sum(p.numel() for p in params.values())
    weights = sum(p.numel() for n, p in params.items() if n.endswith("weight"))
    assert runs[0]["weight_macs"] == weights  # an MLP: one MAC per weight
    assert runs[0]["predictive_macs"] == weights * runs[0]["samples"]
    assert runs[0]["stored_parameters"] == dense * (2 if bayes else 1)
    bins = artefacts.read_rows(out["calibration"], artefacts.evaluation_table("calibration"))
    assert len(bins) == 2 * EV.ece_bins
    # the stored predictions give the reported numbers back
    stored = predictions.load(out["predictions"])
    assert sorted(stored.levels) == [0, 1] and stored.samples == runs[0]["samples"]
    level = stored.levels[1]
    assert level.probs.shape == (runs[1]["passes"], len(stored.labels), 3)
    hits = (level.probs.float().argmax(2) == stored.labels).float().mean(1)
    assert float(hits.mean()) == pytest.approx(runs[1]["acc_mean"], abs=1e-6)
    assert float(hits.std(unbiased=False)) == pytest.approx(runs[1]["acc_std"], abs=1e-6)
    # selective prediction: a risk per score and coverage, the full coverage's is the error
    scored = artefacts.read_rows(out["selective"], artefacts.evaluation_table("selective"))
    scores = {r["score"] for r in scored}
    assert scores == (set(selective.SCORES) if bayes else {selective.MAX_PROBABILITY})
    assert len(scored) == 2 * len(scores) * len(selective.COVERAGES)
    full = [r for r in scored if r["level"] == 1 and r["coverage"] == 1.0]
    assert all(r["risk"] == pytest.approx(1 - runs[1]["acc_mean"], abs=1e-6) for r in full)


def test_summarize_averages_the_passes():
    labels = torch.tensor([0, 1, 1, 0])
    probs = torch.tensor([[[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]] * 2)  # 2 passes
    probs[1, 2] = torch.tensor([0.3, 0.7])  # the second pass gets every example right
    mi = torch.full((2, 4), 0.25)
    row, bins, layers = evaluation.summarize(
        probs, mi, labels, {"fc.weight": torch.ones(2, 2).bool().numpy()}, EV, bayesian=True
    )
    assert row["acc_mean"] == pytest.approx(0.875) and row["acc_std"] == pytest.approx(0.125)
    assert row["mutual_information"] == pytest.approx(0.25) and row["passes"] == 2
    assert row["remaining_fraction"] == 1.0 and len(bins) == EV.ece_bins
    assert layers[0]["n_weights"] == 4
