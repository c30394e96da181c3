"""Downloads by torchvision that leave nothing behind when they fail."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from blth.data.sources import DownloadFailed

T = TypeVar("T")


def downloading(
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
