"""Add the ensembles table (blth.evaluation.ensembles) to this study's committed tables, from its committed
predictions: for each architecture, det and bnn-snr tickets of each level ensembled across the two
seeds, as the `ensemble` job computes them with `evaluation.ensembles: [det, bnn-snr]`.

(and the empty ensembles_ood: the study ran without evaluation.shift). The study ran at commits
f710e18 and 5d0da3b, before ensembles existed; the ensemble job reads
only the stored predictions and each member's row of the runs table, which the committed tables
hold, so no network is run and no number of the study changes.
Run: .venv/bin/python docs/results/fashion_mnist_paper_nets/add_ensembles.py
"""

from pathlib import Path

import pyarrow.parquet as pq
import yaml

from blth.io import artefacts, predictions
from blth.evaluation import ensembles
from blth.lottery.branches import IMP, MAIN

HERE = Path(__file__).resolve().parent
ARMS = ("det", "bnn-snr")
IDENTITY = [name for name, _ in artefacts.ENSEMBLE_IDENTITY]

for experiment, study in yaml.safe_load((HERE / "config.yaml").read_text())["experiments"].items():
    tables = HERE / "tables" / experiment
    runs = pq.read_table(tables / "runs.parquet").to_pylist()
    bins = (study["evaluation"].get("ece_bins", 15), study["evaluation"].get("mace_bins", 15))
    found: dict[str, list[dict]] = {table: [] for table in artefacts.ENSEMBLE_TABLES}
    for arm in ARMS:
        members = []
        for seed in study["seeds"]:
            series = [
                r
                for r in runs
                if (r["arm"], r["seed"], r["chain"], r["branch"]) == (arm, seed, IMP, MAIN)
            ]
            stored = predictions.load(
                HERE / "predictions" / experiment / arm / f"s{seed}" / artefacts.PREDICTIONS
            )
            members.append(ensembles.Member(seed, stored, {r["level"]: r for r in series}))
        ident = {**series[0], "seeds": ",".join(str(s) for s in study["seeds"])}
        shared = {k: ident[k] for k in IDENTITY}
        for table, rows in zip(artefacts.ENSEMBLE_TABLES, ensembles.ensemble_rows(members, bins)):
            found[table] += [{**shared, **r} for r in rows]
    for table, rows in found.items():  # ensembles_ood stays empty: the study ran no shift
        artefacts.write_table(rows, tables / f"{table}.parquet", table)
        print(f"{tables / table}.parquet: {len(rows)} rows")
