"""Corrupted test sets read from files, in the layout of CIFAR-10-C (Hendrycks & Dietterich,
2019): a folder of ``<corruption>.npy``, each uint8 [5·N, H, W, C] (or [5·N, H, W] for one
channel): the test set's N images in order under severity 1, then 2, ... 5. ``labels.npy``, if
there, holds the labels of those 5·N images, and must be the test labels repeated 5 times.

Torch-free: the workflow lists the files and checks the names when it builds the DAG.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blth.shift import SEVERITIES

LABELS = "labels"  # labels.npy: the labels of every image of the folder's files


def path(folder: str | Path, name: str) -> Path:
    """The file of corruption ``name`` (``fog``) in ``folder``."""
    return Path(folder) / f"{name}.npy"


def missing(folder: str | Path, names: list[str]) -> list[str]:
    """The corruptions of ``names`` that ``folder`` has no file for."""
    return [name for name in names if not path(folder, name).is_file()]


def _array(file: str | Path) -> np.ndarray:
    """``file`` memory-mapped (only the severities asked for are read from disk)."""
    try:
        return np.load(file, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        raise ValueError(f"{file}: not a readable .npy file ({err}); copy it again") from err


def read(file: str | Path, severity: int, test_shape: tuple[int, ...]) -> np.ndarray:
    """The ``severity`` (1–5) images of corruption file ``file`` as uint8 [N, C, H, W], for a
    test set of ``test_shape`` [N, C, H, W]."""
    if severity not in SEVERITIES:
        raise ValueError(f"corruption severity {severity} is not one of {SEVERITIES}")
    n, channels, height, width = test_shape
    images = _array(file)
    expected = (len(SEVERITIES) * n, height, width, channels)
    found = (*images.shape, 1) if images.ndim == 3 else images.shape  # [5N, H, W]: one channel
    if images.dtype != np.uint8 or found != expected:
        raise ValueError(
            f"{file}: {images.dtype} images of shape {list(images.shape)}; expected uint8 "
            f"{list(expected)}: severities 1-5 of the test set's {n} images, stacked in order"
        )
    block = np.asarray(images[(severity - 1) * n : severity * n]).reshape(n, height, width, -1)
    return np.array(block.transpose(0, 3, 1, 2), order="C")  # a copy: off the memory map


def check_labels(file: str | Path, test_labels: np.ndarray) -> None:
    """Refuse a folder whose ``labels.npy`` is not the test labels, severity by severity."""
    labels = np.asarray(_array(file)).reshape(-1)
    repeated = np.tile(np.asarray(test_labels).reshape(-1), len(SEVERITIES))
    if labels.shape != repeated.shape or not np.array_equal(labels, repeated):
        raise ValueError(
            f"{file}: {labels.size} labels that are not the test set's {len(test_labels)} "
            f"labels repeated {len(SEVERITIES)} times: the folder's images are of another test "
            "set (or another order)"
        )
