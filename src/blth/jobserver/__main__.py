"""``python -m blth.jobserver SOCKET PARENT_PID SCRIPT...``: serve jobs (see launcher.py)."""

import logging
import os
import sys
from pathlib import Path

# Should anything here ask whether CUDA is available, ask NVML: the CUDA runtime, once
# initialised, cannot be used in a forked child, and every job's child initialises its own.
os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"

from blth.jobserver.server import serve  # noqa: E402 (after the variable torch reads)

logging.basicConfig(
    stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s: %(message)s"
)
serve(sys.argv[1], int(sys.argv[2]), [Path(arg) for arg in sys.argv[3:]])
