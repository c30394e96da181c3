"""Class prototypes plus pixel noise: learnable, tiny, and the same layout as CIFAR."""

from __future__ import annotations

from pathlib import Path

import numpy as np

AUGMENT = True
SHAPE = (3, 32, 32)  # (C, H, W) of its images unless dataset_options.shape says


def test_size(classes: int = 10, test: int = 500, **_: object) -> tuple[int, int]:
    """(test images, classes) with these options (:func:`read`'s)."""
    return test, classes


def read(
    root: Path,
    classes: int = 10,
    shape: tuple[int, ...] = SHAPE,
    train: int = 2000,
    test: int = 500,
    seed: int = 0,
    **_: object,
) -> tuple[np.ndarray, ...]:
    """``train`` and ``test`` images of ``shape`` (C, H, W), uint8, of ``classes`` classes."""
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(40, 215, size=(classes, *shape))

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, classes, size=n)
        x = prototypes[y] + rng.normal(0, 40, size=(n, *shape))
        return np.clip(x, 0, 255).astype(np.uint8), y

    return (*split(train), *split(test))
