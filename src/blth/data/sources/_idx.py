"""IDX datasets of 28x28 grey images (Fashion-MNIST, MNIST): a local folder of the IDX files,
plain or gzipped, else torchvision's download; every file checked against its header and the
dataset's split sizes."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from blth.data.sources._download import downloading
from blth.io.safefiles import damaged

SPLITS = {"train": 60_000, "t10k": 10_000}  # images per split, each 28x28, labels 0..9
_IDX_MAGIC = {"images": 0x00000803, "labels": 0x00000801}  # unsigned bytes, 3 or 1 dimensions
_STEMS = {
    (split, kind): f"{split}-{kind}-idx{magic & 0xFF}-ubyte"
    for split in SPLITS
    for kind, magic in _IDX_MAGIC.items()
}


@dataclass(frozen=True)
class IdxDataset:
    """A dataset of 28x28 IDX files (Fashion-MNIST, MNIST): torchvision's class downloads it
    into ``root / folder / "raw"`` when ``root`` holds no IDX files of its own."""

    title: str  # as messages name it
    folder: str  # torchvision's folder, also its class name
    local_copy: str  # how to get a good local copy, for the messages


def read(dataset: IdxDataset, root: Path) -> tuple[np.ndarray, ...]:
    """``dataset``'s IDX files in ``root``, else torchvision's copy under it: images
    [N, 1, 28, 28] uint8 and labels 0..9 of the train and t10k splits."""
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
    (xtr, ytr), (xte, yte) = (_idx_split(files, split, dataset.title, remedy) for split in SPLITS)
    return xtr, ytr, xte, yte


def _torchvision_idx(dataset: IdxDataset, root: Path) -> Path:
    """The raw IDX folder of torchvision's copy under ``root``, downloaded if incomplete."""
    from torchvision import datasets

    folder = root / dataset.folder / "raw"
    if len(_idx_files(folder)) < len(_STEMS):
        downloading(
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
    n = SPLITS[split]
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
    other = [s for s, n in SPLITS.items() if n == count and s != split]
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
