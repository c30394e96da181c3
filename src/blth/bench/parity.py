"""One study on two devices, side by side: each run's accuracy and calibration from its tables.

The GPU check (benchmarks/device-run.sh) runs the embedded demo with ``device: cuda`` and holds
its runs against the CPU demo's committed summary (benchmarks/demo-cpu.json). The two cannot
agree bit for bit: the weight noise comes from another generator (blth's CPU kernel against
torch's CUDA Philox) and the GPU trains under bf16 autocast. What should hold is that no model,
arm, chain or branch differs by more than the seed-to-seed spread of such a small study.

``python -m blth.bench.parity TABLES [--out SUMMARY.json] [--against OTHER.json [--any-seed]]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from blth.io.artefacts import IDENTITY_COLUMNS, read_rows

METRICS = ("acc_mean", "best_test_acc", "ece", "train_seconds")  # kept per run
KEY = ("model", "arm", "chain", "branch", "seed", "level")  # identifies a run within one study
GROUP = ("model", "arm", "chain", "branch")  # one line of the comparison

Row = dict[str, Any]


def summarise(tables: Path) -> dict[str, Any]:
    """The runs of ``tables`` (a study's tables/ folder): per run its identity, metrics and
    device, sorted by identity, and the devices the study trained on."""
    runs = sorted(read_rows(tables / "runs.parquet", "runs"), key=_key)
    rows = [{col: run[col] for col in (*IDENTITY_COLUMNS, *METRICS, "device")} for run in runs]
    return {"tables": str(tables), "devices": sorted({r["device"] for r in rows}), "rows": rows}


def compare(
    ours: dict[str, Any], theirs: dict[str, Any], any_seed: bool = False
) -> tuple[list[Row], list[str]]:
    """Per model × arm × chain × branch: the mean test accuracy of each side over the runs both
    have, and the mean and largest difference (ours − theirs, percentage points). Also the keys
    of runs only one side has. ``any_seed``: pair runs whatever their seed (two one-seed
    studies: the seed-to-seed spread to hold a device's differences against)."""
    key = _key_without_seed if any_seed else _key
    index = {key(r): r for r in theirs["rows"]}
    if len(index) < len(theirs["rows"]):
        raise ValueError("any_seed pairs one-seed studies only: theirs has several seeds")
    ours_keys = {key(r) for r in ours["rows"]}
    unmatched = [f"only in ours: {k}" for k in sorted(ours_keys - index.keys())]
    unmatched += [f"only in theirs: {k}" for k in sorted(index.keys() - ours_keys)]
    groups: dict[tuple[str, ...], list[tuple[Row, Row]]] = defaultdict(list)
    for row in ours["rows"]:
        if key(row) in index:
            groups[tuple(row[c] for c in GROUP)].append((row, index[key(row)]))
    lines = []
    for group, pairs in sorted(groups.items()):
        diffs = [100 * (a["acc_mean"] - b["acc_mean"]) for a, b in pairs]
        lines.append(
            dict(zip(GROUP, group))
            | {
                "runs": len(pairs),
                "ours_acc": 100 * statistics.fmean(a["acc_mean"] for a, _ in pairs),
                "theirs_acc": 100 * statistics.fmean(b["acc_mean"] for _, b in pairs),
                "mean_diff_pts": statistics.fmean(diffs),
                "largest_diff_pts": max(diffs, key=abs),
            }
        )
    return lines, unmatched


def markdown(lines: list[Row], ours: str, theirs: str) -> str:
    """The comparison as a Markdown table, accuracies in %."""
    out = [
        f"| model | arm | chain | branch | runs | {ours} acc | {theirs} acc | mean Δ pts "
        "| largest Δ pts |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for ln in lines:
        out.append(
            f"| {ln['model']} | {ln['arm']} | {ln['chain']} | {ln['branch']} | {ln['runs']} "
            f"| {ln['ours_acc']:.1f} | {ln['theirs_acc']:.1f} "
            f"| {ln['mean_diff_pts']:+.1f} | {ln['largest_diff_pts']:+.1f} |"
        )
    diffs = [ln["mean_diff_pts"] for ln in lines]
    if diffs:
        out.append(
            f"\nover {len(lines)} groups: mean Δ {statistics.fmean(diffs):+.2f} pts, "
            f"largest group mean Δ {max(diffs, key=abs):+.2f} pts"
        )
    return "\n".join(out)


def _key(row: Row) -> tuple[Any, ...]:
    return tuple(row[c] for c in KEY)


def _key_without_seed(row: Row) -> tuple[Any, ...]:
    return tuple(row[c] for c in KEY if c != "seed")


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    p = argparse.ArgumentParser(prog="python -m blth.bench.parity", description=__doc__)
    p.add_argument("tables", type=Path, help="a study's tables/ folder")
    p.add_argument("--out", type=Path, help="write the summary (JSON) here")
    p.add_argument("--against", type=Path, help="a summary of the same study on another device")
    p.add_argument("--any-seed", action="store_true", help="pair runs whatever their seed")
    args = p.parse_args(argv)
    ours = summarise(args.tables)
    if args.out:
        args.out.write_text(json.dumps(ours, indent=1) + "\n")
    if args.against:
        theirs = json.loads(args.against.read_text())
        lines, unmatched = compare(ours, theirs, args.any_seed)
        label = " + ".join(ours["devices"]), " + ".join(theirs["devices"])
        print(markdown(lines, *label))
        for line in unmatched:
            print(line)
        if not lines:
            print(f"error: no run of {args.tables} is in {args.against}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
