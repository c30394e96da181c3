"""Bayesian tickets against ensembles of deterministic tickets at equal inference cost.

For every level of an ensemble (``ensembles`` table, :mod:`blth.evaluation.ensembles`: one arm's
tickets of
that level across the seeds) the Bayesian IMP ticket whose predictive costs nearest the same
multiply-accumulates per prediction (on a log scale) is its match, if their costs differ by at
most :data:`MAX_COST_RATIO` (one pruning level's step at 20 %). Each pair compares test
accuracy, NLL, ECE, the AURC of selective prediction and, where ``evaluation.shift.ood`` ran, the
out-of-distribution AUROC (both by the top probability, the score both sides have; the AUROC
averaged over the sets), the Bayesian side as mean ± standard deviation over seeds, all from the
tables.

``blth ensembles TABLES [TABLES ...]`` prints the summary per model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from blth.lottery.arms import DET
from blth.lottery.branches import IMP, MAIN
from blth.report.tables import select
from blth.shift import SCORES

BAYES_ARM = "bnn-snr"
MAX_COST_RATIO = 1.25  # the most two "equal" costs may differ: 1 / 0.8, one level's step
# metric: (column of the runs table, True if higher is better, factor to the printed unit)
METRICS = {
    "acc": ("acc_mean", True, 100.0),  # percentage points
    "nll": ("nll", False, 1.0),  # nats
    "ece": ("ece", False, 100.0),  # percentage points
    "aurc": ("aurc", False, 100.0),  # percentage points of selective risk
    "ood_auroc": ("ood_auroc", True, 100.0),  # percentage points, mean over the OOD sets
}
UNITS = {
    "acc": "accuracy (pts)",
    "nll": "NLL (nats)",
    "ece": "ECE (pts)",
    "aurc": "AURC (pts)",
    "ood_auroc": "OOD AUROC (pts)",
}
KEYS = ["model", "seed", "level"]


def _per_run(table: pd.DataFrame, value: str, name: str, **where: object) -> pd.DataFrame:
    """``table``'s ``value`` by the top-probability score, averaged per run (over coverages or
    out-of-distribution sets) and named ``name``."""
    rows = select(table, score=SCORES[0], **where)
    if rows.empty:
        return pd.DataFrame()
    keys = [k for k in KEYS if k in rows.columns]
    return rows.groupby(keys, as_index=False)[value].mean().rename(columns={value: name})


def bayesian_points(tables: dict[str, pd.DataFrame], arm: str = BAYES_ARM) -> pd.DataFrame:
    """Per model and IMP level of ``arm``: MACs per prediction and each metric's mean and
    standard deviation (``<metric>_sd``) over seeds."""
    series = {"arm": arm, "chain": IMP, "branch": MAIN}
    rows = select(tables["runs"], **series)
    for table, value, name in (("selective", "aurc", "aurc"), ("ood", "auroc", "ood_auroc")):
        found = _per_run(tables[table], value, name, **series)
        rows = (
            rows.merge(found, on=KEYS, how="left")
            if not found.empty
            else rows.assign(**{name: np.nan})
        )
    columns = {m: col for m, (col, _, _) in METRICS.items()}
    grouped = rows.groupby(["model", "level"])
    out = grouped.agg(
        predictive_macs=("predictive_macs", "mean"),
        remaining_fraction=("remaining_fraction", "mean"),
        **{m: (c, "mean") for m, c in columns.items()},
        **{f"{m}_sd": (c, "std") for m, c in columns.items()},
    )
    return out.reset_index()


def ensemble_points(tables: dict[str, pd.DataFrame], arm: str = DET) -> pd.DataFrame:
    """Per model and level: the IMP ensemble of ``arm``'s tickets (metrics named as in
    :data:`METRICS`)."""
    rows = select(tables["ensembles"], arm=arm, chain=IMP).rename(
        columns={f"aurc_{SCORES[0]}": "aurc"}
    )
    ood = _per_run(tables["ensembles_ood"], "auroc", "ood_auroc", arm=arm, chain=IMP)
    rows = (
        rows.merge(ood, on=["model", "level"], how="left")
        if not ood.empty
        else rows.assign(ood_auroc=np.nan)
    )
    keep = ["model", "level", "members", "remaining_fraction", "predictive_macs", *METRICS]
    return rows[keep].reset_index(drop=True)


def matched(
    tables: dict[str, pd.DataFrame], ensemble_arm: str = DET, bayes_arm: str = BAYES_ARM
) -> pd.DataFrame:
    """Each ensemble level beside the Bayesian level of nearest cost: columns ``model``,
    ``ensemble_level``, ``bayes_level``, ``cost_ratio`` (Bayesian ÷ ensemble MACs) and per
    metric ``ensemble_<m>``, ``bayes_<m>``, ``bayes_<m>_sd``."""
    ens, bayes = ensemble_points(tables, ensemble_arm), bayesian_points(tables, bayes_arm)
    pairs = []
    for _, e in ens.iterrows():
        candidates = bayes[bayes["model"] == e["model"]]
        if candidates.empty:
            continue
        gap = np.abs(np.log(candidates["predictive_macs"] / e["predictive_macs"]))
        if gap.min() > np.log(MAX_COST_RATIO) + 1e-9:
            continue
        b = candidates.loc[gap.idxmin()]
        pair = {
            "model": e["model"],
            "members": int(e["members"]),
            "ensemble_level": int(e["level"]),
            "bayes_level": int(b["level"]),
            "cost_ratio": float(b["predictive_macs"] / e["predictive_macs"]),
        }
        for m in METRICS:
            pair |= {f"ensemble_{m}": e[m], f"bayes_{m}": b[m], f"bayes_{m}_sd": b[f"{m}_sd"]}
        pairs.append(pair)
    return pd.DataFrame(pairs)


def summary(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per model: the number of cost-matched pairs, the Bayesian accuracy's mean standard
    deviation over seeds (``acc_sd``, pts) and, per metric, the mean difference ensemble −
    Bayesian (in the printed unit) and the pairs in which the ensemble is better."""
    rows = []
    for model, part in pairs.groupby("model", sort=False):
        row: dict[str, object] = {"model": model, "pairs": len(part)}
        row["acc_sd"] = float(part["bayes_acc_sd"].mean() * METRICS["acc"][2])
        for m, (_, higher, factor) in METRICS.items():
            delta = (part[f"ensemble_{m}"] - part[f"bayes_{m}"]) * factor
            row[f"{m}_delta"] = float(delta.mean())
            row[f"{m}_wins"] = int((delta > 0).sum() if higher else (delta < 0).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(pairs: pd.DataFrame) -> str:
    """The summary as a Markdown table: mean Δ (ensemble − Bayesian) and the ensemble's wins."""
    rows = summary(pairs)
    shown = [m for m in METRICS if rows[f"{m}_delta"].notna().any()]  # OOD only with shift
    head = ["model", "cost-matched levels", "Bayesian sd over seeds (pts)"]
    head += [f"Δ {UNITS[m]}" for m in shown]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in rows.iterrows():
        n = r["pairs"]
        digits = {m: 2 if m == "nll" else 1 for m in METRICS}
        cells = [
            f"{r[f'{m}_delta']:+.{digits[m]}f} (ensemble better in {r[f'{m}_wins']}/{n})"
            for m in shown
        ]
        lines.append(f"| {r['model']} | {n} | {r['acc_sd']:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
