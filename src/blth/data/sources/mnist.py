"""MNIST: 60,000 train and 10,000 test 28x28 grey handwritten digits; the out-of-distribution
set of a Fashion-MNIST study (evaluation.shift.ood)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blth.data.sources._idx import IdxDataset
from blth.data.sources._idx import read as read_idx

AUGMENT = False
SHAPE = (1, 28, 28)  # (C, H, W) of its images
TEST_SIZE = (10_000, 10)  # (test images, classes)
MNIST = IdxDataset("MNIST", "MNIST", "a copy of the four IDX files of yann.lecun.com/exdb/mnist")


def read(root: Path, **_: object) -> tuple[np.ndarray, ...]:
    """An IDX folder of MNIST (plain or .gz), else torchvision's."""
    return read_idx(MNIST, root)
