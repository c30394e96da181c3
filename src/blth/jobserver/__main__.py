"""``python -m blth.jobserver SOCKET PARENT_PID SCRIPT...``: serve jobs (see launcher.py)."""

import logging
import sys
from pathlib import Path

from blth.jobserver.server import serve

logging.basicConfig(
    stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s"
)
serve(sys.argv[1], int(sys.argv[2]), [Path(arg) for arg in sys.argv[3:]])
