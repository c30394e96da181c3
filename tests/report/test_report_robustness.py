"""The robustness summary (blth.report.robustness): dense vs sparsest matching ticket on clean,
corrupted and out-of-distribution data, checked against the raw rows it summarises."""

from __future__ import annotations

import pandas as pd
import pytest
from report_tables import make_tables

from blth import cli
from blth.report import robustness
from blth.report.frames import DENSE, SPARSEST
from blth.report.summaries import matching_table


@pytest.fixture(scope="module")
def shifted():
    """The hand-made tables with two seeds and a second, harder corruption."""
    tables = make_tables(seeds=(0, 1))
    harder = tables["shift"].assign(corruption="contrast", acc=0.6)
    return tables | {"shift": pd.concat([tables["shift"], harder], ignore_index=True)}


def test_each_arm_has_its_dense_network_and_sparsest_matching_ticket(shifted):
    frame = robustness.summary(shifted)
    match = matching_table(shifted["runs"])
    for row in frame.to_dict("records"):
        at = (match["model"] == row["model"]) & (match["arm"] == row["arm"])
        level = 0 if row["ticket"] == DENSE else int(match[at]["level"].iloc[0])
        assert row["level"] == level
        runs = shifted["runs"]
        mine = runs[
            (runs.model == row["model"]) & (runs.arm == row["arm"]) & (runs.level == level)
            & (runs.chain == "imp") & (runs.branch == "main")
        ]  # fmt: skip
        assert row["clean acc"] == pytest.approx(100 * mine["acc_mean"].mean())
        assert row["% weights"] == pytest.approx(100 * mine["remaining_fraction"].mean())
        assert row["acc s5"] == pytest.approx(70.0)  # mean of rotation (80 %) and contrast (60 %)
        assert row["ECE s5"] == pytest.approx(0.1 + 0.001 * level)
        assert row["AUROC uniform_noise: entropy"] == pytest.approx(0.9 - 0.01 * level)
    assert {(r["arm"], r["ticket"]) for r in frame.to_dict("records") if r["model"] == "vgg11"} == {
        (arm, ticket) for arm in match["arm"].unique() for ticket in (DENSE, SPARSEST)
    }


def test_markdown_shows_percent_with_one_decimal_and_scores_with_three():
    frame = pd.DataFrame(
        [{"model": "m", "arm": "det", "ticket": DENSE, "level": 0, "% weights": 100.0}
         | {"clean acc": 88.26, "clean ECE": 0.01234, "acc s5": 51.04, "AUROC a: b": float("nan")}]
    )  # fmt: skip
    assert robustness.markdown(frame).splitlines()[2] == (
        f"| m | det | {DENSE} | 0 | 100.0 | 88.3 | 0.012 | 51.0 | — |"
    )


def test_without_shift_rows_the_summary_is_empty():
    tables = make_tables()
    tables["shift"] = tables["shift"].iloc[0:0]
    assert robustness.summary(tables).empty


def test_blth_robustness_prints_the_table_of_a_tables_folder(shifted, tmp_path, capsys):
    for name, frame in shifted.items():
        frame.to_parquet(tmp_path / f"{name}.parquet")
    assert cli.main(["robustness", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert printed == robustness.markdown(robustness.summary(shifted))
    assert printed.startswith("| model | arm | ticket | level | % weights | clean acc |")
