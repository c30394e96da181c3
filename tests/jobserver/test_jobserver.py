"""The warm job server (blth.jobserver): a job handed over runs in a child of the server with the
job's directory, environment, streams and exit status; cancelling the job stops its child; without
a server the script runs in its own process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from job_scripts import gone, job
from workdir import copy_repo, env_for

from blth.jobserver import OFF, SOCKET_ENV
from blth.jobserver.launcher import Launcher
from blth.jobserver.protocol import Reader, send


def test_a_job_runs_in_the_server_with_its_own_directory_environment_and_streams(server, tmp_path):
    out, err = job(server, "info", cwd=tmp_path).communicate(timeout=60)
    info = json.loads(out)
    assert info == {"ppid": server[1], "cwd": str(tmp_path), "value": "from the job"}
    assert err == "to stderr\n"


@pytest.mark.parametrize(("mode", "code", "message"), [("exit", 3, ""), ("raise", 1, "boom")])
def test_the_jobs_exit_status_and_traceback_come_back(server, mode, code, message):
    process = job(server, mode)
    _, err = process.communicate(timeout=60)
    assert process.returncode == code
    assert message in err
    if message:
        assert "ValueError: boom" in err and "Traceback" in err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_cancelling_a_job_stops_its_child(server, tmp_path, signum):
    """SIGTERM is passed on; after SIGKILL (nothing to pass it on) the server sees the job's
    connection close and terminates the child."""
    marker = tmp_path / "pid"
    process = job(server, "sleep", str(marker))
    deadline = time.monotonic() + 60
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    child = int(marker.read_text())
    process.send_signal(signum)
    process.wait(timeout=30)
    assert gone(child)
    if signum == signal.SIGTERM:
        assert process.returncode == 128 + signal.SIGTERM


@pytest.mark.parametrize("where", ["/nonexistent/socket", OFF])
def test_without_a_server_the_script_runs_in_its_own_process(server, where):
    process = job(server, "info", socket_path=where)
    out, _ = process.communicate(timeout=60)
    assert json.loads(out)["ppid"] == os.getpid()


def test_a_job_of_another_python_is_refused(server):
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(server[0])
    request = {"script": "x.py", "argv": [], "cwd": "/", "env": {}, "python": "/other/python"}
    send(conn, request, fds=[0, 1, 2])
    assert "refused" in (Reader(conn).receive() or {})
    conn.close()


@pytest.mark.parametrize(
    ("local", "deployment", "env"),
    [(False, set(), None), (True, {"conda"}, None), (True, set(), OFF)],
)
def test_no_server_for_cluster_jobs_environments_or_when_switched_off(
    local, deployment, env, monkeypatch, tmp_path
):
    if env is None:
        monkeypatch.delenv(SOCKET_ENV, raising=False)
    else:
        monkeypatch.setenv(SOCKET_ENV, env)
    launcher = Launcher([])
    launcher.start(local=local, deployment=deployment, snakemake_logs=[])
    assert launcher.process is None
    assert os.environ.get(SOCKET_ENV) == env


TIMINGS = {"seconds", "images_per_second", "train_seconds", "ticket_search_seconds"}


def _study(work: Path, server: str | None) -> Path:
    env = env_for(work)
    if server == OFF:
        env[SOCKET_ENV] = OFF
    else:
        env.pop(SOCKET_ENV, None)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            "2",
            "--configfile",
            "tests/data/slurm.yaml",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return work / "results" / "slurm"


@pytest.mark.slow
def test_a_study_through_the_server_is_the_study_without_it(tmp_path):
    """Every weight and mask file byte for byte, every table but its timings: the server changes
    how jobs start, not what they compute."""
    warm = _study(copy_repo(tmp_path / "warm"), None)
    logs = sorted((tmp_path / "warm" / ".snakemake" / "log").glob("*.jobserver.log"))
    assert logs and "exit 0" in logs[-1].read_text()
    cold = _study(copy_repo(tmp_path / "cold"), OFF)
    assert not list((tmp_path / "cold" / ".snakemake" / "log").glob("*.jobserver.log"))
    weights = sorted(p.relative_to(warm) for p in warm.rglob("*.safetensors"))
    assert weights == sorted(p.relative_to(cold) for p in cold.rglob("*.safetensors"))
    assert len(weights) > 20
    for path in weights:
        assert (warm / path).read_bytes() == (cold / path).read_bytes(), path
    for table in sorted((warm / "tables").glob("*.parquet")):
        a, b = (pq.read_table(root / "tables" / table.name).to_pandas() for root in (warm, cold))
        keep = [c for c in a.columns if c not in TIMINGS]
        assert a[keep].equals(b[keep]), table.name
