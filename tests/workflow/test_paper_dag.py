"""The paper's study (config/config.yaml) end to end at toy scale (layered with
tests/data/overlays/paper_toy.yaml): ResNet-20, VGG-11 and ViT-tiny, every arm, LRR, every branch
kind and the transplants, through Snakemake to the tables; every run there with finite metrics."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from paper_toy import PAPER, TOY, merged  # test_config_errors imports them from here
from workdir import copy_repo, run_study

from blth.io.artefacts import read_rows
from blth.lottery.branches import MAIN, RANDOM_BRANCHES, TRANSPLANT

ROOT = Path(__file__).resolve().parents[2]
METRICS = ("acc_mean", "best_test_acc", "nll", "brier", "ece", "mace", "remaining_fraction")


def expected_runs(config: dict) -> dict[str, set[tuple]]:
    """Per experiment, the (arm, chain, branch, level) of every run the config asks for, written
    out from the paper's protocol rather than from the workflow's code."""
    out = {}
    for name, exp in config["experiments"].items():
        levels = range(exp["levels"] + 1)
        runs = {(arm, "imp", MAIN, level) for arm in exp["arms"] for level in levels}
        runs |= {(arm, "lrr", MAIN, level) for arm in exp["lrr"]["arms"] for level in levels[1:]}
        runs |= {
            (arm, "imp", kind, level)
            for arm in exp["branches"]["arms"]
            for kind in RANDOM_BRANCHES
            for level in exp["branches"]["levels"]
        }
        runs |= {("det", "imp", TRANSPLANT, level) for level in exp["transplant"]["levels"]}
        out[name] = runs
    return out


@pytest.mark.slow
def test_the_papers_study_runs_at_toy_scale(tmp_path):
    work = copy_repo(tmp_path)
    paper = yaml.safe_load((ROOT / PAPER).read_text())
    toy = yaml.safe_load((ROOT / TOY).read_text())
    assert set(toy["experiments"]) == set(paper["experiments"])  # every model of the paper
    targets = [f"results/{name}/tables/runs.parquet" for name in paper["experiments"]]
    run_study(work, "--configfile", PAPER, TOY, "--", *targets, timeout=1500)
    config = merged(paper, toy)
    for name, expected in expected_runs(config).items():
        rows = read_rows(work / f"results/{name}/tables/runs.parquet", "runs")
        found = {(r["arm"], r["chain"], r["branch"], r["level"]) for r in rows}
        assert found == expected, (name, sorted(expected ^ found))
        assert {r["model"] for r in rows} == {config["experiments"][name]["model"]}
        for row in rows:
            bad = [m for m in METRICS if not math.isfinite(row[m])]
            assert not bad, (name, row["arm"], row["chain"], row["branch"], row["level"], bad)
        pruned = [r["remaining_fraction"] for r in rows if r["level"] == 2 and r["branch"] == MAIN]
        assert all(abs(f - 0.8**2) < 0.01 for f in pruned), (name, pruned)
        layers = read_rows(work / f"results/{name}/tables/layers.parquet", "layers")
        assert len(layers) > len(rows)
