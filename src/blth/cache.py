"""blth's per-user cache folder, for things that are costly to build and the same every time."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def folder() -> Path:
    """$BLTH_CACHE_DIR, else $XDG_CACHE_HOME/blth (~/.cache/blth)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "blth"
    return Path(os.environ.get("BLTH_CACHE_DIR", default))


def write_atomically(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` so that a parallel job reads either nothing or all of it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp") as f:
        f.write(text)
    os.replace(f.name, target)
