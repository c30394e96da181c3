"""The cost-frontier figure: accuracy against MACs per prediction (blth.evaluation.cost's
columns)."""

from pathlib import Path

import pandas as pd
import pytest

from blth import report
from blth.report import frames
from blth.report.tables import load_tables

TABLES = Path(__file__).resolve().parents[2] / "docs/results/fashion_mnist/tables"


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return load_tables(sorted(TABLES.glob("*.parquet")))


def test_each_series_is_an_imp_arm_or_the_transplants_pooled_over_seeds(tables):
    frame = frames.cost_frontier_frame(tables["runs"])
    arms = set(tables["runs"]["arm"])
    assert set(frame["series"]) == arms | {frames.TRANSPLANTED}
    runs = tables["runs"]
    dense = runs[(runs.arm == "det") & (runs.chain == "imp") & (runs.level == 0)]
    point = frame[(frame.series == "det") & (frame.level == 0)].iloc[0]
    assert point["accuracy"] == pytest.approx(100 * dense["acc_mean"].mean())
    assert point["predictive_macs"] == dense["predictive_macs"].iloc[0]
    assert (frame["n_seeds"] == 2).all()


def test_the_chart_puts_macs_on_a_log_axis(tables):
    spec = report.build("cost_frontier", tables).to_dict()
    layer = spec["spec"]["layer"][1]
    assert layer["encoding"]["x"]["field"] == "predictive_macs"
    assert layer["encoding"]["x"]["scale"]["type"] == "log"
    assert layer["encoding"]["y"]["field"] == "accuracy"


def test_without_tickets_there_is_no_chart(tables):
    runs = tables["runs"]
    assert report.build("cost_frontier", {"runs": runs[runs.chain == "lrr"]}) is None
