"""The step benchmark and the ``blth bench`` command (tiny LeNet cases only)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import blth
from blth.bench import models as bench_models
from blth.bench.case_names import BLTH_VARIANTS
from blth.bench.cases import SAMPLES, Case
from blth.bench.cases import cases as select_cases
from blth.bench.throughput import run

FIELDS = {"model", "impl", "bayesian", "samples", "batch", "device", "images_per_s", "step_ms"}


def test_run_lenet_det_and_bayes():
    cases = select_cases(["lenet_300_100"], ["blth"])
    assert [(c.impl, c.bayesian, c.samples) for c in cases] == [
        ("blth", False, 1),
        ("blth", True, SAMPLES),
    ]
    printed = io.StringIO()
    rows = run(cases, quick=True, device="cpu", out=printed, steps=2)
    assert [json.loads(line) for line in printed.getvalue().splitlines()] == rows
    det, bayes = rows
    for row in rows:
        assert row.keys() >= FIELDS
        assert row["model"] == "lenet_300_100" and row["impl"] == "blth"
        assert row["batch"] == 128 and row["device"] == "cpu" and row["steps"] == 2
        assert row["step_ms"] > 0 and row["images_per_s"] > 0
        # images_per_s is rounded to 0.1: on a starved machine that exceeds rel 1e-3
        assert row["images_per_s"] == pytest.approx(128e3 / row["step_ms"], rel=1e-3, abs=0.05)
    assert not det["bayesian"] and "ratio_to_det_x_samples" not in det
    assert bayes["bayesian"] and bayes["samples"] == 10
    expected = bayes["step_ms"] / (10 * det["step_ms"])
    assert bayes["ratio_to_det_x_samples"] == pytest.approx(expected, rel=1e-2)


def test_torch_blue_missing_is_skipped(monkeypatch, capsys):
    monkeypatch.setattr(bench_models, "torch_blue_available", lambda: False)
    cases = select_cases(["lenet_300_100"])
    assert {c.impl for c in cases} == {"blth", "torch_blue"}
    rows = run(cases, quick=True, device="cpu", out=None, steps=1)
    assert [(r["impl"], r["bayesian"]) for r in rows] == [("blth", False), ("blth", True)]
    assert "torch_blue is not installed" in capsys.readouterr().err


def test_torch_blue_lenet_case():
    pytest.importorskip("torch_blue")
    cases = [
        Case("lenet_300_100", "blth", False),
        Case("lenet_300_100", "torch_blue", True),
    ]
    det, bayes = run(cases, quick=True, device="cpu", out=None, steps=1)
    assert bayes["impl"] == "torch_blue" and bayes["samples"] == 10 and bayes["step_ms"] > 0
    assert bayes["ratio_to_det_x_samples"] > 0


def test_unknown_model_is_rejected():
    with pytest.raises(ValueError, match="unknown benchmark model"):
        select_cases(["alexnet"])


def test_cli_bench_quick(tmp_path: Path):
    out = tmp_path / "bench.jsonl"
    src = str(Path(blth.__file__).resolve().parents[1])  # src/blth/__init__.py
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "blth.cli", "bench", "--quick", "--models", "lenet_300_100"]
    cmd += ["--impl", "blth", "--threads", "1", "--device", "cpu", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [(r["model"], r["impl"], r["bayesian"]) for r in rows] == [
        ("lenet_300_100", "blth", False),
        ("lenet_300_100", "blth", True),
    ]
    assert all(r["step_ms"] > 0 and r["images_per_s"] > 0 for r in rows)
    assert rows[1]["ratio_to_det_x_samples"] > 0
    assert [json.loads(line) for line in out.read_text().splitlines()] == rows


def test_blth_variants_report_their_strategy_estimator_and_noise():
    cases = [Case("lenet_300_100", impl, True) for impl in sorted(BLTH_VARIANTS)]
    rows = run(cases, quick=True, device="cpu", out=None, steps=1)
    got = {r["impl"]: (r["sample_strategy"], r["estimator"], r.get("cpu_noise")) for r in rows}
    assert got == {
        "blth": ("per_sample", "weight_samples", "native"),
        "blth_local_reparam": ("per_sample", "local_reparam", None),  # draws no weight noise
        "blth_per_sample": ("per_sample", "weight_samples", "native"),
        "blth_stacked": ("stacked", "weight_samples", "native"),
        "blth_torch_noise": ("per_sample", "weight_samples", "torch"),
        "blth_flipout": ("per_sample", "flipout", "native"),
    }
    assert all(r["ratio_to_det_x_samples"] is None for r in rows)  # no det case in this run
