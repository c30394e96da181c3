"""dataset_subset: a fixed, class-stratified subset of a dataset's splits
(blth.data.prepared.prepare)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from blth.config import runspec
from blth.data import prepared as data


def _synthetic(tmp_path, subset, name="s.safetensors"):
    options = {"classes": 4, "shape": [1, 6, 6], "train": 200, "test": 80, "seed": 0}
    return data.prepare("synthetic", tmp_path, tmp_path / name, subset=subset, **options)


def test_subset_keeps_the_asked_images_with_each_class_in_its_share(tmp_path):
    whole = _synthetic(tmp_path, None, "whole.safetensors")
    part = _synthetic(tmp_path, {"train": 40, "test": None, "seed": 0})
    assert len(part.train_y) == 40 and torch.equal(part.test_x, whole.test_x)
    whole_share = torch.bincount(whole.train_y, minlength=4) / len(whole.train_y)
    part_share = torch.bincount(part.train_y, minlength=4) / 40
    assert torch.allclose(part_share, whole_share, atol=1.5 / 40)
    rows = {tuple(x.flatten().tolist()) for x in whole.train_x}  # images from the split, once
    kept = [tuple(x.flatten().tolist()) for x in part.train_x]
    assert set(kept) <= rows and len(set(kept)) == 40


def test_subset_is_fixed_by_its_seed(tmp_path):
    a = _synthetic(tmp_path, {"train": 30, "test": 20, "seed": 1}, "a.safetensors")
    b = _synthetic(tmp_path, {"train": 30, "test": 20, "seed": 1}, "b.safetensors")
    c = _synthetic(tmp_path, {"train": 30, "test": 20, "seed": 2}, "c.safetensors")
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.test_y, b.test_y)
    assert not torch.equal(a.train_x, c.train_x)


def test_stratified_subset_of_an_unbalanced_split():
    labels = np.array([0] * 90 + [1] * 10)
    keep = data.stratified_subset(labels, 10, seed=3)
    assert np.bincount(labels[keep]).tolist() == [9, 1]
    assert list(keep) == sorted(set(keep))


def test_a_subset_larger_than_the_split_names_the_key_and_the_size(tmp_path):
    with pytest.raises(ValueError, match=r"dataset_subset.test: 81 images .* has 80"):
        _synthetic(tmp_path, {"train": None, "test": 81, "seed": 0})
    assert not (tmp_path / "s.safetensors").exists()


def test_the_subset_is_part_of_the_data_spec_of_the_own_dataset_only():
    exp = {"dataset": "digits", "dataset_options": {}}
    whole = runspec.data_spec(exp, "c")
    part = runspec.data_spec({**exp, "dataset_subset": {"train": 500}}, "c")
    assert whole.subset is None
    assert part.subset == {"seed": 0, "test": None, "train": 500}  # defaults filled
    assert part.key() != whole.key()
    assert runspec.data_spec({**exp, "dataset_subset": None}, "c") == whole
