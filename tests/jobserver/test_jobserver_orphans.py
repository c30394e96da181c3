"""No orphaned jobs (blth.jobserver): a job whose server dies ends before its failure is
reported, the server stops its jobs when the Snakemake run that started it dies, and a cancelled
job leaves no half-written file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from job_scripts import JOB, ended, gone, job, started

from blth.jobserver import OFF, SOCKET_ENV
from blth.jobserver.launcher import Launcher


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
        child = started(process, marker)
        launcher.process.kill()
        _, err = process.communicate(timeout=60)
        assert ended(child)
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
    child = started(process, marker)
    run.kill()
    run.wait()
    process.wait(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    assert ended(child) and gone(int(server_pid))
    assert not Path(path).parent.exists()


@pytest.mark.parametrize("where", ["server", OFF])
def test_a_cancelled_job_leaves_no_half_written_file(server, tmp_path, where):
    marker, output = tmp_path / "pid", tmp_path / "output"
    process = job(
        server, "writing", str(marker), str(output), socket_path=OFF if where == OFF else None
    )
    child = started(process, marker)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    assert process.returncode == 128 + signal.SIGTERM
    assert gone(child)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pid"]
