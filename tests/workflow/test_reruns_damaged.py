"""A damaged artefact of the rerun tests' tiny study (the fixture ``finished``, shared with
test_reruns) is named with its remedy, and following the remedy restores the tables."""

from __future__ import annotations

import subprocess

import pandas as pd
import pyarrow.parquet as pq
import pytest
from reruns_study import CONFIG, SNAKEMAKE, plan
from workdir import env_for

DAMAGED = [  # an artefact of each kind of the finished study: the job that reads it names it
    "results/tiny/init/bnn/s0.safetensors",  # shared by every Bayesian chain and the transplant
    "results/tiny/runs/det/s0/imp/L1/main/mask.safetensors",
    "results/tiny/runs/det/s0/imp/L2/main/final.safetensors",
    "results/tiny/runs/det/s0/imp/L2/main/epochs.parquet",
    "results/tiny/evaluation/det/s0/imp/main/runs.parquet",
]


@pytest.mark.slow
@pytest.mark.parametrize("artefact", DAMAGED)
def test_a_damaged_artefact_is_named_and_its_remedy_restores_the_tables(finished, artefact):
    """Runs after the contract rows (it changes the study): a truncated artefact makes the next
    run fail naming it and the remedy; following the remedy (delete it, ``--forcerun`` it)
    recomputes it and everything downstream, and the tables come out as the clean run's."""
    work, _ = finished
    tables = work / "results/tiny/tables"

    def snakemake(*extra: str) -> subprocess.CompletedProcess:
        args = [*SNAKEMAKE, "--cores", "2", "--configfile", "study.yaml", *extra]
        return subprocess.run(args, cwd=work, env=env_for(work), capture_output=True, text=True)

    clean = snakemake()
    assert clean.returncode == 0, (clean.stdout + clean.stderr)[-3000:]
    before = {t: pq.read_table(tables / f"{t}.parquet").to_pandas() for t in ("runs", "layers")}
    path = work / artefact
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])  # newer: its readers rerun
    failed = snakemake()
    assert failed.returncode != 0
    logs = "".join(p.read_text() for p in (work / "results/tiny/logs").rglob("*.log"))
    said = failed.stdout + failed.stderr + logs
    assert artefact in said and f"--forcerun {artefact}" in said
    path.unlink()
    again = snakemake("--forcerun", artefact)
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert path.stat().st_size > 0
    assert plan(work, CONFIG) == set()
    timing = {"train_seconds", "ticket_search_seconds", "images_per_second", "device"}
    for name, frame in before.items():
        after = pq.read_table(tables / f"{name}.parquet").to_pandas()
        drop = sorted(timing & set(after.columns))
        pd.testing.assert_frame_equal(after.drop(columns=drop), frame.drop(columns=drop))
