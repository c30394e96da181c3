"""Parquet artefacts with fixed schemas: the contract between the workflow and its readers.

Every table is written through :func:`write_table`, which refuses rows whose columns or types
do not match the schema, naming the table and the column.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from blth.io.safefiles import replacing, rerun_remedy

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
IDENTITY_COLUMNS = tuple(name for name, _ in IDENTITY)  # identify a run in every table

# Measured per epoch by a training job (its epochs.parquet holds these columns only).
EPOCH_COLUMNS = [
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
# Computed by an evaluation job from a run's final weights and mask.
EVALUATION_COLUMNS = [
    ("remaining_fraction", F),
    ("n_prunable", I),
    ("n_remaining", I),
    ("acc_mean", F),
    ("acc_std", F),
    ("nll", F),
    ("brier", F),
    ("ece", F),
    ("mace", F),
    ("mace_classwise100", F),
    ("entropy", F),
    ("mutual_information", F),
    ("samples", I),
    ("passes", I),
]
# What the run costs at inference (blth.evaluation.cost defines each), computed by the evaluation
# job.
COST_COLUMNS = [
    ("weight_macs", I),
    ("predictive_macs", I),
    ("stored_parameters", I),
    ("storage_bytes", I),
]
# Summaries of a run's epoch log, added by the aggregation.
TRAINING_COLUMNS = [
    ("best_test_acc", F),
    ("best_epoch", I),
    ("final_test_acc", F),
    ("train_seconds", F),
    ("images_per_second", F),
    ("ticket_search_seconds", F),
    ("epochs", I),
    ("device", S),
    ("run_dir", S),
]
LAYER_COLUMNS = [("name", S), ("index", I), ("n_weights", I), ("n_remaining", I)]
BIN_COLUMNS = [
    ("bin", I),
    ("lower", F),
    ("upper", F),
    ("count", I),
    ("mean_confidence", F),
    ("accuracy", F),
]
# Under dataset shift (evaluation.shift, blth.shift): a corrupted test set's predictive ...
SHIFT_COLUMNS = [
    ("corruption", S),
    ("severity", I),
    ("acc", F),
    ("nll", F),
    ("ece", F),
]
# ... and how well a score separates an out-of-distribution set from the test set.
OOD_COLUMNS = [("ood", S), ("score", S), ("auroc", F), ("aupr", F)]
# Selective prediction (blth.evaluation.selective): per confidence score and coverage, the
# selective risk,
# with the score's area under the whole risk-coverage curve.
SELECTIVE_COLUMNS = [("score", S), ("coverage", F), ("risk", F), ("aurc", F)]
# An ensemble of one arm's tickets of the same level across seeds (blth.evaluation.ensembles): its
# predictive (the mean of the members' predictives) measured as a run's, and what it costs.
ENSEMBLE_COLUMNS = [
    ("members", I),
    ("remaining_fraction", F),
    ("acc", F),
    ("member_acc_mean", F),
    ("nll", F),
    ("brier", F),
    ("ece", F),
    ("mace", F),
    ("aurc_max_probability", F),
    ("aurc_entropy", F),
    ("aurc_mutual_information", F),
    ("predictive_macs", I),
    ("storage_bytes", I),
]
# An ensemble is identified as a run, but by the seeds of its members ("0,1") instead of one.
ENSEMBLE_IDENTITY = [c if c[0] != "seed" else ("seeds", S) for c in IDENTITY]
LEVEL = [("level", I)]

SHIFT_TABLES = ("shift", "ood")  # empty unless evaluation.shift asks for them
# Tables a study may leave empty: shift and ood without evaluation.shift, ensembles without
# evaluation.ensembles, and selective and ensembles in a study evaluated before blth 0.4 and 0.5
# (whose tables folder lacks them).
ENSEMBLE_TABLES = ("ensembles", "ensembles_ood")  # empty without evaluation.ensembles
OPTIONAL_TABLES = ("selective", *SHIFT_TABLES, *ENSEMBLE_TABLES)
# The tables of results/*/tables/, and those one evaluation job writes (per level).
TABLES = ("runs", "epochs", "layers", "calibration", "selective", *SHIFT_TABLES, *ENSEMBLE_TABLES)
EVALUATION_TABLES = ("runs", "calibration", "layers", "selective", *SHIFT_TABLES)
RUN_EPOCHS = "run_epochs"  # one training job's epoch log
PREDICTIONS = "predictions.safetensors"  # an evaluation's test predictions (blth.io.predictions)


def evaluation_table(table: str) -> str:
    """The schema name of an evaluation job's table ``table`` (one of EVALUATION_TABLES)."""
    return f"evaluation_{table}"


def ensemble_table(table: str) -> str:
    """The schema name of an ensemble job's table ``table`` (one of ENSEMBLE_TABLES)."""
    return f"job_{table}"


SCHEMAS: dict[str, pa.Schema] = {
    "runs": pa.schema(IDENTITY + EVALUATION_COLUMNS + COST_COLUMNS + TRAINING_COLUMNS),
    "epochs": pa.schema(IDENTITY + EPOCH_COLUMNS),
    "layers": pa.schema(IDENTITY + LAYER_COLUMNS),
    "calibration": pa.schema(IDENTITY + BIN_COLUMNS),
    "selective": pa.schema(IDENTITY + SELECTIVE_COLUMNS),
    "shift": pa.schema(IDENTITY + SHIFT_COLUMNS),
    "ood": pa.schema(IDENTITY + OOD_COLUMNS),
    "ensembles": pa.schema(ENSEMBLE_IDENTITY + ENSEMBLE_COLUMNS),
    "ensembles_ood": pa.schema(ENSEMBLE_IDENTITY + OOD_COLUMNS),
    # per-job artefacts, without identity (a job's path says which run it is)
    RUN_EPOCHS: pa.schema(EPOCH_COLUMNS),
    evaluation_table("runs"): pa.schema(LEVEL + EVALUATION_COLUMNS + COST_COLUMNS),
    evaluation_table("layers"): pa.schema(LEVEL + LAYER_COLUMNS),
    evaluation_table("calibration"): pa.schema(LEVEL + BIN_COLUMNS),
    evaluation_table("selective"): pa.schema(LEVEL + SELECTIVE_COLUMNS),
    evaluation_table("shift"): pa.schema(LEVEL + SHIFT_COLUMNS),
    evaluation_table("ood"): pa.schema(LEVEL + OOD_COLUMNS),
    ensemble_table("ensembles"): pa.schema(LEVEL + ENSEMBLE_COLUMNS),
    ensemble_table("ensembles_ood"): pa.schema(LEVEL + OOD_COLUMNS),
}


def _table(rows: Sequence[dict[str, Any]], schema: pa.Schema, name: str) -> pa.Table:
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


CHECKSUM = b"blth.crc32"  # a table's content checksum, in its Parquet schema metadata


def _checksum(table: pa.Table) -> str:
    """CRC-32 of ``table``'s content (its Arrow IPC stream, without schema metadata)."""
    sink = pa.BufferOutputStream()
    plain = table.replace_schema_metadata(None)
    with pa.ipc.new_stream(sink, plain.schema) as writer:
        writer.write_table(plain)
    return str(zlib.crc32(sink.getvalue()))


def write_table(
    rows: Sequence[dict[str, Any]], path: str | Path, name: str, schema: pa.Schema | None = None
) -> None:
    """Write ``rows`` to ``path`` as table ``name`` (a key of SCHEMAS unless ``schema``),
    atomically, with a checksum of its content and of each Parquet page."""
    table = _table(rows, schema or SCHEMAS[name], name)
    table = table.replace_schema_metadata({CHECKSUM: _checksum(table)})
    with replacing(path) as f:
        pq.write_table(table, f, write_page_checksum=True)


def read_table(path: str | Path) -> pa.Table:
    """The table at ``path``, its content verified against the checksums written with it (a
    table written before blth 0.5 has none); a damaged file is named with its remedy."""
    try:
        table = pq.read_table(str(path), page_checksum_verification=True)
    except (OSError, pa.ArrowException) as err:
        problem = f"{path}: not a readable Parquet file ({err})"
        raise ValueError(f"{problem}. {rerun_remedy(path)}") from None
    written = (table.schema.metadata or {}).get(CHECKSUM)
    if written is not None and written != _checksum(table).encode():
        problem = f"{path}: fails its checksum (its content changed after it was written)"
        raise ValueError(f"{problem}. {rerun_remedy(path)}")
    return table


def read_rows(path: str | Path, name: str) -> list[dict[str, Any]]:
    """The rows of table ``name`` at ``path``; a damaged file, or one that does not follow the
    schema, is named."""
    table = read_table(path)
    if not table.schema.equals(SCHEMAS[name]):
        raise ValueError(
            f"{path}: columns {table.schema.names} differ from table {name!r}'s "
            f"{SCHEMAS[name].names}. {rerun_remedy(path)}"
        )
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows
