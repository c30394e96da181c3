"""Add the inference-cost columns (blth.evaluation.cost) to this study's committed runs table, once.

The study ran at commit 52795c2, before those columns existed. They depend only on the model's
structure and on each run's remaining weights per layer (layers.parquet) and S, so they are
computed here as the evaluation job computes them now; the check below holds the layer sizes of
the table to those of the rebuilt model.
Run: .venv/bin/python docs/results/fashion_mnist/add_inference_cost.py
"""

from pathlib import Path

import pyarrow.parquet as pq
import yaml

from blth.io import artefacts
from blth.evaluation import cost
from blth.models.registry import build

HERE = Path(__file__).resolve().parent
INPUT_SHAPE = (1, 28, 28)  # Fashion-MNIST
CLASSES = 10

study = yaml.safe_load((HERE / "config.yaml").read_text())["experiments"]["fashion_mnist"]
net = build(study["model"], INPUT_SHAPE, CLASSES, None, **study.get("model_options", {}))
structure = cost.structure(net, INPUT_SHAPE)
runs = pq.read_table(HERE / "tables/runs.parquet").to_pylist()
layers = pq.read_table(HERE / "tables/layers.parquet").to_pylist()
identity = artefacts.IDENTITY_COLUMNS
remaining: dict[tuple, dict[str, int]] = {}
for row in layers:
    assert row["n_weights"] == structure.entries[row["name"]], row
    remaining.setdefault(tuple(row[c] for c in identity), {})[row["name"]] = row["n_remaining"]
for row in runs:
    kept = remaining[tuple(row[c] for c in identity)]
    row.update(cost.cost_columns(structure, kept, row["bayesian"], row["samples"]))
artefacts.write_table(runs, HERE / "tables/runs.parquet", "runs")
print(
    f"{len(runs)} runs: weight MACs per example {min(r['weight_macs'] for r in runs):,}"
    f"–{max(r['weight_macs'] for r in runs):,}"
)
