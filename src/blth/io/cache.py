"""blth's per-user cache folder, for things that are costly to build and the same every time."""

from __future__ import annotations

import os
from pathlib import Path


def folder() -> Path:
    """$BLTH_CACHE_DIR, else $XDG_CACHE_HOME/blth (~/.cache/blth)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "blth"
    return Path(os.environ.get("BLTH_CACHE_DIR", default))
