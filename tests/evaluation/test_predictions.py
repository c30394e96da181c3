"""blth.io.predictions: a series' stored test predictions, written and read back, damage named."""

from __future__ import annotations

import pytest
import torch

from blth.io import predictions, safefiles


def _series(levels=(0, 3), passes=2, n=50, classes=4) -> predictions.SeriesPredictions:
    gen = torch.Generator().manual_seed(0)
    kept = {
        level: predictions.LevelPredictions(
            torch.softmax(torch.randn(passes, n, classes, generator=gen), dim=2),
            torch.rand(passes, n, generator=gen),
        )
        for level in levels
    }
    return predictions.SeriesPredictions(torch.randint(0, classes, (n,), generator=gen), kept, 10)


def test_roundtrip_in_half_precision(tmp_path):
    path = tmp_path / "p.safetensors"
    series = _series()
    predictions.write(path, series)
    back = predictions.load(path)
    assert torch.equal(back.labels, series.labels) and back.samples == 10
    assert sorted(back.levels) == [0, 3]
    for level, pred in series.levels.items():
        assert back.levels[level].probs.dtype == torch.float16
        assert torch.allclose(back.levels[level].probs.float(), pred.probs, atol=1e-3)
        assert torch.allclose(
            back.levels[level].mutual_information.float(), pred.mutual_information, atol=1e-3
        )
    assert path.stat().st_size < 2 * 50 * 5 * 2 * 2 + 2000  # 2 levels · P · N · (C + 1) halves


def test_the_same_predictions_give_the_same_bytes(tmp_path):
    predictions.write(tmp_path / "a", _series())
    predictions.write(tmp_path / "b", _series())
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()


def test_a_truncated_file_is_named(tmp_path):
    path = tmp_path / "p.safetensors"
    predictions.write(path, _series())
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(safefiles.DamagedFile, match=str(path)):
        predictions.load(path)


def test_a_level_that_does_not_fit_the_labels_is_named(tmp_path):
    path = tmp_path / "p.safetensors"
    series = _series()
    short = predictions.LevelPredictions(torch.rand(2, 49, 4), torch.rand(2, 49))
    predictions.write(path, predictions.SeriesPredictions(series.labels, {5: short}, 10))
    with pytest.raises(safefiles.DamagedFile, match="level 5: .* do not fit 50 labels"):
        predictions.load(path)
