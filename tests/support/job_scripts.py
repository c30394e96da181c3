"""A job script for the job server's tests (blth.jobserver) and how to start and watch it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from blth.jobserver import SOCKET_ENV

JOB = """\
from blth.jobserver import hand_over

hand_over()

import json, os, sys, time

mode = sys.argv[1]
if mode == "info":
    print(json.dumps({"ppid": os.getppid(), "cwd": os.getcwd(), "value": os.environ["JOB_VALUE"]}))
    sys.stderr.write("to stderr\\n")
elif mode == "exit":
    sys.exit(3)
elif mode == "raise":
    raise ValueError("boom")
elif mode == "sleep":
    open(sys.argv[2], "w").write(str(os.getpid()))
    time.sleep(60)
elif mode == "late":  # writes its output after a while
    open(sys.argv[2], "w").write(str(os.getpid()))
    time.sleep(3)
    open(sys.argv[3], "w").write("adopted")
elif mode == "writing":  # stopped in the middle of writing its output
    from blth.io.safefiles import replacing

    with replacing(sys.argv[3]) as f:
        f.write(b"half")
        open(sys.argv[2], "w").write(str(os.getpid()))
        time.sleep(60)
"""


def job(server, *args: str, socket_path: str | None = None, **kwargs) -> subprocess.Popen:
    path, _, script = server
    env = {**os.environ, SOCKET_ENV: socket_path or path, "JOB_VALUE": "from the job"}
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def gone(pid: int, within_s: float = 10) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.05)
    return False


def started(process: subprocess.Popen, marker: Path) -> int:
    """The pid of the job's child once it has started."""
    deadline = time.monotonic() + 60
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline and process.poll() is None, process.stderr
        time.sleep(0.05)
    return int(marker.read_text())


def ended(pid: int) -> bool:
    """Gone, or a zombie waiting for its new parent to reap it: either way it runs no code."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True
