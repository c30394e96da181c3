"""The tiny whole study of the rerun tests, run once for test_reruns and test_reruns_damaged."""

from __future__ import annotations

import pytest
import yaml
from reruns_study import CONFIG, plan
from workdir import copy_repo, run_study


@pytest.fixture(scope="session")
def finished(tmp_path_factory):
    """A copy of the repository with the tiny study run to the end, and all its jobs. One run for
    the session: test_reruns' contract rows use it first (they restore every change), then
    test_reruns_damaged changes its results."""
    work = copy_repo(tmp_path_factory.mktemp("reruns"))
    (work / "study.yaml").write_text(yaml.safe_dump(CONFIG))
    run_study(work, "--configfile", "study.yaml", timeout=1200)
    assert plan(work, CONFIG) == set(), "a finished study plans no job"
    return work, plan(work, CONFIG, "--forceall")
