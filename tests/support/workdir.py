"""Throwaway copies of the repository for tests that run Snakemake outside ``results/``."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # tests/support/workdir.py


def copy_repo(dest: Path) -> Path:
    """The tracked and untracked-but-not-ignored files of the repository, copied to ``dest``."""
    try:
        listing = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            check=True,
            capture_output=True,
        ).stdout.decode()
        files = [f for f in listing.split("\0") if f and (REPO / f).is_file()]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        files = [
            str(p.relative_to(REPO))
            for top in ("workflow", "scripts", "config", "src", "tests/data")
            for p in (REPO / top).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        ]
    for f in files:
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / f, dest / f)
    return dest


def env_for(workdir: Path) -> dict[str, str]:
    """The copy's own ``src`` first on the path, also inside the SLURM jobs (--export=ALL)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(workdir / "src"), env.get("PYTHONPATH")) if p
    )
    env.pop("SLURM_JOB_ID", None)  # a CI job that itself runs under SLURM
    return env
