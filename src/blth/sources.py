"""Dataset sources: each reads (or downloads) one dataset as uint8 numpy arrays.

A source maps ``root`` (and options) to (train_x [N, C, H, W], train_y, test_x, test_y);
:data:`SOURCES` pairs it with whether training augments it (random crop + flip).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from blth.safefiles import damaged


def cifar10(root: Path, **_) -> tuple[np.ndarray, ...]:
    from torchvision.datasets import CIFAR10  # the real download (or an existing local copy)

    splits = [CIFAR10(str(root), train=t, download=True) for t in (True, False)]
    return tuple(a for s in splits for a in (s.data.transpose(0, 3, 1, 2), np.asarray(s.targets)))


FASHION_MNIST = {"train": 60_000, "t10k": 10_000}  # images per split, each 28x28, labels 0..9
_IDX_MAGIC = {"images": 0x00000803, "labels": 0x00000801}  # unsigned bytes, 3 or 1 dimensions
_STEMS = {
    (split, kind): f"{split}-{kind}-idx{magic & 0xFF}-ubyte"
    for split in FASHION_MNIST
    for kind, magic in _IDX_MAGIC.items()
}


def fashion_mnist(root: Path, **_) -> tuple[np.ndarray, ...]:
    """An IDX folder (plain or .gz, e.g. Debian's dataset-fashion-mnist), else torchvision's."""
    folder, files = root, _idx_files(root)
    remedy = (
        "Get a good copy (apt-get install --reinstall dataset-fashion-mnist if it is Debian's), "
        f"or remove the IDX files from {root} to let torchvision download Fashion-MNIST there."
    )
    if not files:
        from torchvision.datasets import FashionMNIST

        folder = root / "FashionMNIST" / "raw"  # where torchvision keeps its download
        remedy = f"Delete {folder.parent} and rerun: torchvision downloads it again."
        if len(_idx_files(folder)) < len(_STEMS):
            FashionMNIST(str(root), download=True)
        files = _idx_files(folder)
    missing = [stem for key, stem in _STEMS.items() if key not in files]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)} (plain or .gz). {remedy}")
    (xtr, ytr), (xte, yte) = (_idx_split(files, split, remedy) for split in FASHION_MNIST)
    return xtr, ytr, xte, yte


def _idx_files(folder: Path) -> dict[tuple[str, str], Path]:
    """The IDX files present in ``folder``, plain or gzipped, keyed (split, kind)."""
    found = {}
    for key, stem in _STEMS.items():
        for path in (folder / stem, folder / f"{stem}.gz"):
            if path.is_file():
                found[key] = path
                break
    return found


def _idx_split(
    files: dict[tuple[str, str], Path], split: str, remedy: str
) -> tuple[np.ndarray, np.ndarray]:
    """One split's images [N, 1, 28, 28] and labels, checked against Fashion-MNIST's."""
    x_path, y_path = files[split, "images"], files[split, "labels"]
    x, y = _read_idx(x_path, "images", remedy), _read_idx(y_path, "labels", remedy)
    n = FASHION_MNIST[split]
    if x.shape != (n, 28, 28):
        shape = "x".join(map(str, x.shape[1:]))
        problem = (
            f"holds {len(x)} images of {shape}; Fashion-MNIST's {split} split has {n} of 28x28"
        )
        raise damaged(x_path, problem + _swap_hint(split, len(x)), remedy)
    if len(y) != n:
        problem = f"holds {len(y)} labels; Fashion-MNIST's {split} split has {n}"
        raise damaged(y_path, problem + _swap_hint(split, len(y)), remedy)
    if y.max() > 9:
        raise damaged(y_path, f"has labels up to {y.max()}, not 0..9", remedy)
    return x[:, None], y


def _swap_hint(split: str, count: int) -> str:
    """' (is it the t10k file?)' when ``count`` is the other split's size."""
    other = [s for s, n in FASHION_MNIST.items() if n == count and s != split]
    return f" (is it the {other[0]} file?)" if other else ""


def _read_idx(path: Path, kind: str, remedy: str) -> np.ndarray:
    """An IDX file's array, after checking its magic number and length against its header."""
    magic = _IDX_MAGIC[kind]
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            raw = f.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as e:
        raise damaged(path, f"is a truncated or damaged gzip file ({e})", remedy) from None
    start = 4 + 4 * (magic & 0xFF)  # magic number, then one big-endian int32 per dimension
    if len(raw) < start:
        raise damaged(path, f"is truncated ({len(raw)} bytes)", remedy)
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise damaged(
            path, f"is not an IDX {kind} file (magic {found:#010x}, not {magic:#010x})", remedy
        )
    dims = np.frombuffer(raw, ">i4", count=magic & 0xFF, offset=4)
    size = start + int(np.prod(dims, dtype=np.int64))
    if len(raw) != size:
        state = "truncated" if len(raw) < size else "garbled"
        raise damaged(
            path,
            f"is {state} ({len(raw) - start} bytes of {kind}, its header says {size - start})",
            remedy,
        )
    return np.frombuffer(raw, np.uint8, offset=start).reshape(dims).copy()


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
