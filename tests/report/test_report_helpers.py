"""The report's shared helpers: encodings and layers (blth.report.encodings), the curve and
figure frames (curves, frames), the run vocabulary (tables) and the figure job (job)."""

from __future__ import annotations

import io

import altair as alt
import pandas as pd
import pytest

from blth.lottery.branches import BRANCHES
from blth.report import REGISTRY, STUDY_REGISTRY, curves, frames, job
from blth.report import encodings as enc
from blth.report import tables as tb


def test_random_branches_are_every_branch_but_the_transplant():
    assert tb.RANDOM_BRANCHES == ["reinit", "shuffle_global", "shuffle_even", "shuffle_layerwise"]
    assert set(BRANCHES) == {*tb.RANDOM_BRANCHES, tb.TRANSPLANT}


def test_ordered_puts_first_in_front():
    assert enc.ordered(["b", "det", "a", "b"], first="det") == ["det", "a", "b"]
    assert enc.ordered(["b", "a"], first="det") == ["a", "b"]


def test_color_draws_black_in_black_and_keeps_the_palette_order():
    scale = enc.color("arm", "arm", ["det", "x", "y"], black="det").to_dict()["scale"]
    assert scale == {"domain": ["det", "x", "y"], "range": ["black", *enc.PALETTE[:2]]}


def test_x_remaining_ticks_within_the_data_and_none_out_of_range():
    axis = enc.x_remaining(pd.Series([10.0, 100.0])).to_dict()["axis"]
    assert axis["values"] == [10, 20, 50, 100]
    assert "values" not in enc.x_remaining(pd.Series([0.01, 0.02])).to_dict()["axis"]


def test_tooltips_mix_shorthands_and_shared_tooltips():
    tips = [t.to_dict() for t in enc.run_tooltips("bin:Q")]
    assert [t["field"] for t in tips] == ["model", "arm", "level", "pct_remaining", "bin"]
    assert tips[3] == {
        "field": "pct_remaining",
        "type": "quantitative",
        "title": "% remaining",
        "format": ".3g",
    }


def test_line_and_points_carry_the_tooltip_on_the_points_only():
    x, y = alt.X("a:Q"), alt.Y("b:Q")
    line, points = enc.line_and_points(x, y, enc.color("c", "c", ["u"]), enc.tooltips("a:Q"))
    line_spec, point_spec = line.to_dict(), points.to_dict()
    assert line_spec["mark"] == {"type": "line", "strokeWidth": 1.5}
    assert "tooltip" not in line_spec["encoding"]
    assert point_spec["mark"] == {"type": "point", "filled": True, "size": 28}
    assert point_spec["encoding"]["tooltip"] == [{"field": "a", "type": "quantitative"}]


@pytest.mark.parametrize("independent", ["x", "y", ""])
def test_facet_resolves_the_independent_axis(independent):
    data = pd.DataFrame({"model": ["m"], "a": [1.0], "b": [2.0]})
    layer = alt.Chart().mark_point().encode(x="a:Q", y="b:Q")
    spec = enc.facet([layer], data, "t", independent=independent).to_dict()
    resolve = spec.get("resolve", {}).get("scale", {})
    assert resolve == ({independent: "independent"} if independent else {})
    assert spec["facet"]["column"]["field"] == "model" and "row" not in spec["facet"]


def test_curve_frame_one_row_per_point_and_metric(tables):
    runs = tb.imp_main(tables["runs"])
    long = curves.curve_frame(runs, [curves.ACC, curves.MACE], series=lambda d: d["arm"])
    assert len(long) == 2 * len(runs)  # one seed: one point per run and metric
    acc = long[long["metric"] == curves.ACC.label]
    assert acc["value"].tolist() == pytest.approx(acc["accuracy"].tolist())  # percent
    assert set(long["panel"]) == {curves.ACC.label, curves.MACE.label}
    assert long.loc[long["metric"] == curves.MACE.label, "err_lo"].isna().all()


def test_transplant_curves_name_their_series(tables):
    long, names = curves.transplant_curves(tables["runs"])
    assert set(long["series"]) == set(names.values())
    runs = tables["runs"]
    empty, _ = curves.transplant_curves(runs[runs["branch"] != tb.TRANSPLANT])
    assert empty.empty


def test_training_curves_frame_adds_each_tickets_remaining(tables):
    data = frames.training_curves_frame(tables["epochs"], tables["runs"])
    level1 = data[data["level"] == 1]
    assert level1["pct_remaining"].tolist() == pytest.approx([80.0] * len(level1))
    assert frames.training_curves_frame(tb.empty_table("epochs"), tables["runs"]).empty


def test_write_figure_logs_and_saves(tmp_path, tables):
    log = io.StringIO()
    job.log_tables(tables, log)
    html, svg = tmp_path / "lrr.html", tmp_path / "lrr.svg"
    job.write_figure(REGISTRY, "lrr", {"runs": tables["runs"]}, html, svg, log, 0.5)
    assert f"runs: {len(tables['runs'])} rows\n" in log.getvalue()
    assert f"lrr: wrote {html} and {svg}" in log.getvalue()
    assert "<path" in svg.read_text()


def test_write_figure_writes_a_placeholder_without_data(tmp_path):
    log = io.StringIO()
    job.log_tables({"runs": tb.empty_table("runs")}, log, experiments=True)
    html, svg = tmp_path / "m.html", tmp_path / "m.svg"
    job.write_figure(STUDY_REGISTRY, "model_size", {}, html, svg, log)
    assert "runs: 0 rows, 0 experiments" in log.getvalue()
    assert "model_size: no data (needs" in log.getvalue()
    assert "no data for model_size" in svg.read_text()
