"""Parquet artefacts: rows are written only when they follow their table's schema, and a file
that does not follow it is named when read."""

from __future__ import annotations

import errno
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from blth.io import artefacts, safefiles

LEVEL_ROW = {"level": 1, "name": "fc1", "index": 0, "n_weights": 10, "n_remaining": 8}
LAYERS = artefacts.evaluation_table("layers")


def test_rows_round_trip_in_schema_order(tmp_path):
    path = tmp_path / "layers.parquet"
    artefacts.write_table([LEVEL_ROW, {**LEVEL_ROW, "index": 1}], path, LAYERS)
    assert pq.read_schema(path).equals(artefacts.SCHEMAS[LAYERS])
    assert artefacts.read_rows(path, LAYERS) == [LEVEL_ROW, {**LEVEL_ROW, "index": 1}]


def test_no_rows_write_an_empty_table_with_the_schema(tmp_path):
    path = tmp_path / "empty.parquet"
    artefacts.write_table([], path, "runs")
    assert artefacts.read_rows(path, "runs") == []
    assert pq.read_schema(path).names[:10] == list(artefacts.IDENTITY_COLUMNS)


def test_missing_and_extra_columns_are_named(tmp_path):
    row = {**LEVEL_ROW, "extra": 1}
    del row["name"]
    with pytest.raises(ValueError, match=r"row 0: missing columns \['name'\].*\['extra'\]"):
        artefacts.write_table([row], tmp_path / "x.parquet", LAYERS)


def test_a_wrong_type_names_table_and_column(tmp_path):
    with pytest.raises(TypeError, match="'evaluation_layers' column 'n_weights'"):
        artefacts.write_table([{**LEVEL_ROW, "n_weights": "ten"}], tmp_path / "x.parquet", LAYERS)


def test_an_explicit_schema_is_used(tmp_path):
    schema = pa.schema([("x", pa.float64())])
    artefacts.write_table([{"x": math.pi}], tmp_path / "x.parquet", "custom", schema)
    assert pq.read_table(tmp_path / "x.parquet").to_pylist() == [{"x": math.pi}]


def test_read_rows_refuses_another_tables_file(tmp_path):
    path = tmp_path / "layers.parquet"
    artefacts.write_table([LEVEL_ROW], path, LAYERS)
    with pytest.raises(ValueError, match="differ from table 'evaluation_runs'.*Delete it and run"):
        artefacts.read_rows(path, artefacts.evaluation_table("runs"))


def test_read_rows_refuses_a_file_that_is_not_parquet(tmp_path):
    path = tmp_path / "runs.parquet"
    path.write_bytes(b"not parquet")
    with pytest.raises(ValueError, match="not a readable Parquet file"):
        artefacts.read_rows(path, "runs")


@pytest.mark.parametrize("kind", ["table", "weights", "any"])
def test_a_full_disk_names_the_file_and_leaves_the_previous_one_whole(tmp_path, monkeypatch, kind):
    """ENOSPC while writing (reported by the final flush to disk, as on most file systems):
    the error names the file, the old content stays, no temporary file is left."""
    path = tmp_path / f"out.{kind}"
    write = {
        "table": lambda: artefacts.write_table([LEVEL_ROW], path, LAYERS),
        "weights": lambda: safefiles.write(path, {"w": np.ones(3, np.float32)}, {}),
        "any": lambda: write_bytes(path),  # a checkpoint, say
    }[kind]
    write()
    before = path.read_bytes()

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safefiles.os, "fsync", full)
    with pytest.raises(safefiles.DiskFull, match=f"{path}: no space left on the device"):
        write()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def write_bytes(path):
    with safefiles.replacing(path) as f:
        f.write(b"content")
