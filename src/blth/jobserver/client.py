"""The job's side: hand the running script to the warm server and wait for its status."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys

from blth.jobserver.protocol import OFF, SOCKET_ENV, Reader, send

# True in a child of the server, where the script runs for real: hand_over returns at once.
IN_SERVER = False
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def hand_over() -> None:
    """Run this script in the warm server if one is announced; never returns when it did.

    Returns (and the script runs here) when there is no server, it cannot be reached, or it
    refuses the job because it runs a different Python.
    """
    path = os.environ.get(SOCKET_ENV, OFF)
    if IN_SERVER or path == OFF:
        return
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
        send(conn, _request(), fds=[0, 1, 2])
        reader = Reader(conn)
        reply = reader.receive()
    except OSError:
        return
    if reply is None or "pid" not in reply:
        return  # refused: run here
    child = int(reply["pid"])
    for signum in FORWARDED:
        signal.signal(signum, lambda signum, _frame: _forward(child, signum))
    status = reader.receive()
    if status is None:
        sys.stderr.write(f"blth job server ({path}) stopped while running this job\n")
        sys.stderr.flush()
        os._exit(1)
    os._exit(int(status["status"]))


def _forward(child: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just finished: its status is coming
        os.kill(child, signum)


def _request() -> dict[str, object]:
    return {
        "script": os.path.abspath(sys.argv[0]),
        "argv": sys.argv,
        "cwd": os.getcwd(),
        "env": dict(os.environ),
        "python": os.path.realpath(sys.executable),
    }
