"""Dataset sources: each reads (or downloads) one dataset as uint8 numpy arrays.

A source maps ``root`` (and options) to (train_x [N, C, H, W], train_y, test_x, test_y);
:data:`SOURCES` pairs it with whether training augments it (random crop + flip).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np


def cifar10(root: Path, **_) -> tuple[np.ndarray, ...]:
    from torchvision.datasets import CIFAR10  # the real download (or an existing local copy)

    splits = [CIFAR10(str(root), train=t, download=True) for t in (True, False)]
    return tuple(a for s in splits for a in (s.data.transpose(0, 3, 1, 2), np.asarray(s.targets)))


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">i4", count=ndim, offset=4)
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims).copy()


def _find_idx(root: Path, stem: str) -> Path | None:
    for candidate in (root / stem, root / f"{stem}.gz", root / "FashionMNIST" / "raw" / stem):
        if candidate.exists():
            return candidate
    return None


def fashion_mnist(root: Path, **_) -> tuple[np.ndarray, ...]:
    stems = (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    )
    found = [_find_idx(root, s) for s in stems]
    if all(found):  # an IDX folder, e.g. Debian's dataset-fashion-mnist
        xtr, ytr, xte, yte = (_read_idx(p) for p in found)
        return xtr[:, None], ytr, xte[:, None], yte
    from torchvision.datasets import FashionMNIST

    splits = [FashionMNIST(str(root), train=t, download=True) for t in (True, False)]
    return tuple(a for s in splits for a in (s.data.numpy()[:, None], s.targets.numpy()))


def digits(root: Path, test_fraction: float = 0.2, **_) -> tuple[np.ndarray, ...]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()  # bundled with scikit-learn: 1797 8x8 images, values 0..16
    images = np.round(digits.images * (255 / 16)).astype(np.uint8)[:, None]
    xtr, xte, ytr, yte = train_test_split(
        images, digits.target, test_size=test_fraction, stratify=digits.target, random_state=0
    )
    return xtr, ytr, xte, yte


def synthetic(
    root: Path,
    classes: int = 10,
    shape: tuple[int, ...] = (3, 32, 32),
    train: int = 2000,
    test: int = 500,
    seed: int = 0,
    **_,
) -> tuple[np.ndarray, ...]:
    """Class prototypes plus pixel noise: learnable, tiny, and the same layout as CIFAR."""
    rng = np.random.default_rng(seed)
    prototypes = rng.uniform(40, 215, size=(classes, *shape))

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.integers(0, classes, size=n)
        x = prototypes[y] + rng.normal(0, 40, size=(n, *shape))
        return np.clip(x, 0, 255).astype(np.uint8), y

    return (*split(train), *split(test))


SOURCES: dict[str, tuple[Callable[..., tuple[np.ndarray, ...]], bool]] = {
    "cifar10": (cifar10, True),
    "fashion_mnist": (fashion_mnist, False),
    "digits": (digits, False),
    "synthetic": (synthetic, True),
}
