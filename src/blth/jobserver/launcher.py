"""The workflow's side: start the server for a local run, announce it to the jobs, stop it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from blth.jobserver.protocol import OFF, SOCKET_ENV

STARTUP_S = 10  # for the server to bind its socket (before its slow imports)


class Launcher:
    """One server per Snakemake run, for the scripts in ``scripts``; ``start`` from ``onstart``,
    ``stop`` from ``onsuccess`` and ``onerror``."""

    def __init__(self, scripts: list[Path]) -> None:
        self.scripts = scripts
        self.process: subprocess.Popen[bytes] | None = None
        self.folder: str | None = None

    def start(self, local: bool, deployment: set[str], snakemake_logs: list[str]) -> None:
        """Start unless the jobs would not run here in this Python: jobs on a cluster
        (``local`` false), in a conda or container environment (``deployment``), or
        ``BLTH_JOB_SERVER=off``. Its log goes beside Snakemake's first log file."""
        if not local or deployment or os.environ.get(SOCKET_ENV) == OFF:
            return
        log = Path(snakemake_logs[0]).with_suffix(".jobserver.log") if snakemake_logs else None
        self.folder = tempfile.mkdtemp(prefix="blth-jobs-")  # short: a socket path has ≤ 107 bytes
        path = os.path.join(self.folder, "socket")
        with open(log or os.devnull, "ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "blth.jobserver",
                    path,
                    str(os.getpid()),
                    *map(str, self.scripts),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )
        deadline = time.monotonic() + STARTUP_S
        while not os.path.exists(path) and self.process.poll() is None:
            if time.monotonic() > deadline:
                return  # jobs run on their own; the log says why
            time.sleep(0.01)
        if self.process.poll() is None:
            os.environ[SOCKET_ENV] = path  # jobs inherit it; bound before the server's imports

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait()
            self.process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            os.environ.pop(SOCKET_ENV, None)
            self.folder = None
