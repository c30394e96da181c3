"""The tiny whole study of the rerun tests (tests/data/reruns.yaml; test_reruns and
test_reruns_damaged share one run of it, the fixture ``finished`` of tests/workflow/conftest.py):
its config, the jobs a dry run plans, and a copy's code restored after a row's change."""

from __future__ import annotations

import contextlib
import re
import subprocess
from pathlib import Path

import yaml
from workdir import REPO, SNAKEMAKE, env_for

CONFIG = yaml.safe_load((REPO / "tests/data/reruns.yaml").read_text())
Job = tuple[str, dict]  # (rule, wildcards without the experiment)


def plan(work: Path, config: dict, *args: str) -> set[str]:
    """The jobs a dry run of ``config`` in ``work`` would run, as ``rule[key=value,...]``."""
    path = work / "row.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    out = subprocess.run(
        [*SNAKEMAKE, "-n", "--configfile", str(path), *args],
        cwd=work,
        env=env_for(work),
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    jobs = set()
    for rule, body in re.findall(r"^(?:local)?rule (\w+):\n((?:[ \t]+.*\n?)*)", out.stdout, re.M):
        found = re.search(r"^\s+wildcards: (.*)$", body, re.M)
        pairs = dict(p.split("=", 1) for p in found.group(1).split(", ")) if found else {}
        pairs.pop("experiment", None)
        jobs.add(f"{rule}[{','.join(f'{k}={v}' for k, v in sorted(pairs.items()))}]")
    return jobs


def parse(job: str) -> Job:
    rule, _, rest = job.partition("[")
    return rule, dict(p.split("=", 1) for p in rest.rstrip("]").split(",") if p)


@contextlib.contextmanager
def restored(work: Path):
    """Every text file of the copy outside results/ as it was before the block."""
    tops = ("src", "scripts", "workflow")
    files = [p for top in tops for p in (work / top).rglob("*") if p.is_file()]
    saved = {p: p.read_bytes() for p in files}
    try:
        yield
    finally:
        for path, content in saved.items():
            if path.read_bytes() != content:
                path.write_bytes(content)
