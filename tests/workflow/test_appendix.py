"""The appendix ablations: cross-experiment figures (blth.report.study) on hand-made tables,
their wiring (rule ``study_figure``, ``all_targets``) and a tiny synthetic end-to-end study."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml
from report_tables import inline_rows, run_row
from workdir import SNAKEMAKE, copy_repo, run_study

from blth import report
from blth.report import study

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests/data/appendix.yaml"
SIZES = {"resnet20": 270_000, "resnet110": 1_700_000, "vgg11": 9_200_000, "vgg19": 20_000_000}
#: experiment -> (model, accuracy shift, lr, warmup epochs)
EXPERIMENTS = {
    "resnet20": ("resnet20", 0.0, 1e-3, 0),
    "resnet110": ("resnet110", 0.02, 1e-3, 0),
    "vgg11": ("vgg11", 0.0, 1e-3, 0),
    "vgg19": ("vgg19", 0.01, 1e-3, 0),
    "vit_tiny": ("vit_tiny", 0.0, 1e-3, 0),  # alone in its family: not in model_size
    "resnet20_lr1e-4": ("resnet20", -0.05, 1e-4, 0),
    "resnet20_warmup3": ("resnet20", -0.01, 1e-3, 3),
}
ARMS = ("det", "bnn-snr", "bnn-mean")


def runs_rows(name: str, levels: int = 3) -> list[dict]:
    model, shift, _, _ = EXPERIMENTS[name]
    rows = []
    for arm in ARMS:
        for level in range(levels):
            row = run_row(model, arm, "imp", "main", 0, level)
            row.update(experiment=name, n_prunable=SIZES.get(model, 5_000_000))
            row["best_test_acc"] += shift
            rows.append(row)
    return rows


def epoch_rows(name: str, epochs: int = 6) -> list[dict]:
    """The dense det run's learning rates: warmup, then x0.1 after epoch 4."""
    model, _, lr, warmup = EXPERIMENTS[name]
    ident = {"experiment": name, "model": model, "arm": "det", "chain": "imp", "branch": "main"}
    rows = []
    for e in range(epochs):
        factor = min(1.0, (e + 1) / warmup) if warmup else 1.0
        rate = lr * factor * (0.1 if e >= 4 else 1.0)
        rows.append({**ident, "seed": 0, "level": 0, "epoch": e + 1, "lr": rate})
    return rows


@pytest.fixture(scope="module")
def tables():
    return {
        "runs": pd.DataFrame([r for name in EXPERIMENTS for r in runs_rows(name)]),
        "epochs": pd.DataFrame([r for name in EXPERIMENTS for r in epoch_rows(name)]),
    }


def test_registry():
    assert list(report.STUDY_FIGURES) == ["model_size", "learning_rate"]
    assert not set(report.STUDY_FIGURES) & set(report.FIGURES)
    assert set(report.STUDY_NEEDS) == set(report.STUDY_FIGURES)


def test_family_from_model_name():
    names = ["lenet_300_100", "resnet110", "vgg19", "vit_base"]
    assert [study.family(m) for m in names] == ["lenet", "resnet", "vgg", "vit"]


def test_model_size_rows_are_families_with_models_by_size(tables):
    spec = report.STUDY_REGISTRY.build("model_size", tables).to_dict()
    rows = spec["vconcat"]
    assert [r["title"] for r in rows] == ["resnet (cifar10)", "vgg (cifar10)"]
    # smallest first, not alphabetically (resnet110 < resnet20 as strings)
    assert [r["facet"]["column"]["sort"] for r in rows] == [
        ["resnet20", "resnet110"],
        ["vgg11", "vgg19"],
    ]
    datasets = spec["datasets"].values()
    points = [p for rows_ in datasets for p in rows_]
    # resnet20 comes from the experiment named after it, not from the LR ablations
    assert {p["experiment"] for p in points} == {"resnet20", "resnet110", "vgg11", "vgg19"}
    assert {p["series"] for p in points} == set(ARMS)
    layer = rows[0]["spec"]["layer"][-1]
    assert layer["encoding"]["x"]["scale"] == {"type": "log", "reverse": True, "nice": False}
    assert layer["encoding"]["color"]["scale"]["domain"] == ["det", "bnn-mean", "bnn-snr"]


def test_model_size_needs_two_models_of_a_family(tables):
    runs = tables["runs"]
    single = {"runs": runs[runs["model"].isin(["resnet20", "vgg11"])]}
    assert report.STUDY_REGISTRY.build("model_size", single) is None
    text = str(report.STUDY_REGISTRY.chart_or_placeholder("model_size", single).to_dict())
    assert "no data for model_size" in text and "lenet, resnet, vgg, vit" in text


def test_learning_rate_one_line_per_experiment_of_a_model(tables):
    spec = report.STUDY_REGISTRY.build("learning_rate", tables).to_dict()
    rows = inline_rows(spec)
    assert {r["model"] for r in rows} == {"resnet20"}  # the only model run by several
    assert {r["arm"] for r in rows} == {"det", "bnn-snr"}  # bnn-mean: not the reference
    assert spec["facet"]["column"]["sort"] == ["Bayesian (bnn-snr)", "deterministic"]
    lines = pd.DataFrame(rows).groupby(["panel", "series"])["level"].apply(sorted)
    assert lines.to_dict() == {
        (panel, series): [0, 1, 2]
        for panel in ("Bayesian (bnn-snr)", "deterministic")
        for series in (
            "resnet20: lr 0.001",
            "resnet20_lr1e-4: lr 0.0001",
            "resnet20_warmup3: lr 0.001, warmup 3 ep",
        )
    }
    # experiments of one model are not pooled: each line keeps its own accuracies
    dense = pd.DataFrame(rows).query("level == 0 and arm == 'det'").set_index("experiment")
    assert dense["value"].to_dict() == pytest.approx(
        {"resnet20": 90.0, "resnet20_lr1e-4": 85.0, "resnet20_warmup3": 89.0}
    )


def test_learning_rate_without_epochs_labels_by_experiment(tables):
    spec = report.STUDY_REGISTRY.build("learning_rate", {"runs": tables["runs"]}).to_dict()
    series = {r["series"] for r in inline_rows(spec)}
    assert series == {"resnet20", "resnet20_lr1e-4", "resnet20_warmup3"}


def test_learning_rate_needs_a_model_in_two_experiments(tables):
    runs = tables["runs"]
    assert (
        report.STUDY_REGISTRY.build("learning_rate", {"runs": runs[runs.model != "resnet20"]})
        is None
    )
    assert report.STUDY_REGISTRY.build("learning_rate", {}) is None


def test_lr_labels_read_peak_and_warmup():
    rows = [r for name in ("resnet20", "resnet20_warmup3") for r in epoch_rows(name)]
    assert study.lr_labels(pd.DataFrame(rows)) == {
        "resnet20": "resnet20: lr 0.001",
        "resnet20_warmup3": "resnet20_warmup3: lr 0.001, warmup 3 ep",
    }


def test_load_study_tables_concatenates_experiments(tmp_path, tables):
    paths = []
    for name in ("resnet20", "resnet110"):
        folder = tmp_path / name / "tables"
        folder.mkdir(parents=True)
        tables["runs"].query("experiment == @name").to_parquet(folder / "runs.parquet")
        paths += [folder / f"{t}.parquet" for t in ("runs", "epochs", "layers", "calibration")]
    loaded = report.load_study_tables(paths)
    assert sorted(loaded["runs"]["experiment"].unique()) == ["resnet110", "resnet20"]
    assert len(loaded["runs"]) == 2 * len(runs_rows("resnet20"))
    assert loaded["epochs"].empty and "lr" in loaded["epochs"].columns


def test_study_figures_save_as_svg(tmp_path, tables):
    for figure in report.STUDY_FIGURES:
        html, svg = tmp_path / f"{figure}.html", tmp_path / f"{figure}.svg"
        report.save(report.STUDY_REGISTRY.build(figure, tables), html, svg)
        assert "<path" in svg.read_text() and "no data" not in svg.read_text()


@pytest.mark.parametrize("name", ["model_size", "learning_rate"])
def test_caption_is_valid_rst(name):
    from docutils.core import publish_parts

    text = (ROOT / "workflow/report" / f"{name}.rst").read_text()
    assert "{{" not in text
    html = publish_parts(
        text, writer="html", settings_overrides={"halt_level": 2, "report_level": 5}
    )["body"]
    assert len(html) > 100


# --------------------------------------------------------------------------- workflow


def planned(*configs: Path) -> str:
    out = subprocess.run(
        [*SNAKEMAKE, "-n", "--quiet", "rules", "--configfile", *map(str, configs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout + out.stderr


def test_study_figures_only_with_several_experiments():
    assert re.search(r"^study_figure\s+2$", planned(TINY), re.M)
    assert "study_figure" not in planned(ROOT / "tests/data/reruns.yaml")


def test_appendix_adds_experiments_to_the_paper():
    out = planned(ROOT / "config/config.yaml", ROOT / "config/appendix.yaml")
    assert "study_figure" in out
    appendix = yaml.safe_load((ROOT / "config/appendix.yaml").read_text())["experiments"]
    assert {e["model"] for e in appendix.values()} == {"resnet110", "vgg19", "vit_base", "resnet20"}


@pytest.mark.slow
def test_tiny_appendix_study_draws_both_figures(tmp_path):
    """tests/data/appendix.yaml end to end: two LeNet sizes and two learning-rate settings of
    the small one, trained, evaluated and drawn as the two study figures."""
    work = copy_repo(tmp_path)
    targets = [f"results/report/{f}.svg" for f in report.STUDY_FIGURES]
    run_study(work, "--configfile", str(TINY.relative_to(ROOT)), "--", *targets)
    for figure in report.STUDY_FIGURES:
        svg = (work / f"results/report/{figure}.svg").read_text()
        assert "no data" not in svg and "<path" in svg, figure
    size = (work / "results/report/model_size.svg").read_text()
    assert "lenet_16" in size and "lenet_64" in size
    rates = (work / "results/report/learning_rate.svg").read_text()
    for label in ("lenet_16: lr 0.001", "lenet_16_warmup2: lr 0.001, warmup 2 ep"):
        assert label in rates
