"""The committed Fashion-MNIST shift study (docs/results/fashion_mnist_shift/): its tables
follow the contract and hold every row its config asks for, and its README's summary is the one
`blth.report.robustness` computes from them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from blth.io.artefacts import OPTIONAL_TABLES, TABLES, read_rows
from blth.report import robustness
from blth.report.tables import load_tables
from blth.shift import SCORES

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs/results/fashion_mnist_shift"
CONFIG = yaml.safe_load((RESULTS / "config.yaml").read_text())
STUDY = CONFIG["experiments"]["fashion_mnist_shift"]
SHIFT = STUDY["evaluation"]["shift"]


@pytest.mark.parametrize("name", TABLES)
def test_committed_table_follows_the_contract(name):
    if name in OPTIONAL_TABLES and not (RESULTS / "tables" / f"{name}.parquet").exists():
        pytest.skip(f"the study was evaluated before blth made the {name} table")
    assert read_rows(RESULTS / "tables" / f"{name}.parquet", name)


def test_the_config_is_the_shipped_one():
    shipped = yaml.safe_load((ROOT / "config/fashion_mnist_shift.yaml").read_text())
    assert shipped == CONFIG


def levels() -> set[tuple[str, int, int]]:
    """(arm, seed, level) of every IMP ticket of the study."""
    every = range(STUDY["levels"] + 1)
    return {
        (arm, seed, level) for arm in STUDY["arms"] for seed in STUDY["seeds"] for level in every
    }


def test_every_level_has_each_corrupted_set_and_each_detection_score():
    shift = read_rows(RESULTS / "tables/shift.parquet", "shift")
    got = [(r["arm"], r["seed"], r["level"], r["corruption"], r["severity"]) for r in shift]
    assert len(got) == len(set(got))
    assert set(got) == {
        (arm, seed, level, corruption, severity)
        for arm, seed, level in levels()
        for corruption in SHIFT["corruptions"]
        for severity in SHIFT["severities"]
    }
    ood = read_rows(RESULTS / "tables/ood.parquet", "ood")
    got = [(r["arm"], r["seed"], r["level"], r["ood"], r["score"]) for r in ood]
    assert len(got) == len(set(got))
    scores = {arm: SCORES if arm.startswith("bnn") else SCORES[:2] for arm in STUDY["arms"]}
    assert set(got) == {
        (arm, seed, level, name, score)
        for arm, seed, level in levels()
        for name in SHIFT["ood"]
        for score in scores[arm]
    }


def test_readme_summary_is_computed_from_the_tables():
    table = robustness.markdown(robustness.summary(load_tables(RESULTS / "tables")))
    assert table in (RESULTS / "README.md").read_text(), "the README's summary is out of date"
