"""An experiment's robustness summary (``evaluation.shift``), computed from its tables: per arm,
the dense network beside its sparsest matching IMP ticket, on the clean test set, under the
corruptions at each severity (accuracy and ECE, mean over corruptions), and telling each
out-of-distribution set apart (AUROC of each score).

``blth robustness TABLES`` prints it as Markdown.
"""

from __future__ import annotations

import pandas as pd

from blth.report.registry import Tables
from blth.report.shift import detection_frame, severity_frame
from blth.report.tables import MATCH_TOLERANCE, TICKET_KEYS, imp_main, pool_seeds

LEADING = ["model", "arm", "ticket", "level", "% weights", "clean acc", "clean ECE"]
PERCENT = ("% weights", "clean acc", "acc s")  # columns (or column prefixes) in percent


def summary(tables: Tables, tolerance: float = MATCH_TOLERANCE) -> pd.DataFrame:
    """One row per model, arm and ticket (dense, sparsest matching): the columns of
    :data:`LEADING`, then ``acc s<k>`` and ``ECE s<k>`` per severity k (mean over the
    corruptions), then ``AUROC <set>: <score>``; accuracies in percent, mean over seeds."""
    severities = severity_frame(tables["shift"], tables["runs"], tolerance)
    if severities.empty:
        return pd.DataFrame(columns=LEADING)
    clean = pool_seeds(imp_main(tables["runs"]), ["acc_mean", "ece"]).set_index(TICKET_KEYS)
    detection = detection_frame(tables["ood"], tables["runs"]).set_index(TICKET_KEYS)
    rows = []
    for (model, arm, level, ticket), group in severities.groupby([*TICKET_KEYS, "ticket"]):
        point = clean.loc[(model, arm, level)]
        row = {"model": model, "arm": arm, "ticket": ticket, "level": level}
        row["% weights"] = point["pct_remaining"]
        row |= {"clean acc": 100 * point["acc_mean"], "clean ECE": point["ece"]}
        by_severity = group.groupby("severity")[["acc", "ece"]].mean()
        row |= {f"acc s{k}": 100 * v for k, v in by_severity["acc"].items()}
        row |= {f"ECE s{k}": v for k, v in by_severity["ece"].items()}
        if (model, arm, level) in detection.index:
            found = detection.loc[[(model, arm, level)]]
            row |= {f"AUROC {p}": v for p, v in zip(found["panel"], found["auroc"], strict=True)}
        rows.append(row)
    return pd.DataFrame(rows).sort_values(["model", "arm", "level"], ignore_index=True)


def markdown(frame: pd.DataFrame) -> str:
    """``frame`` as a Markdown table: percentages with one decimal, ECE and AUROC with three."""

    def cell(column: str, value: object) -> str:
        if isinstance(value, str) or column == "level":
            return str(value)
        if pd.isna(value):
            return "—"
        return f"{value:.1f}" if column.startswith(PERCENT) else f"{value:.3f}"

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    for record in frame.to_dict("records"):
        lines.append("| " + " | ".join(cell(c, record[c]) for c in frame.columns) + " |")
    return "\n".join(lines) + "\n"
