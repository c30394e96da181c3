"""blth.bench.parity: one study's runs on two devices, side by side (benchmarks/device-run.sh)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_tables import run_keys, run_row

from blth.bench import parity
from blth.io.artefacts import write_table


def _tables(folder: Path, device: str, shift: float = 0.0, drop: int = 0) -> Path:
    """A study's runs table on ``device``; every accuracy moved by ``shift``, the last ``drop``
    runs left out."""
    rows = [run_row(*key) for key in run_keys(levels=3)]
    rows = rows[: len(rows) - drop]
    for row in rows:
        row |= {"device": device, "acc_mean": row["acc_mean"] + shift, "passes": 1}
    write_table(rows, folder / "runs.parquet", "runs")
    return folder


def test_summary_holds_each_run_with_its_device(tmp_path: Path):
    summary = parity.summarise(_tables(tmp_path, "cuda (NVIDIA H200)"))
    assert summary["devices"] == ["cuda (NVIDIA H200)"]
    assert len(summary["rows"]) == len(run_keys(levels=3))
    assert {"arm", "chain", "branch", "level", *parity.METRICS} <= summary["rows"][0].keys()
    json.dumps(summary)  # committed as JSON


def test_comparison_gives_each_group_its_difference_in_points(tmp_path: Path):
    cpu = parity.summarise(_tables(tmp_path / "cpu", "cpu"))
    gpu = parity.summarise(_tables(tmp_path / "gpu", "cuda", shift=-0.012, drop=2))
    lines, unmatched = parity.compare(gpu, cpu)
    assert len(unmatched) == 2 and all(u.startswith("only in theirs") for u in unmatched)
    assert sum(line["runs"] for line in lines) == len(cpu["rows"]) - 2
    for line in lines:
        assert line["mean_diff_pts"] == pytest.approx(-1.2)
        assert line["largest_diff_pts"] == pytest.approx(-1.2)
        assert line["ours_acc"] - line["theirs_acc"] == pytest.approx(-1.2)
    table = parity.markdown(lines, "cuda", "cpu")
    assert "| cuda acc | cpu acc |" in table and "mean Δ -1.20 pts" in table


def test_command_line_writes_the_summary_and_prints_the_comparison(tmp_path: Path, capsys):
    against = tmp_path / "cpu.json"
    assert parity.main([str(_tables(tmp_path / "cpu", "cpu")), "--out", str(against)]) == 0
    gpu = _tables(tmp_path / "gpu", "cuda", shift=0.01)
    assert parity.main([str(gpu), "--against", str(against)]) == 0
    assert "+1.0 |" in capsys.readouterr().out
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"devices": ["cpu"], "rows": []}))
    assert parity.main([str(gpu), "--against", str(other)]) == 1
    assert "no run of" in capsys.readouterr().err


def test_any_seed_pairs_two_one_seed_studies(tmp_path: Path):
    seed0 = parity.summarise(_tables(tmp_path / "s0", "cpu"))
    seed1 = parity.summarise(_tables(tmp_path / "s1", "cpu", shift=0.005))
    for row in seed1["rows"]:
        row["seed"] = 1
    assert parity.compare(seed1, seed0)[0] == []  # no run in common
    lines, unmatched = parity.compare(seed1, seed0, any_seed=True)
    assert not unmatched and all(ln["mean_diff_pts"] == pytest.approx(0.5) for ln in lines)
    with pytest.raises(ValueError, match="one-seed"):
        parity.compare(seed1, {"rows": seed0["rows"] + seed1["rows"]}, any_seed=True)
