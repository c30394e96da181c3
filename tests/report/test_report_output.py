"""The report's files: self-contained HTML and SVG, captions, the figure and report rules."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from report_tables import (
    EXPECTED_FIGURES,
)

from blth import report


def _save(chart, tmp_path, name="chart"):
    html, svg = tmp_path / f"{name}.html", tmp_path / f"{name}.svg"
    report.save(chart, html, svg)
    return html, svg


def test_save_is_self_contained(tmp_path, tables):
    html, svg = _save(report.build("accuracy_mace", tables), tmp_path)
    text = html.read_text()
    assert "https://cdn" not in text
    assert "<script src=" not in text.replace(" ", "")
    assert "vegaEmbed" in text
    svg_text = svg.read_text()
    assert svg_text.lstrip().startswith("<svg")
    assert len(svg_text) > 10_000
    assert "<path" in svg_text


def test_no_data_chart_saves(tmp_path):
    html, svg = _save(report.no_data_chart("lrr", "no LRR runs"), tmp_path)
    assert "no data for lrr: no LRR runs" in svg.read_text()
    assert "https://cdn" not in html.read_text()


def _chromium() -> str | None:
    return shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
    )


def test_html_renders_in_headless_chromium(tmp_path, tables):
    """The saved HTML draws a chart offline in a real browser (not a blank page)."""
    from PIL import Image

    browser = _chromium()
    if browser is None:
        if os.environ.get("CI", "").lower() in {"true", "1", "yes"}:
            pytest.fail("chromium is required in CI for the headless rendering test")
        pytest.skip("chromium not installed (set CI=true to make this a failure)")
    html, _ = _save(report.build("accuracy_mace", tables), tmp_path)
    png = tmp_path / "shot.png"
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=5000",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={png}",
        "--window-size=900,700",
        html.resolve().as_uri(),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    non_white = int((rgb.min(axis=2) < 240).sum())
    coloured = int((rgb.max(axis=2) - rgb.min(axis=2) > 60).sum())  # the arms' lines
    assert non_white > 5000, f"screenshot looks blank ({non_white} non-white pixels)"
    assert coloured > 300, f"no coloured chart marks drawn ({coloured} coloured pixels)"


# --------------------------------------------------------------------------- workflow wiring

REPO = Path(__file__).resolve().parents[2]
CAPTIONS = REPO / "workflow" / "report"


@pytest.mark.parametrize("name", [*EXPECTED_FIGURES, "workflow"])
def test_caption_is_valid_rst(name):
    from docutils.core import publish_parts

    text = (CAPTIONS / f"{name}.rst").read_text()
    assert "{{" not in text  # included by figure.rst after Jinja rendering: plain rst only
    html = publish_parts(
        text, writer="html", settings_overrides={"halt_level": 2, "report_level": 5}
    )["body"]
    assert len(html) > 100


@pytest.mark.slow
def test_rule_builds_figures_and_report(tmp_path, tables):
    """rule ``figure`` in a throwaway workflow: figures, a placeholder and the report."""
    pytest.importorskip("snakemake")
    tables_dir = tmp_path / "results" / "demo" / "tables"
    tables_dir.mkdir(parents=True)
    for name, frame in tables.items():
        frame = frame[frame["chain"] != "lrr"] if name == "runs" else frame
        frame.to_parquet(tables_dir / f"{name}.parquet")
    rules = REPO / "workflow" / "rules" / "report.smk"
    (tmp_path / "Snakefile").write_text(
        # what report.smk takes from common.smk: the table names and the jobs' specs
        'from blth.io.artefacts import TABLES\n\nEXPERIMENTS = {"demo": {}}\n\n'
        'config = {"report": {"match_tolerance": 0.5}}\n\n'
        'def figure_spec(w):\n    return {"tolerance": 0.5, "code": "test"}\n\n'
        'def study_figure_spec(w):\n    return {"code": "test"}\n\n'
        f'report: "{CAPTIONS / "workflow.rst"}"\n\n'
        f'include: "{rules}"\n\n'
        "rule all:\n"
        '    input: expand("results/demo/report/{f}.{ext}", f=["accuracy_mace", "lrr"],'
        ' ext=["html", "svg"])\n'
    )
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    snakefile = str(tmp_path / "Snakefile")
    snakemake = [str(bindir / "snakemake"), "--cores", "2", "--snakefile", snakefile]
    for extra in ([], ["--report", str(tmp_path / "report.html")]):
        proc = subprocess.run(
            [*snakemake, *extra],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
    out = tmp_path / "results" / "demo" / "report"
    assert "https://cdn" not in (out / "accuracy_mace.html").read_text()
    assert "no data for lrr" in (out / "lrr.svg").read_text()
    log = (tmp_path / "results" / "demo" / "logs" / "report" / "lrr.log").read_text()
    assert "placeholder" in log
    report_html = (tmp_path / "report.html").read_text()
    assert "Learning-rate rewinding vs. IMP" in report_html  # per-figure caption included
    unknown = subprocess.run(
        [*snakemake, "-n", "results/demo/report/not_a_figure.html"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unknown.returncode != 0
