"""The server: import what jobs use once, then fork one child per job.

A fork copies only the calling thread, so the server's Python code runs in one thread: one loop
accepts jobs, notices a job process that went away (its child is terminated) and reaps finished
children. No job outlives the server: a child gets SIGTERM when the server dies (Linux's parent
death signal), and the server terminates its jobs when the Snakemake run that started it is
gone (killed: nobody would collect their outputs). The native threads its imports start
(OpenBLAS's pool, pyarrow's jemalloc background thread) are reset in a child by their
libraries' fork handlers. CUDA is never touched here: a child initialises it on its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import logging
import os
import random
import runpy
import selectors
import signal
import socket
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blth.jobserver import client
from blth.jobserver.protocol import Reader, send

log = logging.getLogger("blth.jobserver")
POLL_S = 0.02  # how often finished children are reaped: the latency a job's end can add
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies
# imported on first use inside torch (the optimiser's first step imports the compiler stack)
LAZY_THIRD_PARTY = ("torch._dynamo", "pyarrow.parquet", "snakemake.script")


@dataclass
class Job:
    conn: socket.socket
    pid: int


def preload(scripts: list[Path]) -> int:
    """Import every package module the scripts can reach (their code fingerprint's files) and
    the third-party modules torch loads lazily; returns how many modules are loaded."""
    from blth.config import fingerprint

    package = fingerprint.PACKAGE_DIR
    for script in scripts:
        for path in fingerprint.files(script):
            if path.suffix == ".py" and path.is_relative_to(package):
                parts = path.relative_to(package).with_suffix("").parts
                parts = parts[:-1] if parts[-1] == "__init__" else parts
                importlib.import_module(".".join((fingerprint.PACKAGE, *parts)))
    for name in LAZY_THIRD_PARTY:
        importlib.import_module(name)
    return len(sys.modules)


def serve(path: str, parent: int, scripts: list[Path]) -> None:
    """Serve jobs on socket ``path`` until SIGTERM or until process ``parent`` (the Snakemake
    run) is gone; then terminate the jobs still running, wait for them and remove the socket
    with its folder."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)  # bound before the imports: jobs that come early wait in the backlog
    start = time.perf_counter()
    modules = preload(scripts)
    log.info(
        "ready in %.1f s, %d modules loaded (pid %d)",
        time.perf_counter() - start,
        modules,
        os.getpid(),
    )
    torch_rng = _torch_rng_state()
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the jobs; Snakemake stops us
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    jobs: dict[int, Job] = {}
    while not stopping and os.getppid() == parent:
        for key, _ in selector.select(POLL_S):
            if key.fileobj is listener:
                job = _start(listener, selector, torch_rng)
                if job is not None:
                    jobs[job.pid] = job
            elif key.data is not None and _gone(key.fileobj):
                selector.unregister(key.fileobj)
                _terminate(key.data)
        _reap(jobs, selector)
    for pid in jobs:
        client.stop_process(pid)
    _reap(jobs, selector)
    listener.close()
    with contextlib.suppress(OSError):
        os.unlink(path)
        os.rmdir(os.path.dirname(path))  # the launcher's folder, left behind if it was killed


def _start(listener: socket.socket, selector: selectors.BaseSelector, torch_rng: Any) -> Job | None:
    conn, _ = listener.accept()
    reader = Reader(conn)
    request = reader.receive(with_fds=True)
    refusal = None
    if request is None or len(reader.fds) != 3:
        refusal = "a request is a JSON line with three file descriptors"
    elif request["python"] != os.path.realpath(sys.executable):
        refusal = f"server runs {sys.executable}"
    if refusal is not None:
        for fd in reader.fds:
            os.close(fd)
        with contextlib.suppress(OSError):
            send(conn, {"refused": refusal})
        conn.close()
        return None
    assert request is not None
    server = os.getpid()
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the server's handler, even briefly
        _die_with(server)
        listener.close()
        conn.close()
        _run_child(request, reader.fds, torch_rng)
    for fd in reader.fds:
        os.close(fd)
    send(conn, {"pid": pid})
    selector.register(conn, selectors.EVENT_READ, data=pid)
    log.info("job %d: %s", pid, Path(request["script"]).name)
    return Job(conn, pid)


def _run_child(request: dict[str, Any], fds: list[int], torch_rng: Any) -> None:
    """In the forked child: become the job (streams, cwd, environment, fresh random state) and
    run its script; never returns."""
    code = 1
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        client.exit_on_sigterm()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        logging.getLogger().handlers.clear()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = list(request["argv"])
        random.seed()
        _reset_torch_rng(torch_rng)
        client.IN_SERVER = True
        runpy.run_path(request["script"], run_name="__main__")
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:  # noqa: BLE001 (the job's failure, reported as its own would be)
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(code)


def _die_with(server: int) -> None:
    """In the forked child: get SIGTERM when the server dies (at once if it already has)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0 or os.getppid() != server:
        os._exit(128 + signal.SIGTERM)


def _gone(conn: Any) -> bool:
    """True when the job's process closed its side (it died or was killed)."""
    return not conn.recv(1)


def _terminate(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def _reap(jobs: dict[int, Job], selector: selectors.BaseSelector) -> None:
    while jobs:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        job = jobs.pop(pid, None)
        if job is None:
            continue
        code = os.waitstatus_to_exitcode(status)
        log.info("job %d: exit %d", pid, code)
        with contextlib.suppress(KeyError):  # already gone if its job process went away
            selector.unregister(job.conn)
        with contextlib.suppress(OSError):
            send(job.conn, {"status": code if code >= 0 else 128 - code})
        job.conn.close()


def _torch_rng_state() -> Any:
    import torch

    return torch.random.get_rng_state()


def _reset_torch_rng(state: Any) -> None:
    """The global torch generator as a fresh process has it; numpy's draws from the OS anew."""
    import numpy as np
    import torch

    torch.random.set_rng_state(state)
    np.random.seed()
