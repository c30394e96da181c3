"""The job's side: hand the running script to the warm server and wait for its status."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import sys

from blth.jobserver.protocol import OFF, SOCKET_ENV, Reader, send

# True in a child of the server, where the script runs for real: hand_over returns at once.
IN_SERVER = False
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
STOP_GRACE_S = 30  # for a job told to stop to clean up before it is killed


def hand_over() -> None:
    """Run this script in the warm server if one is announced; never returns when it did.

    Returns (and the script runs here) when there is no server, it cannot be reached, or it
    refuses the job because it runs a different Python.
    """
    path = os.environ.get(SOCKET_ENV, OFF)
    if IN_SERVER:
        return
    exit_on_sigterm()  # the script may run here
    if path == OFF:
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
    if status is None:  # the server died: its child, told so by the kernel, must end first
        stop_process(child)
        sys.stderr.write(f"blth job server ({path}) stopped while running this job\n")
        sys.stderr.flush()
        os._exit(1)
    os._exit(int(status["status"]))


def exit_on_sigterm() -> None:
    """SIGTERM (Snakemake cancelling the job, the server dying) ends the script through
    SystemExit, so that files being written are removed rather than left half-written."""

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def stop_process(pid: int) -> None:
    """SIGTERM ``pid`` and return once it has ended (SIGKILL after :data:`STOP_GRACE_S`): a
    job's outputs must not appear after its failure is reported."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        for signum in (signal.SIGTERM, signal.SIGKILL):
            signal.pidfd_send_signal(fd, signum)
            if select.select([fd], [], [], STOP_GRACE_S)[0]:
                return  # readable: it has ended (a zombie until its parent reaps it)
    except ProcessLookupError:
        return
    finally:
        os.close(fd)


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
