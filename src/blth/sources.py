"""Dataset sources: each reads (or downloads) one dataset as uint8 numpy arrays.

A source maps ``root`` (and options) to (train_x [N, C, H, W], train_y, test_x, test_y);
:data:`SOURCES` pairs it with whether training augments it (random crop + flip).
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from blth.safefiles import damaged

if TYPE_CHECKING:  # torchvision is imported by the sources that need it, when they run
    from torchvision.datasets import CIFAR10

T = TypeVar("T")


class DownloadFailed(RuntimeError):
    """torchvision could not download a dataset; what it had started is removed."""


def cifar10(root: Path, **_: object) -> tuple[np.ndarray, ...]:
    """torchvision's CIFAR-10: its extracted folder, else its archive, else a download."""
    from torchvision.datasets import CIFAR10

    _check_cifar10(root, CIFAR10)
    splits = _downloading(
        "CIFAR-10",
        root,
        [CIFAR10.base_folder, CIFAR10.filename],
        f"Check the network, or put {CIFAR10.filename} or its extracted {CIFAR10.base_folder}/ "
        "into data_root.",
        lambda: [CIFAR10(str(root), train=t, download=True) for t in (True, False)],
    )
    return tuple(a for s in splits for a in (s.data.transpose(0, 3, 1, 2), np.asarray(s.targets)))


def _check_cifar10(root: Path, cls: type[CIFAR10]) -> None:
    """Name a local file that fails torchvision's md5 check (torchvision says only 'corrupted')."""
    from torchvision.datasets.utils import check_integrity

    folder, archive = root / cls.base_folder, root / cls.filename
    files = [*cls.train_list, *cls.test_list, (cls.meta["filename"], cls.meta["md5"])]
    present = [(folder / name, md5) for name, md5 in files if (folder / name).is_file()]
    for path, md5 in present:
        if not check_integrity(path, md5):
            remedy = f"Delete {folder} and rerun: torchvision extracts it again from {archive}"
            raise damaged(path, "fails its md5 check", f"{remedy} or downloads it.")
    extracting = len(present) < len(files) and archive.is_file()  # torchvision would extract it
    if extracting and not check_integrity(archive, cls.tgz_md5):
        raise damaged(archive, "fails its md5 check", "Delete it and rerun to download it again.")


def _downloading(
    what: str, root: Path, names: Sequence[str], advice: str, fetch: Callable[[], T]
) -> T:
    """``fetch()``; if it fails, remove ``root`` and its entries ``names`` where it created them."""
    created = [p for p in (root / n for n in names) if not p.exists()]
    root_created = not root.exists()
    try:
        return fetch()
    except BaseException as e:
        for path in created:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        if root_created:
            with contextlib.suppress(OSError):  # only when empty: other datasets may share it
                root.rmdir()
        if not isinstance(e, Exception):
            raise
        cause = " ".join(str(e).split())  # torchvision's mirror reports span lines
        raise DownloadFailed(
            f"could not download {what} into {root / names[0]} (data_root is {root}): "
            f"{type(e).__name__}: {cause}. {advice}"
        ) from e


FASHION_MNIST = {"train": 60_000, "t10k": 10_000}  # images per split, each 28x28, labels 0..9
_IDX_MAGIC = {"images": 0x00000803, "labels": 0x00000801}  # unsigned bytes, 3 or 1 dimensions
_STEMS = {
    (split, kind): f"{split}-{kind}-idx{magic & 0xFF}-ubyte"
    for split in FASHION_MNIST
    for kind, magic in _IDX_MAGIC.items()
}
_DEBIAN = "/usr/share/datasets/fashion-mnist"  # apt-get install dataset-fashion-mnist


@dataclass(frozen=True)
class IdxDataset:
    """A dataset of 28x28 IDX files (Fashion-MNIST, MNIST): torchvision's class downloads it
    into ``root / folder / "raw"`` when ``root`` holds no IDX files of its own."""

    title: str  # as messages name it
    folder: str  # torchvision's folder, also its class name
    local_copy: str  # how to get a good local copy, for the messages


FASHION = IdxDataset(
    "Fashion-MNIST",
    "FashionMNIST",
    f"apt-get install --reinstall dataset-fashion-mnist for {_DEBIAN}",
)
MNIST = IdxDataset("MNIST", "MNIST", "a copy of the four IDX files of yann.lecun.com/exdb/mnist")


def fashion_mnist(root: Path, **_: object) -> tuple[np.ndarray, ...]:
    """An IDX folder (plain or .gz, e.g. Debian's dataset-fashion-mnist), else torchvision's."""
    return _idx_dataset(FASHION, root)


def mnist(root: Path, **_: object) -> tuple[np.ndarray, ...]:
    """An IDX folder of MNIST (plain or .gz), else torchvision's; the out-of-distribution set
    of a Fashion-MNIST study (evaluation.shift.ood)."""
    return _idx_dataset(MNIST, root)


def _idx_dataset(dataset: IdxDataset, root: Path) -> tuple[np.ndarray, ...]:
    if _idx_files(root):
        folder = root
        remedy = (
            f"Get a good copy ({dataset.local_copy}), "
            f"or remove the IDX files from {root} to let torchvision download {dataset.title}."
        )
    else:
        folder = _torchvision_idx(dataset, root)
        remedy = f"Delete {folder.parent} and rerun: torchvision downloads it again."
    files = _idx_files(folder)
    missing = [stem for key, stem in _STEMS.items() if key not in files]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(missing)} (plain or .gz). {remedy}")
    (xtr, ytr), (xte, yte) = (
        _idx_split(files, split, dataset.title, remedy) for split in FASHION_MNIST
    )
    return xtr, ytr, xte, yte


def _torchvision_idx(dataset: IdxDataset, root: Path) -> Path:
    """The raw IDX folder of torchvision's copy under ``root``, downloaded if incomplete."""
    from torchvision import datasets

    folder = root / dataset.folder / "raw"
    if len(_idx_files(folder)) < len(_STEMS):
        _downloading(
            dataset.title,
            root,
            [dataset.folder],
            f"Check the network, or set data_root to a folder of the IDX files "
            f"({dataset.local_copy}).",
            lambda: getattr(datasets, dataset.folder)(str(root), download=True),
        )
    return folder


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
    files: dict[tuple[str, str], Path], split: str, title: str, remedy: str
) -> tuple[np.ndarray, np.ndarray]:
    """One split's images [N, 1, 28, 28] and labels, checked against the dataset's (``title``;
    Fashion-MNIST and MNIST have the same split sizes)."""
    x_path, y_path = files[split, "images"], files[split, "labels"]
    x, y = _read_idx(x_path, "images", remedy), _read_idx(y_path, "labels", remedy)
    n = FASHION_MNIST[split]
    if x.shape != (n, 28, 28):
        shape = "x".join(map(str, x.shape[1:]))
        problem = f"holds {len(x)} images of {shape}; {title}'s {split} split has {n} of 28x28"
        raise damaged(x_path, problem + _swap_hint(split, len(x)), remedy)
    if len(y) != n:
        problem = f"holds {len(y)} labels; {title}'s {split} split has {n}"
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


def digits(root: Path, test_fraction: float = 0.2, **_: object) -> tuple[np.ndarray, ...]:
    """scikit-learn's 8x8 digits (bundled, no download) as [N, 1, 8, 8] images scaled to
    0..255; a stratified split with ``test_fraction`` of the images in the test set."""
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
    **_: object,
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
    "mnist": (mnist, False),
    "digits": (digits, False),
    "synthetic": (synthetic, True),
}
