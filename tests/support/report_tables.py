"""Hand-made tables that follow the artefact contract (blth.io.artefacts), for the report's tests,
and helpers that read a chart's Vega-Lite spec."""

from __future__ import annotations

import numpy as np
import pandas as pd

from blth.report import tables as tb
from blth.steps.aggregate import add_ticket_search_seconds

MODELS = ("resnet20", "vgg11")
ARMS = ("det", "bnn-snr", "bnn-mean")
EXPECTED_FIGURES = [
    "accuracy_mace",
    "layer_sparsity",
    "randomisation",
    "transplant",
    "transplant_compute",
    "cost_frontier",
    "lrr",
    "runtime_table",
    "reliability",
    "nll_ece",
    "training_curves",
    "matching_summary",
    "selective_aurc",
    "risk_coverage",
    "ood_detection",
    "shift_calibration",
]
LAYERS = (("conv1.weight", 400), ("layer1.0.conv1.weight", 2000), ("layer2.0.conv1.weight", 8000))


def identity_row(model, arm, chain, branch, seed, level, bayesian=None):
    return {
        "experiment": "demo",
        "model": model,
        "arm": arm,
        "bayesian": arm != "det" if bayesian is None else bayesian,
        "chain": chain,
        "branch": branch,
        "seed": seed,
        "level": level,
    }


def run_row(model, arm, chain, branch, seed, level, bayesian=None, acc=None, seconds=None):
    ident = identity_row(model, arm, chain, branch, seed, level, bayesian)
    bayes = ident["bayesian"]
    frac = 0.8**level
    if acc is None:
        acc = 0.9 - 0.004 * level - 0.02 * (branch != "main") + 0.001 * seed
    if seconds is None:
        seconds = 180.0 if bayes else 60.0
    return {
        **ident,
        "dataset": "cifar10",
        "criterion": "magnitude" if arm == "det" else arm.removeprefix("bnn-"),
        "remaining_fraction": frac,
        "n_prunable": 10400,
        "n_remaining": round(10400 * frac),
        "best_test_acc": acc,
        "best_epoch": 3,
        "final_test_acc": acc - 0.002,
        "acc_mean": acc - 0.001,
        "acc_std": 0.002 if bayes else 0.0,
        "nll": 0.3 + 0.01 * level,
        "brier": 0.15,
        "ece": 0.02 + 0.001 * level,
        "mace": 0.05 - 0.001 * level,
        "mace_classwise100": 0.01,
        "entropy": 0.2 if bayes else np.nan,
        "mutual_information": 0.01 if bayes else np.nan,
        "train_seconds": seconds,
        "images_per_second": 50000 * 4 / seconds,
        "epochs": 4,
        "ticket_search_seconds": np.nan,  # the aggregation's, see with_ticket_search
        "samples": 10 if bayes else 1,
        "weight_macs": round(40e6 * frac),
        "predictive_macs": round(40e6 * frac) * (10 if bayes else 1),
        "stored_parameters": round(270e3 * frac) * (2 if bayes else 1),
        "storage_bytes": round(4 * 270e3 * frac) * (2 if bayes else 1),
        "device": "cpu",
        "run_dir": f"results/demo/runs/{model}/{arm}/{chain}/{branch}/{seed}/{level}",
    }


def run_keys(levels=4, seeds=(0,)):
    """(model, arm, chain, branch, seed, level, bayesian) of a small but complete experiment."""
    keys = []
    for model in MODELS:
        for seed in seeds:
            for level in range(levels):
                for arm in ARMS:
                    keys.append((model, arm, "imp", "main", seed, level, None))
                for arm in ("det", "bnn-snr"):
                    keys.append((model, arm, "lrr", "main", seed, level, None))
                    if level > 0:
                        for branch in tb.RANDOM_BRANCHES:
                            keys.append((model, arm, "imp", branch, seed, level, None))
                keys.append((model, "det", "imp", "transplant", seed, level, True))
    return keys


def with_ticket_search(rows):
    """``rows`` with the transplants' ticket_search_seconds, as the aggregation adds them to
    one experiment (here: one model) at a time."""
    out = []
    for model in dict.fromkeys(r["model"] for r in rows):
        part = [dict(r) for r in rows if r["model"] == model]
        add_ticket_search_seconds(part)
        out += part
    return out


def make_tables(levels=4, seeds=(0,)):
    keys = run_keys(levels, seeds)
    runs = pd.DataFrame(with_ticket_search([run_row(*k) for k in keys]))
    epochs, layers, calibration, shift, ood, selective = [], [], [], [], [], []
    for key in keys:
        ident = identity_row(*key)
        frac = 0.8 ** ident["level"]
        scores = ["max_probability", "entropy"] if ident["bayesian"] else ["max_probability"]
        for score in scores:
            for coverage in (0.5, 1.0):
                risk = 0.1 * coverage + 0.002 * ident["level"]
                aurc = 0.05 + 0.002 * ident["level"]
                selective.append({**ident, "score": score, "coverage": coverage, "risk": risk})
                selective[-1]["aurc"] = aurc
        for severity in (1, 5):
            ece = 0.02 * severity + 0.001 * ident["level"]
            shift.append(
                {**ident, "corruption": "rotation", "severity": severity, "acc": 0.8, "nll": 1.0}
                | {"ece": ece}
            )
        for score in ("entropy", "max_probability"):
            ood.append(
                {
                    **ident,
                    "ood": "uniform_noise",
                    "score": score,
                    "auroc": 0.9 - 0.01 * ident["level"],
                }
                | {"aupr": 0.8}
            )
        for epoch in range(4):
            epochs.append(
                {
                    **ident,
                    "epoch": epoch,
                    "lr": 1e-3,
                    "train_loss": 1.0 / (epoch + 1),
                    "train_nll": 1.0 / (epoch + 1),
                    "train_kl": 0.1,
                    "train_acc": 0.5 + 0.1 * epoch,
                    "test_acc": 0.5 + 0.1 * epoch - 0.01 * ident["level"],
                    "test_nll": 1.0 / (epoch + 1),
                    "seconds": 15.0,
                    "images_per_second": 3000.0,
                }
            )
        for index, (name, n) in enumerate(LAYERS):
            layer_frac = min(1.0, frac * (1.5 - 0.5 * index))
            layers.append(
                {
                    **ident,
                    "name": name,
                    "index": index,
                    "n_weights": n,
                    "n_remaining": round(n * layer_frac),
                }
            )
        for b in range(5):
            calibration.append(
                {
                    **ident,
                    "bin": b,
                    "lower": b / 5,
                    "upper": (b + 1) / 5,
                    "count": 0 if b == 0 else 100 * b,
                    "mean_confidence": np.nan if b == 0 else (b + 0.5) / 5,
                    "accuracy": np.nan if b == 0 else (b + 0.3) / 5,
                }
            )
    return {
        "runs": runs,
        "epochs": pd.DataFrame(epochs),
        "layers": pd.DataFrame(layers),
        "calibration": pd.DataFrame(calibration),
        "shift": pd.DataFrame(shift),
        "ood": pd.DataFrame(ood),
        "selective": pd.DataFrame(selective),
        "ensembles": ensembles(runs),
        "ensembles_ood": tb.empty_table("ensembles_ood"),
    }


def ensembles(runs: pd.DataFrame) -> pd.DataFrame:
    """The det IMP tickets of each level as a two-member ensemble, a little more accurate."""
    det = tb.select(runs, arm="det", chain="imp", branch="main")
    shared = ["experiment", "dataset", "model", "arm", "bayesian", "criterion", "chain", "branch"]
    rows = det.groupby([*shared, "level"], as_index=False).agg(
        remaining_fraction=("remaining_fraction", "mean"),
        member_acc_mean=("acc_mean", "mean"),
        predictive_macs=("predictive_macs", "sum"),
        storage_bytes=("storage_bytes", "sum"),
    )
    return rows.assign(
        seeds="0,1",
        members=2,
        acc=rows["member_acc_mean"] + 0.01,
        nll=0.4,
        brier=0.2,
        ece=0.03,
        mace=0.05,
        aurc_max_probability=0.03,
        aurc_entropy=0.03,
        aurc_mutual_information=0.05,
    )[tb.SCHEMAS["ensembles"].names]


def inner_layers(spec: dict) -> list[dict]:
    """The layers of a (faceted) chart's inner spec."""
    inner = spec.get("spec", spec)
    return inner.get("layer", [inner])


def mark_type(layer: dict) -> str:
    mark = layer["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def layer_with(spec: dict, mark: str) -> dict:
    found = [lay for lay in inner_layers(spec) if mark_type(lay) == mark]
    assert found, f"no {mark} layer in {[mark_type(lay) for lay in inner_layers(spec)]}"
    return found[0]


def tooltip_fields(layer: dict) -> set[str]:
    tips = layer["encoding"]["tooltip"]
    return {t["field"] for t in (tips if isinstance(tips, list) else [tips])}


def assert_remaining_axis(layer: dict) -> None:
    x = layer["encoding"]["x"]
    assert x["field"] == "pct_remaining"
    assert x["type"] == "quantitative"
    assert x["scale"]["type"] == "log"
    assert x["scale"]["reverse"] is True


def inline_rows(spec: dict) -> list[dict]:
    """The inline data of a chart spec (Altair puts it in 'datasets')."""
    (rows,) = spec["datasets"].values()
    return rows


# --------------------------------------------------------------------------- registry
