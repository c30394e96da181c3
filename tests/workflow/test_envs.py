"""The rules' conda environment (workflow/envs/blth.yaml) pins what requirements.txt pins, and
its post-deploy script installs blth from the workflow's own checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ENV = REPO / "workflow" / "envs" / "blth.yaml"
POST_DEPLOY = ENV.with_suffix(".post-deploy.sh")  # Snakemake's name: <env>.post-deploy.sh


def _requirements() -> list[str]:
    lines = (REPO / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_env_pins_equal_requirements_txt():
    env = yaml.safe_load(ENV.read_text())
    assert env["channels"] == ["conda-forge", "nodefaults"]
    *conda, pip = env["dependencies"]
    assert conda == ["python=3.11", "pip"]
    assert list(pip) == ["pip"]
    assert pip["pip"] == _requirements()  # same packages, same versions, same order
    # Snakemake copies the file into .snakemake/conda/: nothing in it may name another file
    assert not [p for p in pip["pip"] if p.startswith("-") or "/" in p or "==" not in p]


def test_post_deploy_script_sits_next_to_the_env_and_is_bash():
    assert POST_DEPLOY.name == "blth.post-deploy.sh"
    first = POST_DEPLOY.read_text().splitlines()[0]
    assert first == "#!/usr/bin/env bash"  # Snakemake runs it with the shebang's interpreter
    assert os.access(POST_DEPLOY, os.X_OK)


def _fake_env(tmp_path: Path) -> tuple[Path, Path]:
    """A stand-in for the new environment whose ``bin/python`` records its arguments."""
    prefix, calls = tmp_path / "env", tmp_path / "calls.txt"
    (prefix / "bin").mkdir(parents=True)
    python = prefix / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "$@" >> "{calls}"\n')
    python.chmod(0o755)
    return prefix, calls


def _post_deploy(prefix: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    copy = prefix.parent / "0123abcd.post-deploy.sh"  # Snakemake runs a copy, not the original
    shutil.copy(POST_DEPLOY, copy)
    environ = {k: v for k, v in os.environ.items() if k != "BLTH_SOURCE"}
    environ |= {"CONDA_PREFIX": str(prefix), **env}
    return subprocess.run(
        [bash, str(copy)], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
    )


def test_post_deploy_installs_blth_from_the_checkout(tmp_path):
    prefix, calls = _fake_env(tmp_path)
    done = _post_deploy(prefix, cwd=REPO)  # snakemake run from the checkout
    assert done.returncode == 0, done.stderr
    install, check = calls.read_text().splitlines()
    assert install == f"-m pip install --no-deps --no-input --quiet -e {REPO}"
    assert "import blth" in check


def test_post_deploy_takes_blth_source_from_anywhere(tmp_path):
    prefix, calls = _fake_env(tmp_path)
    done = _post_deploy(prefix, cwd=tmp_path, BLTH_SOURCE=str(REPO))  # e.g. --directory elsewhere
    assert done.returncode == 0, done.stderr
    assert calls.read_text().splitlines()[0].endswith(f"-e {REPO}")


def test_post_deploy_refuses_a_directory_that_is_not_blth(tmp_path):
    prefix, calls = _fake_env(tmp_path)
    done = _post_deploy(prefix, cwd=tmp_path)
    assert done.returncode == 1 and "is not a blth checkout" in done.stderr
    assert "BLTH_SOURCE" in done.stderr and not calls.exists()
