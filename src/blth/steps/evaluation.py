"""Evaluation of every run from its saved test predictions, and the experiment's tables.

Training jobs save the predictive probabilities of repeated stochastic passes; everything here
is computed from those files on the CPU in one local job, so changing an evaluation setting
(bins, passes shown) reruns this step only, never a training.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from blth import artefacts
from blth.lottery import masks

log = logging.getLogger(__name__)

IDENTITY = [name for name, _ in artefacts.IDENTITY]
TABLES = ("runs", "epochs", "layers", "calibration")


def _passes(run_dir: Path):
    """(mean probs [P, N, C], labels [N], mutual information [P, N]) as torch tensors."""
    import torch

    table = pq.read_table(run_dir / "predictions.parquet")
    passes = table.column("pass").to_numpy()
    n_pass = int(passes.max()) + 1
    classes = [c for c in table.column_names if c.startswith("p") and c[1:].isdigit()]
    probs = np.stack([table.column(c).to_numpy() for c in classes], axis=1)
    probs = torch.from_numpy(probs.reshape(n_pass, -1, len(classes)))
    mi = torch.from_numpy(table.column("mutual_information").to_numpy().reshape(n_pass, -1))
    labels = torch.from_numpy(table.column("label").to_numpy()[: probs.shape[1]])
    return probs, labels, mi


def summarize_run(run: dict, ev: dict) -> tuple[dict, list[dict], list[dict]]:
    """One run's summary row, reliability-bin rows (first pass) and per-layer sparsity rows.

    ``run`` holds the identity columns and ``run_dir``; ``ev`` the evaluation settings.
    """
    from blth import metrics

    run_dir = Path(run["run_dir"])
    ident = {k: run[k] for k in IDENTITY}
    epochs = artefacts.read_rows(run_dir / "epochs.parquet")
    probs, labels, mi = _passes(run_dir)
    results = [
        dataclasses.replace(
            metrics.calibration(
                p.unsqueeze(0), labels, ev["ece_bins"], ev["mace_bins"], ev["classwise_bins"]
            ),
            mutual_information=float(m.mean()),
        )
        for p, m in zip(probs, mi)
    ]
    run_masks = masks.load_masks(run_dir / "mask.safetensors")
    n_prunable, n_remaining = masks.counts(run_masks)
    best = max(epochs, key=lambda r: r["test_acc"])
    seconds = sum(r["seconds"] for r in epochs)
    images = sum(r["images_per_second"] * r["seconds"] for r in epochs)
    accs = [r.accuracy for r in results]
    mean_of = {
        k: float(np.mean([getattr(r, k) for r in results]))
        for k in ("nll", "brier", "ece", "mace", "mace_classwise100", "entropy")
    }
    summary = {
        **ident,
        "remaining_fraction": n_remaining / n_prunable,
        "n_prunable": n_prunable,
        "n_remaining": n_remaining,
        "best_test_acc": best["test_acc"],
        "best_epoch": best["epoch"],
        "final_test_acc": epochs[-1]["test_acc"],
        "acc_mean": float(np.mean(accs)),
        "acc_std": float(np.std(accs)),
        **mean_of,
        "mutual_information": (
            float(np.mean([r.mutual_information for r in results]))
            if ident["bayesian"]
            else math.nan
        ),
        "train_seconds": seconds,
        "images_per_second": images / max(seconds, 1e-9),
        "ticket_search_seconds": math.nan,
        "epochs": len(epochs),
        "samples": int(run["samples"]),
        "passes": len(results),
        "device": epochs[-1]["device"],
        "run_dir": str(run_dir),
    }
    bins = metrics.reliability_bins(probs[0], labels, ev["ece_bins"])
    layers = masks.sparsity_rows(run_masks)
    return summary, [{**ident, **b} for b in bins], [{**ident, **r} for r in layers]


def add_ticket_search_seconds(rows: list[dict]) -> None:
    """Transplant rows: deterministic IMP training time spent on the levels below theirs."""
    det = {
        (r["seed"], r["level"]): r["train_seconds"]
        for r in rows
        if r["arm"] == "det" and r["chain"] == "imp" and r["branch"] == "main"
    }
    for r in rows:
        if r["branch"] == "transplant":
            below = [det.get((r["seed"], lvl)) for lvl in range(r["level"])]
            r["ticket_search_seconds"] = math.nan if None in below else float(sum(below))


def aggregate(runs: list[dict], ev: dict, out: dict[str, str]) -> None:
    """Evaluate every run and write ``out[table]`` for the tables runs, epochs, layers and
    calibration (schemas in :mod:`blth.artefacts`)."""
    summaries, calibration, layers = [], [], []
    for i, run in enumerate(runs):
        s, c, lay = summarize_run(run, ev)
        summaries.append(s)
        calibration += c
        layers += lay
        if (i + 1) % 50 == 0:
            log.info("evaluated %d / %d runs", i + 1, len(runs))
    add_ticket_search_seconds(summaries)
    artefacts.write_table(summaries, out["runs"], "runs")
    artefacts.write_table(calibration, out["calibration"], "calibration")
    artefacts.write_table(layers, out["layers"], "layers")
    n = artefacts.concat_tables(
        [Path(r["run_dir"]) / "epochs.parquet" for r in runs], out["epochs"], "epochs"
    )
    log.info("%d runs, %d epoch rows -> %s", len(runs), n, Path(out["runs"]).parent)
