"""Fashion-MNIST: 60,000 train and 10,000 test 28x28 grey images of clothing, 10 classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blth.data.sources._idx import IdxDataset
from blth.data.sources._idx import read as read_idx

AUGMENT = False
SHAPE = (1, 28, 28)  # (C, H, W) of its images
TEST_SIZE = (10_000, 10)  # (test images, classes)
DEBIAN = "/usr/share/datasets/fashion-mnist"  # apt-get install dataset-fashion-mnist
FASHION = IdxDataset(
    "Fashion-MNIST",
    "FashionMNIST",
    f"apt-get install --reinstall dataset-fashion-mnist for {DEBIAN}",
)


def read(root: Path, **_: object) -> tuple[np.ndarray, ...]:
    """An IDX folder (plain or .gz, e.g. Debian's dataset-fashion-mnist), else torchvision's."""
    return read_idx(FASHION, root)
