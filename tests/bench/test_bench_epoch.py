"""The epoch benchmark (benchmarks/gpu.sh): its quick mode end to end on the CPU, the budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from blth.bench import epoch as bench_epoch
from blth.bench import epoch_plan

IDENTITY = {"model", "bayesian", "sample_strategy", "samples", "batch", "images", "amp"}
CONTEXT = {"amp_active", "compile", "jobs", "device", "versions", "threads", "status"}
TIMING = {"steps_per_epoch", "steps_timed", "full_epoch", "epoch_s", "images_per_s", "step_ms"}
SHARED = {"steps_timed", "full_epoch", "epoch_s", "epoch_s_each", "images_per_s_total"}


def test_quick_mode_runs_every_kind_of_case(tmp_path: Path):
    out = tmp_path / "epochs.jsonl"
    src = str(Path(bench_epoch.__file__).resolve().parents[2])  # src/blth/bench/epoch.py
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "blth.bench.epoch", "--quick", "--device", "cpu"]
    cmd += ["--threads", "1", "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=True)
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [json.loads(line) for line in out.read_text().splitlines()] == rows
    assert len(rows) == len(epoch_plan.QUICK_PLAN)
    for row, case in zip(rows, epoch_plan.QUICK_PLAN, strict=True):
        assert row.keys() >= IDENTITY | CONTEXT, row
        assert (row["model"], row["jobs"], row["compile"]) == (case.model, case.jobs, case.compile)
        assert row["device"].startswith("cpu (") and not row["amp_active"]  # CPU: no autocast
        if case.compile:  # per_sample: refused when the run starts, as in a job
            assert row["status"] == "refused"
            assert row["reason"].startswith("train.compile: true is not supported")
            continue
        assert row["status"] == "ok", row
        assert row.keys() >= (TIMING if case.jobs == 1 else SHARED), row
        assert row["full_epoch"] and row["epoch_s"] > 0
        assert row["steps_per_epoch"] == 2 and row["images"] == 16
        assert row["samples"] == (2 if row["bayesian"] else 1)
    shared = rows[-1]
    assert shared["jobs"] == 2 and len(shared["epoch_s_each"]) == 2
    assert shared["vs_one_at_a_time"] > 0 and shared["images_per_s_total"] > 0


def test_cases_beyond_the_budget_are_reported_as_skipped():
    rows = []
    cpu = torch.device("cpu")
    bench_epoch.run(epoch_plan.PLAN, epoch_plan.SIZES["full"], cpu, 0.0, rows.append)
    assert len(rows) == len(epoch_plan.PLAN)
    assert {r["status"] for r in rows} == {"skipped"}
    assert rows[0]["reason"].startswith("time budget: 0 s left of 0")
    resnet = [r for r in rows if r["model"] == "resnet20" and r["jobs"] == 1]
    assert {(r["sample_strategy"], r["amp"], r["compile"]) for r in resnet} == {
        (kind, amp, compile_)
        for kind in (None, "stacked", "per_sample")
        for amp in (True, False)
        for compile_ in (True, False)
    }  # every combination for ResNet-20
    assert resnet[0]["target_epoch_s"] == 0.4 and resnet[0]["paper_min_per_level"] == 12


def test_find_matches_the_case_alone():
    case = epoch_plan.Case("resnet20", "stacked")
    sizes = epoch_plan.SIZES["quick"]
    row = bench_epoch.describe(case, sizes, torch.device("cpu")) | {"status": "ok"}
    assert epoch_plan.find([row], case) is row
    assert epoch_plan.find([row], epoch_plan.Case("resnet20", "stacked", amp=False)) is None


def test_a_bayesian_compile_is_not_started_in_less_than_its_measured_compile_time():
    rows = []
    compiled = epoch_plan.Case("resnet20", "stacked", compile=True)  # > 195 s on an H200
    sizes = epoch_plan.SIZES["quick"]
    bench_epoch.run([compiled], sizes, torch.device("cpu"), 200.0, rows.append)
    assert rows[0]["status"] == "skipped" and "may need 242" in rows[0]["reason"]


def test_from_case_resumes_the_plan(tmp_path: Path):
    out = tmp_path / "rows.jsonl"
    first = len(epoch_plan.QUICK_PLAN) - 1
    argv = ["--quick", "--device", "cpu", "--threads", "1", "--budget-s", "0"]
    assert bench_epoch.main([*argv, "--from-case", str(first), "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["model"], r["jobs"]) for r in rows] == [("resnet20", 2)]  # the plan's last case
