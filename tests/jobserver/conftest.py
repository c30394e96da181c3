"""The job server the tests hand jobs to, started the way the workflow starts it."""

from __future__ import annotations

import os

import pytest
from job_scripts import JOB

from blth.jobserver import SOCKET_ENV
from blth.jobserver.launcher import Launcher


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
