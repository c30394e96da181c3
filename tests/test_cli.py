"""``blth --version`` and ``--help`` answer at once: the CLI imports torch only to run a command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

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


def test_parsing_does_not_import_torch():
    code = (
        "import sys, blth.cli\n"
        "args = blth.cli.parser().parse_args(['bench', '--quick', '--models', 'lenet_300_100',"
        " '--impl', 'blth_stacked', 'torch_blue'])\n"
        "assert args.func is blth.cli._bench and args.impl == ['blth_stacked', 'torch_blue']\n"
        "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.')))\n"
    )
    proc, _ = _run("-c", code)
    assert proc.stdout.strip() == "[]"
