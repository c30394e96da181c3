"""``blth --version`` and ``--help`` answer at once: the CLI imports torch only to run a command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import blth

SRC = str(Path(blth.__file__).resolve().parents[1])  # this checkout's src/, ahead of any install
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([SRC, os.environ.get("PYTHONPATH", "")])}


def _run(*args: str) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=ENV, timeout=60, check=True
    )
    return proc, time.perf_counter() - start


def test_version_prints_the_package_version_fast():
    runs = [_run("-m", "blth.cli", "--version") for _ in range(3)]
    for proc, _ in runs:
        assert proc.stdout.strip() == f"blth {blth.__version__}"
    fastest = min(seconds for _, seconds in runs)
    assert fastest < 0.5, f"blth --version took {fastest:.2f} s (fastest of 3)"


def test_help_is_fast_and_names_the_commands():
    runs = [_run("-m", "blth.cli", "bench", "--help") for _ in range(3)]
    assert "--impl" in runs[0][0].stdout and "blth_flipout" in runs[0][0].stdout
    fastest = min(seconds for _, seconds in runs)
    assert fastest < 0.5, f"blth bench --help took {fastest:.2f} s (fastest of 3)"


def test_parsing_imports_neither_torch_nor_the_report():
    code = (
        "import sys, blth.cli\n"
        "args = blth.cli.parser().parse_args(['bench', '--quick', '--models', 'lenet_300_100',"
        " '--impl', 'blth_stacked', 'torch_blue'])\n"
        "assert args.func is blth.cli.bench.run and args.impl == ['blth_stacked', 'torch_blue']\n"
        "blth.cli.parser().parse_args(['robustness', 'tables'])\n"
        "heavy = {'torch', 'pandas', 'altair'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    proc, _ = _run("-c", code)
    assert proc.stdout.strip() == "[]"


def test_arguments_parse_into_their_commands():
    from blth import cli

    report = cli.parser().parse_args(["report", "tables", "out", "--tolerance", "1"])
    assert (report.command, report.tables, report.out, report.tolerance) == (
        "report",
        ["tables"],
        "out",
        1.0,
    )
    assert cli.parser().parse_args(["robustness", "tables"]).tolerance is None  # the report's
    for command in ("claims", "ensembles"):
        assert cli.parser().parse_args([command, "a", "b"]).tables == ["a", "b"]
    study = cli.parser().parse_args(["report", "a/tables", "b/tables", "out"])
    assert (study.tables, study.out) == (["a/tables", "b/tables"], "out")
    check = cli.parser().parse_args(["check-config", "a.yaml", "b.yaml"])
    assert check.func is cli.config.run and check.files == ["a.yaml", "b.yaml"]


def test_check_config_names_a_key_set_twice_and_passes_the_demo(tmp_path, capsys):
    from blth import cli

    bad = tmp_path / "bad.yaml"
    bad.write_text("device: cpu\ndevice: auto\n")
    assert cli.main(["check-config", str(bad)]) == 1
    assert "bad.yaml" in capsys.readouterr().err
    demo = Path(blth.__file__).resolve().parents[2] / "config" / "demo.yaml"
    assert cli.main(["check-config", str(demo)]) == 0
    assert "valid: 1 experiment(s), demo" in capsys.readouterr().out


def test_report_refuses_a_folder_without_tables(tmp_path, capsys):
    from blth import cli

    assert cli.main(["report", str(tmp_path), str(tmp_path / "out")]) == 2
    assert "has no runs, epochs, layers, calibration table" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text,fragment",
    [
        (None, "does not exist; expected a YAML file of settings"),
        ("", "is empty; expected settings, key: value"),
        ("- device: cpu\n", "holds a list; expected settings"),
        ("cpu\n", "holds a single value ('cpu'); expected settings"),
    ],
)
def test_check_config_names_a_missing_empty_or_non_mapping_file(tmp_path, capsys, text, fragment):
    from blth import cli

    path = tmp_path / "config.yaml"
    if text is not None:
        path.write_text(text)
    assert cli.main(["check-config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "config.yaml: " in err and fragment in err


@pytest.mark.parametrize("command", ["report", "robustness", "claims", "ensembles"])
def test_a_missing_folder_or_a_damaged_table_is_named(tmp_path, capsys, command):
    from blth import cli

    def run(folder):
        out = [str(tmp_path / "out")] if command == "report" else []
        return cli.main([command, str(folder), *out])

    assert run(tmp_path / "nowhere") == 2
    assert "nowhere is not a folder of tables" in capsys.readouterr().err
    (tmp_path / "runs.parquet").write_bytes(b"PAR1 not parquet")
    assert run(tmp_path) == 2
    assert "runs.parquet: not a readable Parquet file" in capsys.readouterr().err


def test_report_of_several_experiments_facets_them_and_adds_the_study_figures(tmp_path, capsys):
    """Two architectures' committed tables: one set of figures with a column per model."""
    from blth import cli
    from blth.report import FIGURES, STUDY_FIGURES

    study = Path(blth.__file__).resolve().parents[2] / "docs/results/fashion_mnist_paper_nets"
    folders = [str(study / "tables" / name) for name in ("fmnist_lenet", "fmnist_vit_tiny")]
    assert cli.main(["report", *folders, str(tmp_path)]) == 0
    written = {p.stem for p in tmp_path.glob("*.svg")}
    assert written == {*FIGURES, *STUDY_FIGURES}
    svg = (tmp_path / "layer_sparsity.svg").read_text()
    assert "lenet_300_100" in svg and "vit_tiny" in svg
