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
from workdir import copy_repo, env_for

from blth.jobserver import OFF, SOCKET_ENV
from blth.jobserver.launcher import Launcher
from blth.jobserver.protocol import Reader, send

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
    from blth.safefiles import replacing

    with replacing(sys.argv[3]) as f:
        f.write(b"half")
        open(sys.argv[2], "w").write(str(os.getpid()))
        time.sleep(60)
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(socket path, server pid) of a server started the way the workflow starts it."""
    folder = tmp_path_factory.mktemp("jobserver")
    script = folder / "job.py"
    script.write_text(JOB)
    launcher = Launcher([script])
    launcher.start(local=True, deployment=set(), snakemake_logs=[str(folder / "run.log")])
    assert launcher.process is not None
    path = os.environ.pop(SOCKET_ENV)  # each test passes it on explicitly
    yield path, launcher.process.pid, script
    launcher.stop()
    assert "ready in" in (folder / "run.jobserver.log").read_text()


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


def _started(process: subprocess.Popen, marker: Path) -> int:
    """The pid of the job's child once it has started."""
    deadline = time.monotonic() + 60
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline and process.poll() is None, process.stderr
        time.sleep(0.05)
    return int(marker.read_text())


def _ended(pid: int) -> bool:
    """Gone, or a zombie waiting for its new parent to reap it: either way it runs no code."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_a_job_whose_server_dies_ends_before_its_failure_is_reported(tmp_path):
    """kill -9 of the server: the child gets SIGTERM from the kernel, and the job process waits
    for it to end before it fails, so no output appears after Snakemake has seen the failure."""
    script = tmp_path / "job.py"
    script.write_text(JOB)
    launcher = Launcher([script])
    launcher.start(local=True, deployment=set(), snakemake_logs=[])
    assert launcher.process is not None
    path = os.environ.pop(SOCKET_ENV)
    try:
        marker, output = tmp_path / "pid", tmp_path / "output"
        process = job((path, 0, script), "late", str(marker), str(output))
        child = _started(process, marker)
        launcher.process.kill()
        _, err = process.communicate(timeout=60)
        assert _ended(child)
        assert process.returncode == 1 and "stopped while running this job" in err
        time.sleep(4)  # past the moment the job would have written its output
        assert not output.exists()
    finally:
        launcher.stop()


def test_a_job_ends_when_the_snakemake_run_that_started_its_server_dies(tmp_path):
    """The server's parent is killed (kill -9 of Snakemake): the server stops its jobs, reports
    them terminated, and removes its socket's folder."""
    script = tmp_path / "job.py"
    script.write_text(JOB)
    run = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys, time; from pathlib import Path; "
            "from blth.jobserver.launcher import Launcher; "
            "l = Launcher([Path(sys.argv[1])]); l.start(True, set(), []); "
            "print(os.environ[sys.argv[2]], l.process.pid, flush=True); time.sleep(600)",
            str(script),
            SOCKET_ENV,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert run.stdout is not None
    path, server_pid = run.stdout.readline().split()
    marker = tmp_path / "pid"
    process = job((path, 0, script), "sleep", str(marker))
    child = _started(process, marker)
    run.kill()
    run.wait()
    process.wait(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert _ended(child) and gone(int(server_pid))
    assert not Path(path).parent.exists()


@pytest.mark.parametrize("where", ["server", OFF])
def test_a_cancelled_job_leaves_no_half_written_file(server, tmp_path, where):
    marker, output = tmp_path / "pid", tmp_path / "output"
    process = job(
        server, "writing", str(marker), str(output), socket_path=OFF if where == OFF else None
    )
    child = _started(process, marker)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    assert process.returncode == 128 + signal.SIGTERM
    assert gone(child)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pid"]
