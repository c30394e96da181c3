"""Logging for workflow jobs: everything to stderr, which each script has pointed at its log."""

from __future__ import annotations

import logging
import sys


def setup(level: int = logging.INFO) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=level,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
