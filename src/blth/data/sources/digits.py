"""scikit-learn's 8x8 handwritten digits: 1797 images bundled with it, no download."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

AUGMENT = False
SHAPE = (1, 8, 8)  # (C, H, W) of its images
IMAGES = 1797


def test_size(test_fraction: float = 0.2, **_: object) -> tuple[int, int]:
    """(test images, classes) with ``test_fraction``: scikit-learn's split rounds up."""
    return math.ceil(test_fraction * IMAGES), 10


def read(root: Path, test_fraction: float = 0.2, **_: object) -> tuple[np.ndarray, ...]:
    """[N, 1, 8, 8] images scaled to 0..255; a stratified split with ``test_fraction`` of the
    images in the test set."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()  # values 0..16
    images = np.round(digits.images * (255 / 16)).astype(np.uint8)[:, None]
    xtr, xte, ytr, yte = train_test_split(
        images, digits.target, test_size=test_fraction, stratify=digits.target, random_state=0
    )
    return xtr, ytr, xte, yte
