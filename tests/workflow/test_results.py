"""The committed Fashion-MNIST study (docs/results/fashion_mnist/): tables, charts and README.

The tables must still follow the table contract (blth.io.artefacts), cover every run the shipped
config makes, and the README's Results table must be the one `blth.report.claims` computes
from them (so no number in it is typed by hand).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from blth.io.artefacts import OPTIONAL_TABLES, SHIFT_TABLES, TABLES, read_rows
from blth.lottery.branches import IMP, LRR, MAIN, RANDOM_BRANCHES, TRANSPLANT
from blth.report import FIGURES
from blth.report.claims import findings, markdown

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs/results/fashion_mnist"
STUDY = yaml.safe_load((RESULTS / "config.yaml").read_text())["experiments"]["fashion_mnist"]


@pytest.mark.parametrize("name", TABLES)
def test_committed_table_follows_the_contract(name):
    if name in OPTIONAL_TABLES and not (RESULTS / "tables" / f"{name}.parquet").exists():
        pytest.skip(f"the study was evaluated before blth made the {name} table")
    rows = read_rows(RESULTS / "tables" / f"{name}.parquet", name)
    shift = STUDY.get("evaluation", {}).get("shift", {})
    asked = shift.get("corruptions") if name == "shift" else shift.get("ood")
    # the study ran without evaluation.shift: its shift and ood tables are empty
    assert bool(rows) == (name not in SHIFT_TABLES or bool(asked))


def expected_runs() -> set[tuple[str, str, str, int, int]]:
    """(arm, chain, branch, seed, level) of every training the shipped config makes."""
    levels = range(STUDY["levels"] + 1)
    runs = set()
    for seed in STUDY["seeds"]:
        runs |= {(arm, IMP, MAIN, seed, lvl) for arm in STUDY["arms"] for lvl in levels}
        lrr = STUDY["lrr"]["arms"]
        runs |= {(arm, LRR, MAIN, seed, lvl) for arm in lrr for lvl in levels[1:]}
        for arm in STUDY["branches"]["arms"]:
            runs |= {
                (arm, IMP, branch, seed, lvl)
                for branch in RANDOM_BRANCHES
                for lvl in STUDY["branches"]["levels"]
            }
        runs |= {("det", IMP, TRANSPLANT, seed, lvl) for lvl in STUDY["transplant"]["levels"]}
    return runs


def test_runs_table_holds_every_training_of_the_config():
    rows = read_rows(RESULTS / "tables/runs.parquet", "runs")
    got = [(r["arm"], r["chain"], r["branch"], r["seed"], r["level"]) for r in rows]
    assert len(got) == len(set(got)), "a run appears twice"
    assert set(got) == expected_runs()
    assert {r["dataset"] for r in rows} == {"fashion_mnist"}
    # a deterministic network's predictive is one pass; a Bayesian one's the configured passes
    # of eval_samples weight samples each
    bayes = STUDY["evaluation"]["passes"], STUDY["bayes"]["eval_samples"]
    assert all((r["passes"], r["samples"]) == (bayes if r["bayesian"] else (1, 1)) for r in rows)


def test_every_report_figure_is_committed():
    for figure in FIGURES:
        for suffix in (".svg", ".html"):
            assert (RESULTS / "charts" / f"{figure}{suffix}").stat().st_size > 0, figure


def test_readme_results_table_is_computed_from_the_tables():
    table = markdown(findings(RESULTS / "tables"))
    assert table in (ROOT / "README.md").read_text(), "README's Results table is out of date"
    assert (RESULTS / "claims.md").read_text().endswith(table)
