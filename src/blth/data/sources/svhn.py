"""SVHN, cropped house-number digits: 73,257 train and 26,032 test 32x32 colour images, 10
classes; CIFAR-10's usual out-of-distribution set (evaluation.shift.ood).

torchvision's files ``train_32x32.mat`` and ``test_32x32.mat`` in ``root``, each downloaded there
when missing; the ``extra`` split (531,131 easier images) is not read. A local file is checked by
what it holds (images, labels), not by torchvision's md5, so that any good copy serves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blth.data.sources._download import downloading
from blth.io.safefiles import damaged

AUGMENT = False  # a mirrored digit is no digit (or another one): training never flips these
SHAPE = (3, 32, 32)  # (C, H, W) of its images
TEST_SIZE = (26_032, 10)  # (test images, classes)
SPLITS = ("train", "test")
REMEDY = "Delete it and rerun to download it again."


def read(root: Path, **_: object) -> tuple[np.ndarray, ...]:
    """Train and test images [N, 3, 32, 32] uint8 and labels 0..9 (SVHN's label 10 is 0)."""
    from torchvision.datasets import SVHN
    from torchvision.datasets.utils import download_url

    files = {split: SVHN.split_list[split] for split in SPLITS}  # url, file name, md5
    missing = [entry for entry in files.values() if not (root / entry[1]).is_file()]
    if missing:
        downloading(
            "SVHN",
            root,
            [name for _, name, _ in missing],
            "Check the network, or put train_32x32.mat and test_32x32.mat "
            "(ufldl.stanford.edu/housenumbers) into data_root.",
            lambda: [download_url(url, str(root), name, md5) for url, name, md5 in missing],
        )
    (xtr, ytr), (xte, yte) = (_split(root / name) for _, name, _ in files.values())
    return xtr, ytr, xte, yte


def _split(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A .mat file's images ``X`` [32, 32, 3, N] uint8 as [N, 3, 32, 32], its labels ``y``
    (1..10, 10 the digit 0) as 0..9."""
    from scipy.io import loadmat

    try:
        mat = loadmat(path, variable_names=("X", "y"))
    except Exception as e:  # scipy raises MatReadError, OSError, ValueError, IndexError, ...
        problem = f"is not a readable .mat file ({type(e).__name__}: {e})"
        raise damaged(path, problem, REMEDY) from None
    x, y = mat.get("X"), mat.get("y")
    if not isinstance(x, np.ndarray) or x.dtype != np.uint8 or x.shape[:3] != (32, 32, 3):
        raise damaged(path, "holds no X of uint8 images [32, 32, 3, N]", REMEDY)
    x = x.reshape(32, 32, 3, -1)  # one image may be saved as [32, 32, 3]
    if not isinstance(y, np.ndarray) or y.size != x.shape[3] or not y.size:
        count = y.size if isinstance(y, np.ndarray) else "no"
        raise damaged(path, f"holds {count} labels y for {x.shape[3]} images X", REMEDY)
    if not np.isin(y, np.arange(1, 11)).all():
        problem = f"has labels other than 1..10 (from {y.min()} to {y.max()})"
        raise damaged(path, problem, REMEDY)
    return x.transpose(3, 2, 0, 1), y.reshape(-1).astype(np.int64) % 10
