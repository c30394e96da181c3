"""Tests of the report figures (blth.report) on small hand-made tables following the contract."""

from __future__ import annotations

import numpy as np
import pytest
from report_tables import (
    ARMS,
    EXPECTED_FIGURES,
    assert_remaining_axis,
    inline_rows,
    inner_layers,
    layer_with,
    make_tables,
    mark_type,
    tooltip_fields,
)

from blth import report
from blth.io.artefacts import TABLES
from blth.report import tables as tb


def test_registry_lists_every_figure():
    assert list(report.FIGURES) == EXPECTED_FIGURES
    assert set(report.NEEDS) == set(EXPECTED_FIGURES)


def test_unknown_figure_is_a_clear_error(tables):
    with pytest.raises(ValueError, match="no_such_figure"):
        report.build("no_such_figure", tables)


@pytest.mark.parametrize("figure", EXPECTED_FIGURES)
def test_every_figure_builds_a_valid_spec(figure, tables):
    chart = report.build(figure, tables, tolerance=0.5)
    assert chart is not None
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


@pytest.mark.parametrize("figure", EXPECTED_FIGURES)
def test_every_figure_without_data_is_none(figure):
    assert report.build(figure, {}) is None


@pytest.mark.parametrize("figure", EXPECTED_FIGURES)
def test_placeholder_names_the_figure(figure):
    chart = report.chart_or_placeholder(figure, {})
    (row,) = inline_rows(chart.to_dict())
    assert row["message"].startswith(f"no data for {figure}: needs ")


# --------------------------------------------------------------------------- curve figures


def test_accuracy_mace_encodings(tables):
    spec = report.build("accuracy_mace", tables).to_dict()
    assert spec["facet"]["column"]["field"] == "model"
    assert spec["facet"]["row"]["field"] == "panel"
    points = layer_with(spec, "point")
    assert_remaining_axis(points)
    assert points["encoding"]["y"]["field"] == "value"
    assert points["encoding"]["color"]["field"] == "series"
    assert {"arm", "level", "accuracy", "mace"} <= tooltip_fields(points)
    # error bars from repeated passes, no seed band with a single seed
    rule = layer_with(spec, "rule")
    assert rule["encoding"]["y"]["field"] == "err_lo"
    assert rule["encoding"]["y2"]["field"] == "err_hi"
    assert "area" not in {mark_type(lay) for lay in inner_layers(spec)}
    rows = inline_rows(spec)
    assert {r["series"] for r in rows} == set(ARMS)
    assert {r["metric"] for r in rows} == {"Test accuracy (%)", "MACE"}
    det0 = next(
        r
        for r in rows
        if r["arm"] == "det" and r["level"] == 0 and r["model"] == "vgg11" and r["metric"] != "MACE"
    )
    assert det0["value"] == pytest.approx(90.0)
    assert det0["pct_remaining"] == pytest.approx(100.0)
    # deterministic baseline drawn in black, as in the paper
    scale = points["encoding"]["color"]["scale"]
    assert scale["range"][scale["domain"].index("det")] == "black"


def test_accuracy_mace_with_seeds_draws_a_band():
    spec = report.build("accuracy_mace", make_tables(levels=3, seeds=(0, 1))).to_dict()
    area = layer_with(spec, "area")
    assert area["encoding"]["y"]["field"] == "band_lo"
    assert area["encoding"]["y2"]["field"] == "band_hi"
    row = next(r for r in inline_rows(spec) if r["metric"].startswith("Test"))
    assert row["n_seeds"] == 2
    assert row["band_hi"] - row["band_lo"] == pytest.approx(0.1)


def test_randomisation_compares_branches_per_arm(tables):
    spec = report.build("randomisation", tables).to_dict()
    points = layer_with(spec, "point")
    assert_remaining_axis(points)
    assert {"arm", "level", "accuracy", "mace"} <= tooltip_fields(points)
    rows = inline_rows(spec)
    assert {r["series"] for r in rows} == {"IMP ticket (main)", *tb.RANDOM_BRANCHES}
    assert {r["panel"] for r in rows} == {"det", "bnn-snr"}


def test_randomisation_without_random_branches_is_none(tables):
    runs = tables["runs"]
    assert report.build("randomisation", {"runs": runs[runs["branch"] == "main"]}) is None


def test_transplant_series(tables):
    spec = report.build("transplant", tables).to_dict()
    assert_remaining_axis(layer_with(spec, "point"))
    series = {r["series"] for r in inline_rows(spec)}
    assert series == {
        "deterministic IMP",
        "Bayesian IMP (bnn-snr)",
        "transplant (det ticket → VI)",
    }


def test_transplant_without_transplant_runs_is_none(tables):
    runs = tables["runs"]
    no_tp = {"runs": runs[runs["branch"] != "transplant"]}
    assert report.build("transplant", no_tp) is None
    assert report.build("transplant_compute", no_tp) is None


def test_lrr_compares_chains(tables):
    spec = report.build("lrr", tables).to_dict()
    assert_remaining_axis(layer_with(spec, "point"))
    rows = inline_rows(spec)
    assert {r["series"] for r in rows} == {"IMP", "LRR"}
    assert {r["panel"] for r in rows} == {"det", "bnn-snr"}
    runs = tables["runs"]
    assert report.build("lrr", {"runs": runs[runs["chain"] == "imp"]}) is None


def test_nll_ece_panels(tables):
    spec = report.build("nll_ece", tables).to_dict()
    assert_remaining_axis(layer_with(spec, "point"))
    assert {r["panel"] for r in inline_rows(spec)} == {"NLL", "ECE"}
    runs = tables["runs"].assign(nll=np.nan, ece=np.nan)
    assert report.build("nll_ece", {"runs": runs}) is None


# --------------------------------------------------------------------------- other figures


def test_layer_sparsity_uses_sparsest_level(tables):
    spec = report.build("layer_sparsity", tables).to_dict()
    points = layer_with(spec, "point")
    assert points["encoding"]["x"]["field"] == "index"
    assert points["encoding"]["y"]["field"] == "pct_remaining"
    assert {"arm", "level", "name"} <= tooltip_fields(points)
    rows = inline_rows(spec)
    assert {r["level"] for r in rows} == {3}
    assert {r["arm"] for r in rows} == set(ARMS)
    first = next(r for r in rows if r["index"] == 0)
    assert first["pct_remaining"] == pytest.approx(100 * round(400 * 0.8**3 * 1.5) / 400)


def test_reliability_dense_vs_sparsest_matching(tables):
    spec = report.build("reliability", tables).to_dict()
    points = layer_with(spec, "point")
    assert points["encoding"]["x"]["field"] == "mean_confidence"
    assert points["encoding"]["y"]["field"] == "accuracy"
    assert {"arm", "level"} <= tooltip_fields(points)
    rows = inline_rows(spec)
    assert {r["ticket"] for r in rows} == {"dense (level 0)", "sparsest matching"}
    # synthetic accuracy drops 0.4 points per level: level 1 is the sparsest within 0.5
    assert {r["level"] for r in rows} == {0, 1}
    assert all(r["count"] > 0 for r in rows)  # empty bins dropped


def test_training_curves(tables):
    spec = report.build("training_curves", tables).to_dict()
    line = layer_with(spec, "line")
    assert line["encoding"]["x"]["field"] == "epoch"
    assert line["encoding"]["color"]["field"] == "level"
    assert {"arm", "level"} <= tooltip_fields(line)
    rows = inline_rows(spec)
    assert max(r["test_acc"] for r in rows) == pytest.approx(80.0)
    assert {r["arm"] for r in rows} == set(ARMS)


# --------------------------------------------------------------------------- loading and saving


def test_load_tables_from_dir_and_paths(tmp_path, tables):
    tables["runs"].to_parquet(tmp_path / "runs.parquet")
    loaded = report.load_tables(tmp_path)
    assert set(loaded) == set(TABLES)
    assert len(loaded["runs"]) == len(tables["runs"])
    assert loaded["epochs"].empty
    assert "epoch" in loaded["epochs"].columns
    paths = [tmp_path / f"{name}.parquet" for name in TABLES]
    assert len(report.load_tables([str(p) for p in paths])["runs"]) == len(tables["runs"])
