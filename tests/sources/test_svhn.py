"""The SVHN source: torchvision's .mat files read offline, their damage named."""

import numpy as np
import pytest
import torch
from scipy.io import savemat

from blth.data import prepared as data
from blth.io import safefiles

SVHN_LABELS = {"train": np.arange(12) % 10 + 1, "test": np.array([10, 3, 7, 10])}  # 10: digit 0


@pytest.fixture
def tiny_svhn(tmp_path):
    """SVHN's two .mat files (train 12, test 4 images) in torchvision's layout, and their X."""
    root = tmp_path / "svhn"
    root.mkdir()
    rng = np.random.default_rng(0)
    images = {}
    for split, y in SVHN_LABELS.items():
        images[split] = rng.integers(0, 256, (32, 32, 3, len(y)), dtype=np.uint8)
        savemat(root / f"{split}_32x32.mat", {"X": images[split], "y": y.reshape(-1, 1)})
    return root, images


def test_a_local_svhn_loads_without_the_network(tiny_svhn, tmp_path, offline):
    root, images = tiny_svhn
    svhn = data.prepare("svhn", root, tmp_path / "svhn.safetensors")
    assert offline == []
    assert svhn.train_x.shape == (12, 3, 32, 32) and svhn.test_x.shape == (4, 3, 32, 32)
    assert svhn.train_x.dtype == torch.uint8 and not svhn.augment and svhn.classes == 10
    assert svhn.train_y.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2]
    assert svhn.test_y.tolist() == [0, 3, 7, 0]
    assert svhn.train_x[3, 2, 5, 7] == images["train"][5, 7, 2, 3]  # X[h, w, c, n]
    assert torch.equal(svhn.test_x[1], torch.from_numpy(images["test"][..., 1].transpose(2, 0, 1)))


SVHN_DAMAGE = {
    "truncated": (
        lambda p: p.write_bytes(p.read_bytes()[:-100]),
        "is not a readable .mat file (",  # then scipy's own words
    ),
    "float images": (
        lambda p: savemat(p, {"X": np.zeros((32, 32, 3, 4)), "y": SVHN_LABELS["test"]}),
        "holds no X of uint8 images [32, 32, 3, N]",
    ),
    "labels missing": (
        lambda p: savemat(p, {"X": np.zeros((32, 32, 3, 4), np.uint8), "y": np.ones(3)}),
        "holds 3 labels y for 4 images X",
    ),
    "label 0": (
        lambda p: savemat(p, {"X": np.zeros((32, 32, 3, 4), np.uint8), "y": np.arange(4)}),
        "has labels other than 1..10 (from 0 to 3)",
    ),
}


@pytest.mark.parametrize("damage", SVHN_DAMAGE)
def test_a_damaged_svhn_file_is_named(tiny_svhn, tmp_path, offline, damage):
    spoil, problem = SVHN_DAMAGE[damage]
    path = tiny_svhn[0] / "test_32x32.mat"
    spoil(path)
    with pytest.raises(safefiles.DamagedFile) as caught:
        data.prepare("svhn", tiny_svhn[0], tmp_path / "svhn.safetensors")
    assert str(caught.value).startswith(f"{path}: {problem}")
    assert str(caught.value).endswith(". Delete it and rerun to download it again.")
    assert offline == [] and not (tmp_path / "svhn.safetensors").exists()
