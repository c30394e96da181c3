"""The summary frames of the report (blth.report.summaries): the sparsest matching ticket,
training time per level and the compute saved by transplantation, and their figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from report_tables import (
    assert_remaining_axis,
    inline_rows,
    layer_with,
    mark_type,
    run_row,
    with_ticket_search,
)

from blth import report
from blth.report import summaries as sm

# --------------------------------------------------------------------------- transplant compute


def _compute_rows(seed=0, missing=()):
    """det, Bayesian and transplant runs of one model; ``missing``: det levels not run."""
    rows = []
    for level, det, bayes, tp in [(0, 10, 100, 50), (1, 20, 200, 60), (2, 30, 300, 70)]:
        if level not in missing:
            rows.append(run_row("m", "det", "imp", "main", seed, level, seconds=det + seed))
        rows.append(run_row("m", "bnn-snr", "imp", "main", seed, level, seconds=bayes))
        rows.append(
            run_row("m", "det", "imp", "transplant", seed, level, bayesian=True, seconds=tp)
        )
    return rows


def _compute_runs(seeds=(0,), missing=()):
    return pd.DataFrame(with_ticket_search([r for s in seeds for r in _compute_rows(s, missing)]))


def test_transplant_compute_arithmetic():
    frame = sm.transplant_compute_table(_compute_runs())
    assert list(frame["level"]) == [0, 1, 2]
    # full Bayesian: 100, 100+200, 100+200+300 s; transplant: 50, 10+60, 10+20+70 s
    assert frame["full_bayes_min"].tolist() == pytest.approx([100 / 60, 300 / 60, 600 / 60])
    assert frame["transplant_min"].tolist() == pytest.approx([50 / 60, 70 / 60, 100 / 60])
    expected = [100 * (1 - 50 / 100), 100 * (1 - 70 / 300), 100 * (1 - 100 / 600)]
    assert frame["saved_pct"].tolist() == pytest.approx(expected)
    assert frame["pct_remaining"].tolist() == pytest.approx([100, 80, 64])


def test_transplant_compute_reads_the_ticket_search_time_of_the_runs_table():
    runs = _compute_runs()
    planted = runs["branch"] == "transplant"
    runs.loc[planted, "ticket_search_seconds"] = [0.0, 600.0, 1200.0]
    frame = sm.transplant_compute_table(runs)
    assert frame["transplant_min"].tolist() == pytest.approx([50 / 60, 11.0, 1270 / 60])


def test_transplant_compute_averages_each_seeds_own_cost():
    frame = sm.transplant_compute_table(_compute_runs(seeds=(0, 1)))
    # seed 1's det levels take 1 s longer: level 2's ticket search 30 s vs 32 s
    assert frame["transplant_min"].tolist() == pytest.approx([50 / 60, 70.5 / 60, 101 / 60])


def test_transplant_compute_skips_levels_with_missing_runs():
    frame = sm.transplant_compute_table(_compute_runs(missing=(1,)))
    assert list(frame["level"]) == [0, 1]  # level 2 needs det level 1


def test_transplant_compute_chart_labels_savings():
    spec = report.build("transplant_compute", {"runs": _compute_runs()}).to_dict()
    assert_remaining_axis(layer_with(spec, "point"))
    text = layer_with(spec, "text")
    assert text["encoding"]["text"]["field"] == "label"
    labels = {r["label"] for r in inline_rows(spec)} - {""}
    assert labels == {"−50%", "−83%"}  # levels 0 (multiple of 5) and 2 (last)


def test_compute_long_has_a_row_per_level_and_strategy():
    frame = sm.transplant_compute_table(_compute_runs())
    strategies = sm.compute_strategies(frame)
    assert strategies["full_bayes_min"] == "full Bayesian IMP (bnn-snr)"
    long = sm.compute_long(frame, strategies)
    assert len(long) == 2 * len(frame)
    assert set(long["strategy"]) == set(strategies.values())
    full = long[long["strategy"] == strategies["full_bayes_min"]]
    assert (full["label"] == "").all()  # savings are labelled on the transplant line only


# --------------------------------------------------------------------------- text tables


def test_runtime_table(tables):
    frame = sm.runtime_frame(tables["runs"])
    assert frame["det_min"].tolist() == pytest.approx([1.0, 1.0])
    assert frame["bayes_min"].tolist() == pytest.approx([3.0, 3.0])
    assert frame["ratio"].tolist() == pytest.approx([3.0, 3.0])
    spec = report.build("runtime_table", tables).to_dict()
    assert mark_type(spec) == "text"
    values = {(r["model"], r["column"]): r["value"] for r in inline_rows(spec)}
    assert values[("vgg11", "ratio")] == "3.00×"
    assert values[("vgg11", "Bayesian min/level")] == "3.0"


def test_runtime_rows_mark_a_missing_side(tables):
    runs = tables["runs"]
    rows = sm.runtime_rows(sm.runtime_frame(runs[runs["arm"] == "det"]))
    assert set(rows["Bayesian min/level"]) == {sm.MISSING}
    assert set(rows["ratio"]) == {sm.MISSING}
    assert set(rows["det. min/level"]) == {"1.0"}


def test_formatted():
    assert sm.formatted(pd.Series([1.234, np.nan]), ".1f") == ["1.2", sm.MISSING]


def _matching_runs(accs):
    return pd.DataFrame(
        [run_row("m", "bnn-snr", "imp", "main", 0, lvl, acc=a) for lvl, a in enumerate(accs)]
    )


def test_matching_summary_picks_sparsest_matching_level():
    # level 1 surpasses, 2 is 0.3 points below, 3 is 1 point below, 4 is 0.04 below dense
    runs = _matching_runs([0.90, 0.905, 0.897, 0.89, 0.8996, 0.85])
    frame = sm.matching_table(runs, tolerance=0.5)
    assert frame["level"].tolist() == [4]
    assert frame["dense_acc"].iloc[0] == pytest.approx(90.0)
    assert frame["delta_pts"].iloc[0] == pytest.approx(-0.04)
    assert frame["pct_remaining"].iloc[0] == pytest.approx(100 * 0.8**4)
    assert sm.matching_table(runs, tolerance=0.0)["level"].tolist() == [1]
    spec = report.build("matching_summary", {"runs": runs}, tolerance=0.5).to_dict()
    values = {r["column"]: r["value"] for r in inline_rows(spec)}
    assert values["sparsest matching level"] == "4"
    assert values["Δ (pts)"] == "-0.04"
    assert "0.5 points" in spec["title"]


def test_matching_summary_default_tolerance_is_half_a_point():
    runs = _matching_runs([0.90, 0.8949, 0.8951])
    assert sm.matching_table(runs)["level"].tolist() == [2]
