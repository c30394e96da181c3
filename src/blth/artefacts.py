"""Parquet artefacts with fixed schemas: the contract between the workflow and its readers.

Every table is written through :func:`write_table`, which refuses rows whose columns or types
do not match the schema, naming the table and the column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

S, I, F, B = pa.string(), pa.int64(), pa.float64(), pa.bool_()

IDENTITY = [
    ("experiment", S),
    ("dataset", S),
    ("model", S),
    ("arm", S),
    ("bayesian", B),
    ("criterion", S),
    ("chain", S),
    ("branch", S),
    ("seed", I),
    ("level", I),
]

SCHEMAS: dict[str, pa.Schema] = {
    "runs": pa.schema(
        IDENTITY
        + [
            ("remaining_fraction", F),
            ("n_prunable", I),
            ("n_remaining", I),
            ("best_test_acc", F),
            ("best_epoch", I),
            ("final_test_acc", F),
            ("acc_mean", F),
            ("acc_std", F),
            ("nll", F),
            ("brier", F),
            ("ece", F),
            ("mace", F),
            ("mace_classwise100", F),
            ("entropy", F),
            ("mutual_information", F),
            ("train_seconds", F),
            ("images_per_second", F),
            ("ticket_search_seconds", F),
            ("epochs", I),
            ("samples", I),
            ("passes", I),
            ("device", S),
            ("run_dir", S),
        ]
    ),
    "epochs": pa.schema(
        IDENTITY
        + [
            ("epoch", I),
            ("lr", F),
            ("train_loss", F),
            ("train_nll", F),
            ("train_kl", F),
            ("train_acc", F),
            ("test_acc", F),
            ("test_nll", F),
            ("seconds", F),
            ("images_per_second", F),
            ("device", S),
        ]
    ),
    "layers": pa.schema(
        IDENTITY + [("name", S), ("index", I), ("n_weights", I), ("n_remaining", I)]
    ),
    "calibration": pa.schema(
        IDENTITY
        + [
            ("bin", I),
            ("lower", F),
            ("upper", F),
            ("count", I),
            ("mean_confidence", F),
            ("accuracy", F),
        ]
    ),
}


def predictions_schema(classes: int) -> pa.Schema:
    """Final test-set predictive probabilities of each repeated stochastic pass.

    One row per (pass, test example): the predictive mean over the weight samples, one column
    per class (p0, p1, ...), the example's mutual information (0 for deterministic nets) and
    the label.
    """
    return pa.schema(
        [("pass", I)]
        + [(f"p{c}", pa.float32()) for c in range(classes)]
        + [("mutual_information", pa.float32()), ("label", I)]
    )


def _table(rows: Sequence[dict], schema: pa.Schema, name: str) -> pa.Table:
    expected = set(schema.names)
    for i, row in enumerate(rows):
        if set(row) != expected:
            missing, extra = sorted(expected - set(row)), sorted(set(row) - expected)
            raise ValueError(
                f"table {name!r} row {i}: missing columns {missing}, unexpected columns {extra}"
            )
    columns = {}
    for field in schema:
        try:
            columns[field.name] = pa.array([r[field.name] for r in rows], type=field.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError) as err:
            raise TypeError(
                f"table {name!r} column {field.name!r}: expected {field.type}: {err}"
            ) from err
    return pa.table(columns, schema=schema)


def write_table(
    rows: Sequence[dict], path: str | Path, name: str, schema: pa.Schema | None = None
) -> None:
    """Write ``rows`` to ``path`` as table ``name`` (a key of SCHEMAS unless ``schema``)."""
    schema = schema or SCHEMAS[name]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(_table(rows, schema, name), str(path))


def read_rows(path: str | Path) -> list[dict]:
    return pq.read_table(str(path)).to_pylist()


def concat_tables(paths: Iterable[str | Path], path: str | Path, name: str) -> int:
    """Concatenate per-run tables into one, checking each against the schema; returns rows."""
    schema = SCHEMAS[name]
    tables = []
    for p in paths:
        table = pq.read_table(str(p))
        if not table.schema.equals(schema):
            raise ValueError(
                f"{p}: schema of table {name!r} differs from the contract:\n"
                f"{table.schema}\nexpected:\n{schema}"
            )
        tables.append(table)
    out = pa.concat_tables(tables) if tables else schema.empty_table()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(out, str(path))
    return out.num_rows
