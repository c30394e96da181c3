"""The experiment's tables from every run's epoch log and every series' evaluation (the
``aggregate`` job: numpy and pyarrow only, no network is run)."""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from pathlib import Path

from blth.io import artefacts, safefiles
from blth.lottery.arms import DET
from blth.lottery.branches import IMP, MAIN, TRANSPLANT

log = logging.getLogger(__name__)

IDENTITY = list(artefacts.IDENTITY_COLUMNS)
# Evaluation tables with several rows per level (the runs table has exactly one).
PER_LEVEL_TABLES = tuple(t for t in artefacts.EVALUATION_TABLES if t != "runs")


def training_summary(epochs: list[dict], path: str) -> dict:
    """The runs-table columns that summarise one run's epoch log."""
    numbers = [r["epoch"] for r in epochs]
    if not numbers or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        raise ValueError(
            f"{path}: the epoch log holds epochs {numbers}, not consecutive epochs. "
            + safefiles.rerun_remedy(path)
        )
    best = max(epochs, key=lambda r: r["test_acc"])
    seconds = sum(r["seconds"] for r in epochs)
    images = sum(r["images_per_second"] * r["seconds"] for r in epochs)
    return {
        "best_test_acc": best["test_acc"],
        "best_epoch": best["epoch"],
        "final_test_acc": epochs[-1]["test_acc"],
        "train_seconds": seconds,
        "images_per_second": images / max(seconds, 1e-9),
        "ticket_search_seconds": math.nan,
        "epochs": len(epochs),
        "device": epochs[-1]["device"],
    }


def add_ticket_search_seconds(rows: list[dict]) -> None:
    """Transplant rows: deterministic IMP training time spent on the levels below theirs."""
    det = {
        (r["seed"], r["level"]): r["train_seconds"]
        for r in rows
        if r["arm"] == DET and r["chain"] == IMP and r["branch"] == MAIN
    }
    for r in rows:
        if r["branch"] == TRANSPLANT:
            below = [det.get((r["seed"], lvl)) for lvl in range(r["level"])]
            found = [s for s in below if s is not None]
            r["ticket_search_seconds"] = math.nan if len(found) < len(below) else float(sum(found))


def _by_series_level(paths: list[str], table: str) -> dict[tuple, list[dict]]:
    """Rows of every series' evaluation table ``table``, keyed by (series folder, level)."""
    found: dict[tuple, list[dict]] = defaultdict(list)
    for path in paths:
        for row in artefacts.read_rows(path, artefacts.evaluation_table(table)):
            found[(str(Path(path).parent), row.pop("level"))].append(row)
    return found


def aggregate(
    runs: list[dict],
    inputs: dict[str, list[str]],
    out: dict[str, str],
    ensembles: list[dict] | None = None,
) -> None:
    """Write ``out[table]`` for every table of :data:`blth.io.artefacts.TABLES`.

    ``runs`` holds each run's identity columns, ``run_dir`` and ``evaluation`` (its series'
    folder); ``inputs`` the per-run epoch logs (in the order of ``runs``), the per-series
    evaluation tables and the ensemble jobs' tables (``inputs[t]`` for t in ENSEMBLE_TABLES, in
    the order of ``ensembles``, which holds each ensemble's identity).
    """
    evaluated = {t: _by_series_level(inputs[t], t) for t in artefacts.EVALUATION_TABLES}
    tables: dict[str, list[dict]] = {t: [] for t in artefacts.TABLES}
    for run, epochs_path in zip(runs, inputs["epochs"], strict=True):
        ident = {k: run[k] for k in IDENTITY}
        key = (run["evaluation"], run["level"])
        found = evaluated["runs"].get(key, [])
        if len(found) != 1:
            path = f"{run['evaluation']}/runs.parquet"
            raise ValueError(
                f"{path}: {len(found)} rows for level {run['level']}, expected 1. "
                + safefiles.rerun_remedy(path)
            )
        epochs = artefacts.read_rows(epochs_path, artefacts.RUN_EPOCHS)
        (row,) = found
        summary = training_summary(epochs, epochs_path)
        tables["runs"].append({**ident, **row, **summary, "run_dir": run["run_dir"]})
        tables["epochs"] += [{**ident, **r} for r in epochs]
        for table in PER_LEVEL_TABLES:
            tables[table] += [{**ident, **r} for r in evaluated[table][key]]
    add_ticket_search_seconds(tables["runs"])
    for table in artefacts.ENSEMBLE_TABLES:
        for ident, path in zip(ensembles or [], inputs.get(table, []), strict=True):
            rows = artefacts.read_rows(path, artefacts.ensemble_table(table))
            tables[table] += [{**ident, **r} for r in rows]
    for table, rows in tables.items():
        artefacts.write_table(rows, out[table], table)
    log.info("%d runs, %d epoch rows -> %s", len(runs), len(tables["epochs"]), out["runs"])
