"""The aggregate step on synthetic per-run epoch logs and per-series evaluation tables."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from blth.io import artefacts
from blth.steps import aggregate

EPOCH = {
    "lr": 1e-3,
    "train_loss": 1.0,
    "train_nll": 1.0,
    "train_kl": 0.0,
    "train_acc": 0.5,
    "test_nll": 1.0,
    "images_per_second": 100.0,
    "device": "cpu",
}
EVALUATION = (
    {c: 0.5 for c, t in artefacts.EVALUATION_COLUMNS if str(t) == "double"}
    | {
        "n_prunable": 10,
        "n_remaining": 5,
        "samples": 1,
        "passes": 1,
    }
    | {column: 100 for column, _ in artefacts.COST_COLUMNS}
)
BIN = {"bin": 0, "lower": 0.0, "upper": 1.0, "count": 3, "mean_confidence": 0.5, "accuracy": 0.5}
LAYER = {"name": "fc1", "index": 0, "n_weights": 10, "n_remaining": 5}
SHIFT = {"corruption": "contrast", "severity": 5, "acc": 0.4, "nll": 2.0, "ece": 0.3}
SELECTIVE = {"score": "max_probability", "coverage": 0.5, "risk": 0.1, "aurc": 0.05}


def epochs(accs: list[float], seconds: float = 2.0) -> list[dict]:
    return [{**EPOCH, "epoch": i, "test_acc": a, "seconds": seconds} for i, a in enumerate(accs)]


def identity(arm: str, level: int, branch: str = "main") -> dict:
    return {
        "experiment": "x",
        "dataset": "digits",
        "model": "lenet_16",
        "arm": arm,
        "bayesian": arm != "det" or branch == "transplant",
        "criterion": "magnitude" if arm == "det" else "snr",
        "chain": "imp",
        "branch": branch,
        "seed": 0,
        "level": level,
    }


def write_series(root: Path, arm: str, branch: str, levels: list[int], rows_per_level: int = 1):
    """One series' evaluation folder; its run records and epoch-log paths."""
    folder = root / "evaluation" / arm / branch
    per_level = {
        "runs": [{"level": lvl, **EVALUATION} for lvl in levels for _ in range(rows_per_level)],
        "calibration": [{"level": lvl, **BIN} for lvl in levels],
        "layers": [{"level": lvl, **LAYER} for lvl in levels],
        "shift": [{"level": lvl, **SHIFT} for lvl in levels],
        "selective": [{"level": lvl, **SELECTIVE} for lvl in levels],
        "ood": [],  # a series evaluated without an out-of-distribution set
    }
    for table, rows in per_level.items():
        artefacts.write_table(rows, folder / f"{table}.parquet", artefacts.evaluation_table(table))
    runs, logs = [], []
    for lvl in levels:
        run_dir = root / "runs" / arm / branch / f"L{lvl}"
        artefacts.write_table(
            epochs([0.2, 0.4 + lvl / 10]), run_dir / "epochs.parquet", "run_epochs"
        )
        runs.append(
            {**identity(arm, lvl, branch), "run_dir": str(run_dir), "evaluation": str(folder)}
        )
        logs.append(str(run_dir / "epochs.parquet"))
    return runs, logs


def aggregated(tmp_path: Path, series: list[tuple[str, str, list[int]]]) -> dict[str, list[dict]]:
    runs, inputs = [], {"epochs": []} | {t: [] for t in artefacts.EVALUATION_TABLES}
    for arm, branch, levels in series:
        r, logs = write_series(tmp_path, arm, branch, levels)
        runs += r
        inputs["epochs"] += logs
        for t in artefacts.EVALUATION_TABLES:
            inputs[t].append(str(tmp_path / "evaluation" / arm / branch / f"{t}.parquet"))
    out = {t: str(tmp_path / "tables" / f"{t}.parquet") for t in artefacts.TABLES}
    aggregate.aggregate(runs, inputs, out)
    return {t: artefacts.read_rows(out[t], t) for t in artefacts.TABLES}


def test_every_run_gets_its_evaluation_and_training_summary(tmp_path):
    tables = aggregated(tmp_path, [("det", "main", [0, 1, 2]), ("det", "transplant", [2])])
    assert [(r["branch"], r["level"]) for r in tables["runs"]] == [
        ("main", 0),
        ("main", 1),
        ("main", 2),
        ("transplant", 2),
    ]
    first = tables["runs"][1]
    assert first["best_test_acc"] == pytest.approx(0.5) and first["best_epoch"] == 1
    assert first["train_seconds"] == 4.0 and first["epochs"] == 2
    assert len(tables["epochs"]) == 8 and len(tables["layers"]) == len(tables["calibration"]) == 4
    assert len(tables["shift"]) == len(tables["selective"]) == 4 and tables["ood"] == []
    # a transplant's ticket search: the deterministic IMP trainings of the levels below it
    assert tables["runs"][3]["ticket_search_seconds"] == 8.0
    assert math.isnan(tables["runs"][0]["ticket_search_seconds"])


def test_a_transplant_without_its_ticket_search_gets_nan(tmp_path):
    tables = aggregated(tmp_path, [("det", "main", [0]), ("det", "transplant", [2])])
    assert math.isnan(tables["runs"][1]["ticket_search_seconds"])


def test_an_evaluation_with_two_rows_for_a_level_is_refused(tmp_path):
    runs, logs = write_series(tmp_path, "det", "main", [0], rows_per_level=2)
    inputs = {"epochs": logs} | {
        t: [str(tmp_path / "evaluation/det/main" / f"{t}.parquet")]
        for t in artefacts.EVALUATION_TABLES
    }
    out = {t: str(tmp_path / f"{t}.parquet") for t in artefacts.TABLES}
    with pytest.raises(ValueError, match="2 rows for level 0, expected 1"):
        aggregate.aggregate(runs, inputs, out)


def test_an_epoch_log_with_a_gap_is_refused():
    log = epochs([0.1, 0.2, 0.3])
    del log[1]
    with pytest.raises(ValueError, match=r"epochs \[0, 2\], not consecutive"):
        aggregate.training_summary(log, "epochs.parquet")
