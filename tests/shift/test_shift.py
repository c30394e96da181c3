"""Uncertainty under shift (blth.shift, blth.steps.shift): corruptions, detection metrics, and
the shift and ood tables of the evaluation step."""

from __future__ import annotations

import pytest
import torch
from shift_evaluation import evaluate
from sklearn.metrics import average_precision_score, roc_auc_score
from tiny_data import TINY_DATA

from blth.data import prepared as data
from blth.shift import CORRUPTIONS, NOISE_IMAGES, SCORES, corruptions, detection

IMAGES = torch.randint(0, 256, (6, 3, 32, 32), generator=torch.Generator().manual_seed(0))


def corrupt(name: str, severity: int, seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return corruptions.corrupt(IMAGES.to(torch.uint8), name, severity, gen)


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_a_corruption_is_uint8_reproducible_and_grows_with_severity(name):
    out = corrupt(name, 3)
    assert out.dtype == torch.uint8 and out.shape == IMAGES.shape
    assert torch.equal(out, corrupt(name, 3))
    change = [(corrupt(name, s).float() - IMAGES.float()).abs().mean() for s in (1, 3, 5)]
    assert 0 < change[0] < change[1] < change[2]


def test_contrast_keeps_each_images_mean_and_rotation_keeps_a_flat_centre():
    flat = torch.full((1, 1, 32, 32), 200, dtype=torch.uint8)
    gen = torch.Generator()
    assert corruptions.corrupt(flat, "rotation", 5, gen)[0, 0, 16, 16] == 200
    out = corruptions.corrupt(IMAGES.to(torch.uint8), "contrast", 5, gen).float()
    assert torch.allclose(out.mean(dim=(1, 2, 3)), IMAGES.float().mean(dim=(1, 2, 3)), atol=1)


def test_unknown_corruptions_and_severities_are_refused():
    with pytest.raises(ValueError, match="unknown corruption 'fog'"):
        corrupt("fog", 1)
    with pytest.raises(ValueError, match="severity 6"):
        corrupt("contrast", 6)


def test_auroc_and_aupr_are_scikit_learns_ties_included():
    gen = torch.Generator().manual_seed(3)
    inside = torch.randint(0, 20, (300,), generator=gen).double()
    outside = torch.randint(5, 25, (200,), generator=gen).double()
    labels = [0] * 300 + [1] * 200
    both = torch.cat([inside, outside]).numpy()
    assert detection.auroc(inside, outside) == pytest.approx(roc_auc_score(labels, both))
    assert detection.aupr(inside, outside) == pytest.approx(average_precision_score(labels, both))
    assert detection.auroc(torch.zeros(5), torch.ones(5)) == 1.0


def test_scores_say_uncertain_is_outside():
    sure, unsure = torch.tensor([[0.98, 0.01, 0.01]]), torch.full((1, 3), 1 / 3)
    for name in SCORES[:2]:
        assert detection.scores(unsure, None)[name] > detection.scores(sure, None)[name]
    assert set(detection.scores(sure, torch.zeros(1))) == set(SCORES)


SHIFT = {"corruptions": ["gaussian_noise", "rotation"], "severities": [1, 5], "passes": 2}


@pytest.mark.parametrize("kind", ["det", "bnn"])
def test_each_level_gets_a_row_per_corrupted_set_and_per_detection_score(
    tiny_data, tiny_inits, tmp_path, kind
):
    other = tmp_path / "other.safetensors"
    data.prepare("synthetic", tmp_path, other, **(TINY_DATA | {"seed": 5}))
    shift = SHIFT | {"ood": [NOISE_IMAGES, "synthetic_5"]}
    tables = evaluate(tiny_data, tiny_inits, tmp_path, kind, shift, {"synthetic_5": str(other)})
    assert len(tables["shift"]) == 2 * 2 * 2  # levels × corruptions × severities
    scores = SCORES if kind == "bnn" else SCORES[:2]  # mutual information needs samples
    assert {(r["ood"], r["score"]) for r in tables["ood"]} == {
        (o, s) for o in shift["ood"] for s in scores
    }
    by_level = [[r for r in tables["shift"] if r["level"] == lvl] for lvl in (0, 1)]
    strip = [[{k: v for k, v in r.items() if k != "level"} for r in rows] for rows in by_level]
    assert strip[0] == strip[1]  # the same weights see the same corrupted sets
    assert all(0 <= r["auroc"] <= 1 and 0 <= r["aupr"] <= 1 for r in tables["ood"])


def test_without_shift_the_tables_are_empty_and_a_wrong_shape_is_named(
    tiny_data, tiny_inits, tmp_path
):
    off = {"corruptions": [], "severities": [1], "ood": [], "passes": 1}
    assert evaluate(tiny_data, tiny_inits, tmp_path, "det", off) == {"shift": [], "ood": []}
    wide = tmp_path / "wide.safetensors"
    data.prepare("synthetic", tmp_path, wide, **(TINY_DATA | {"shape": [1, 8, 9]}))
    with pytest.raises(ValueError, match=r"dataset 'wide' has images of shape \(1, 8, 9\)"):
        evaluate(tiny_data, tiny_inits, tmp_path, "det", off | {"ood": ["wide"]}, {"wide": wide})
