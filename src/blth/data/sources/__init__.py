"""Dataset sources: one module per dataset, found by name and imported only when used.

Each public module ``blth.data.sources.<name>`` is the dataset ``<name>``: it defines
``read(root, **options)`` -> (train_x, train_y, test_x, test_y), uint8 [N, C, H, W] images and
integer [N] labels 0..K-1 read (or downloaded) from folder ``root``, its options typed keywords
with defaults, ``AUGMENT``: whether training augments it (random crop + flip), and ``SHAPE``:
its images' (C, H, W), which the config check compares before any job, and ``TEST_SIZE``: (test
images, classes), or a function ``test_size(**options)`` that gives them where options change
them, for the config's check of the predictives' memory.

Nothing here imports them by an import statement: a job's code fingerprint (blth.config.fingerprint)
follows those, so adding a source changes no job's code, and the ``prepare_data`` rule adds the
fingerprint of its own dataset's module (:func:`module`) alone.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    import numpy as np


class DownloadFailed(RuntimeError):
    """torchvision could not download a dataset; what it had started is removed."""


class Source(Protocol):
    """A source module, as :func:`get` returns it."""

    AUGMENT: bool
    SHAPE: tuple[int, int, int]
    TEST_SIZE: tuple[int, int]

    def read(self, root: Path, /, **options: Any) -> tuple[np.ndarray, ...]: ...


def names() -> list[str]:
    """The datasets, sorted: this package's modules whose names do not start with ``_``."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def module(name: str) -> str:
    """The dotted name of dataset ``name``'s module (``blth.data.sources.cifar10``)."""
    known = names()
    if name not in known:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(known)}")
    return f"{__name__}.{name}"


def image_shape(name: str, options: dict[str, Any] | None = None) -> tuple[int, ...]:
    """(C, H, W) of dataset ``name``'s images with its ``options`` (only ``synthetic`` takes a
    ``shape`` option)."""
    return tuple((options or {}).get("shape", get(name).SHAPE))


def test_size(name: str, options: dict[str, Any] | None = None) -> tuple[int, int]:
    """(test images, classes) of dataset ``name`` with its ``options``, without reading it."""
    source = get(name)
    given = getattr(source, "test_size", None)
    return given(**(options or {})) if given else source.TEST_SIZE


def get(name: str) -> Source:
    """The source module of dataset ``name``, imported now."""
    return cast(Source, importlib.import_module(module(name)))
