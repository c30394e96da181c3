"""The committed paper-networks study (docs/results/fashion_mnist_paper_nets/): one tables folder
per architecture, the study's charts, and the README's claims computed from the tables."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from blth.io.artefacts import PREDICTIONS, SHIFT_TABLES, TABLES, read_rows
from blth.lottery.branches import IMP, MAIN, TRANSPLANT
from blth.report import FIGURES, STUDY_FIGURES, ensembles
from blth.report.claims import CHECKS
from blth.report.claims.architectures import load_architectures, markdown
from blth.report.study import concat_tables
from blth.report.tables import load_tables

ROOT = Path(__file__).resolve().parents[2]
STUDY = ROOT / "docs/results/fashion_mnist_paper_nets"
CONFIG = yaml.safe_load((STUDY / "config.yaml").read_text())["experiments"]
FOLDERS = sorted((STUDY / "tables").iterdir())


def test_the_committed_config_is_the_shipped_one():
    shipped = yaml.safe_load((ROOT / "config/fashion_mnist_paper_nets.yaml").read_text())
    assert shipped["experiments"] == CONFIG
    assert sorted(p.name for p in FOLDERS) == sorted(CONFIG)


@pytest.mark.parametrize("experiment", sorted(CONFIG))
@pytest.mark.parametrize("name", TABLES)
def test_each_table_follows_the_contract(experiment, name):
    rows = read_rows(STUDY / "tables" / experiment / f"{name}.parquet", name)
    # the study ran without evaluation.shift: no shift, no out-of-distribution detection
    assert bool(rows) == (name not in (*SHIFT_TABLES, "ensembles_ood"))


def expected_runs(study: dict) -> set[tuple[str, str, int, int]]:
    """(arm, branch, seed, level) of every training an experiment of the config makes."""
    runs = set()
    for seed in study["seeds"]:
        runs |= {(a, MAIN, seed, lvl) for a in study["arms"] for lvl in range(study["levels"] + 1)}
        branches = study["branches"]
        runs |= {
            (a, kind, seed, lvl)
            for a in branches["arms"]
            for kind in branches["kinds"]
            for lvl in branches["levels"]
        }
        runs |= {("det", TRANSPLANT, seed, lvl) for lvl in study["transplant"]["levels"]}
    return runs


@pytest.mark.parametrize("experiment", sorted(CONFIG))
def test_runs_table_holds_every_training_of_the_config(experiment):
    study = CONFIG[experiment]
    rows = read_rows(STUDY / "tables" / experiment / "runs.parquet", "runs")
    got = [(r["arm"], r["branch"], r["seed"], r["level"]) for r in rows]
    assert len(got) == len(set(got)), "a run appears twice"
    assert set(got) == expected_runs(study)
    assert {r["chain"] for r in rows} == {IMP}
    assert {r["model"] for r in rows} == {study["model"]}
    bayes = study["evaluation"]["passes"], study["bayes"]["eval_samples"]
    assert all((r["passes"], r["samples"]) == (bayes if r["bayesian"] else (1, 1)) for r in rows)


def test_every_figure_of_the_study_is_committed():
    for figure in (*FIGURES, *STUDY_FIGURES):
        for suffix in (".svg", ".html"):
            assert (STUDY / "charts" / f"{figure}{suffix}").stat().st_size > 0, figure


def test_the_main_series_predictions_are_committed():
    for experiment, study in CONFIG.items():
        for arm in study["arms"]:
            for seed in study["seeds"]:
                path = STUDY / "predictions" / experiment / arm / f"s{seed}" / PREDICTIONS
                assert path.stat().st_size > 0, path


def test_readme_and_claims_file_are_computed_from_the_tables():
    text = markdown(load_architectures(FOLDERS), CHECKS)
    assert (STUDY / "claims.md").read_text().endswith(text)
    summary = text.split("\n### ")[0]  # the verdict matrix and the cross-architecture claims
    assert summary in (ROOT / "README.md").read_text(), "README's table is out of date"


def test_readme_ensemble_comparison_is_computed_from_the_tables():
    tables = concat_tables([load_tables(folder) for folder in FOLDERS])
    table = ensembles.markdown(ensembles.matched(tables))
    assert table in (ROOT / "README.md").read_text(), "README's ensemble table is out of date"
