"""Ensembles of tickets across seeds in the workflow (evaluation.ensembles, rule ensemble): a
tiny two-seed study runs without them; turning them on plans the ensemble jobs and the
aggregation only, no training and no evaluation; the ensembles table then holds every arm ×
chain × level, equal to an independent computation from the stored predictions, and the
ensembles_ood table their detection of stored out-of-distribution predictions."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from workdir import SNAKEMAKE, copy_repo, env_for

from blth.io import predictions

ROOT = Path(__file__).resolve().parents[2]
TABLES = "results/tiny/tables/runs.parquet"


def snakemake(work: Path, config: dict, *args: str) -> str:
    (work / "tiny.yaml").write_text(yaml.safe_dump(config))
    out = subprocess.run(
        [*SNAKEMAKE, "--cores", "2", "--configfile", "tiny.yaml", *args, "--", TABLES],
        cwd=work,
        env=env_for(work),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
    return out.stdout


@pytest.mark.slow
def test_turning_ensembles_on_reruns_no_training_and_fills_the_table(tmp_path):
    work = copy_repo(tmp_path)
    config = yaml.safe_load((ROOT / "tests/data/reruns.yaml").read_text())
    tiny = config["experiments"]["tiny"]
    tiny.update(seeds=[0, 1], levels=1, branches={}, transplant={})
    tiny["train"].update(epochs=1, milestones=[])
    tiny["evaluation"]["shift"] = {"ood": ["uniform_noise"]}
    snakemake(work, config)
    tiny["evaluation"]["ensembles"] = ["det", "bnn-snr"]
    planned = snakemake(work, config, "-n")
    jobs = planned[planned.index("Job stats:") :].split("\n\n")[0]
    counts = dict(line.split() for line in jobs.splitlines()[3:] if line.strip())
    # det in the IMP and LRR chains, bnn-snr in IMP: three ensembles, then the tables
    assert counts == {"ensemble": "3", "aggregate": "1", "total": "4"}
    snakemake(work, config)

    results = work / "results/tiny"
    table = pq.read_table(results / "tables/ensembles.parquet").to_pandas()
    keys = sorted(zip(table["arm"], table["chain"], table["level"], strict=True))
    assert keys == [
        ("bnn-snr", "imp", 0),
        ("bnn-snr", "imp", 1),
        ("det", "imp", 0),
        ("det", "imp", 1),
        ("det", "lrr", 1),
    ]
    assert set(table["seeds"]) == {"0,1"} and set(table["members"]) == {2}
    runs = pq.read_table(results / "tables/runs.parquet").to_pandas()
    for row in table.itertuples():
        stored = [
            predictions.load(
                results / f"evaluation/{row.arm}/s{s}/{row.chain}/main/predictions.safetensors"
            )
            for s in (0, 1)
        ]
        mean = np.mean([p.levels[row.level].probs[0].double().numpy() for p in stored], axis=0)
        labels = stored[0].labels.numpy()
        assert row.acc == pytest.approx(np.mean(mean.argmax(1) == labels))
        members = runs[
            (runs.arm == row.arm) & (runs.chain == row.chain) & (runs.level == row.level)
        ]
        assert row.predictive_macs == members["predictive_macs"].sum()
        assert row.member_acc_mean == pytest.approx(members["acc_mean"].mean())
    # out-of-distribution detection from the stored noise-image predictions: every score
    ood = pq.read_table(results / "tables/ensembles_ood.parquet").to_pandas()
    assert len(ood) == 3 * len(table) and set(ood["ood"]) == {"uniform_noise"}
    assert ood["auroc"].between(0, 1).all() and set(ood["seeds"]) == {"0,1"}
