"""Throwaway copies of the repository for tests that run Snakemake outside ``results/``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]  # tests/support/workdir.py
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


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


def snakemake(work: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """Snakemake with ``args`` in the copy ``work`` (its own ``src``), its output captured."""
    return subprocess.run(
        [*SNAKEMAKE, *args],
        cwd=work,
        env=env_for(work),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_study(work: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``snakemake --cores 2 ARGS`` in ``work``, which must succeed (the end of its stderr if
    not)."""
    out = snakemake(work, "--cores", "2", *args, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out
