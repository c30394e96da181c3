"""Cross-experiment report figures (paper appendix A), in :data:`STUDY_REGISTRY`.

Rule ``study_figure`` builds them from the tables of every experiment concatenated
(:func:`load_study_tables`), so one model can appear in several experiments: curves are
pooled by :data:`STUDY_KEYS`, which include the experiment. Conventions as in
:mod:`blth.report.encodings` (accuracy in percent, % remaining on a reversed log axis).
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from blth.io.artefacts import TABLES
from blth.models import model_names
from blth.report import tables as tb
from blth.report.curves import ACC, curve_frame
from blth.report.encodings import curve_layers, facet, ordered
from blth.report.registry import Chart, Registry, Tables

#: The cross-experiment figures (rule ``study_figure``), in report order.
STUDY_REGISTRY = Registry()
STUDY_FIGURES, STUDY_NEEDS = STUDY_REGISTRY.figures, STUDY_REGISTRY.needs
_figure = STUDY_REGISTRY.figure

#: Keys of one curve point across experiments (seeds pooled).
STUDY_KEYS = ["experiment", "dataset", *tb.CURVE_KEYS]
FAMILIES = ", ".join(model_names.PATTERNS)


def load_study_tables(paths: Iterable[str | PathLike[str]]) -> dict[str, pd.DataFrame]:
    """The result tables of several experiments, concatenated table by table.

    ``paths`` are Parquet files named after their table, one folder per experiment
    (``results/<experiment>/tables/runs.parquet``); every name of
    :data:`blth.io.artefacts.TABLES` is present, empty when no experiment has it.
    """
    folders: dict[Path, list[Path]] = {}
    for path in map(Path, paths):
        folders.setdefault(path.parent, []).append(path)
    return concat_tables([tb.load_tables(files) for files in folders.values()])


def concat_tables(loaded: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Several experiments' tables (each as :func:`blth.report.tables.load_tables` gives
    them) concatenated table by table."""
    return {name: _concat([t[name] for t in loaded], name) for name in TABLES}


def _concat(frames: list[pd.DataFrame], name: str) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else tb.empty_table(name)


def family(model: str) -> str:
    """The model family of a model name (``resnet110`` -> ``resnet``), see
    blth.models.model_names."""
    return model_names.parse(model)[0]


def reference_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Each (dataset, model)'s runs from one experiment: the one named after the model (the
    paper's protocol), else the first by name; other experiments of it are ablations."""
    if runs.empty:
        return runs
    rank = runs["experiment"].ne(runs["model"]).astype(int).astype(str) + runs["experiment"]
    first = rank.groupby([runs["dataset"], runs["model"]]).transform("min")
    return runs[rank == first]


def by_size(runs: pd.DataFrame) -> list[str]:
    """The models of ``runs``, smallest first (by number of prunable weights)."""
    return runs.groupby("model")["n_prunable"].max().sort_values(kind="stable").index.tolist()


def lr_labels(epochs: pd.DataFrame) -> dict[str, str]:
    """Per experiment, ``"<experiment>: lr <peak>[, warmup <W> ep]"`` read from the learning
    rates its dense runs logged (IMP level 0): warmup W has W − 1 leading epochs below the
    peak (blth.config.hparams.TrainHparams.lr_factor)."""
    dense = tb.select(tb.imp_main(epochs), level=0)
    labels = {}
    for name, part in dense.groupby("experiment", sort=True):
        schedule = part.groupby("epoch")["lr"].max().sort_index().to_numpy()
        peak = float(schedule.max())
        below = int(np.argmax(schedule >= peak * (1 - 1e-9)))
        warmup = f", warmup {below + 1} ep" if below else ""
        labels[name] = f"{name}: lr {peak:g}{warmup}"
    return labels


# --------------------------------------------------------------------------- figures


@_figure("model_size", f"IMP runs of two or more models of one family ({FAMILIES}) in runs.parquet")
def model_size(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 6: per model family, accuracy of the smaller and the larger model side by side."""
    runs = reference_runs(tb.imp_main(tables["runs"]))
    if runs.empty:
        return None
    groups = runs["model"].map(family) + " (" + runs["dataset"] + ")"
    arms = ordered(runs["arm"], first=tb.DET_ARM)
    rows = []
    for group, part in runs.groupby(groups, sort=True):
        if part["model"].nunique() < 2:
            continue
        long = curve_frame(part, [ACC], series=lambda d: d["arm"], keys=STUDY_KEYS)
        layers = curve_layers(long, "arm", tb.DET_ARM, arms)
        rows.append(facet(layers, long, str(group), column_sort=by_size(part)))
    if not rows:
        return None
    return alt.vconcat(*rows, title="Test accuracy of IMP tickets by model size (Fig. 6)")


@_figure("learning_rate", "IMP runs of one model in two or more experiments in runs.parquet")
def learning_rate(tables: Tables, tolerance: float) -> Chart | None:
    """Fig. 7: one line per experiment of a model (its learning-rate setting), Bayesian
    tickets (the reference score) and the deterministic ones beside them."""
    runs = tb.imp_main(tables["runs"])
    if runs.empty:
        return None
    shared = runs.groupby(["dataset", "model"])["experiment"].transform("nunique") > 1
    runs = runs[shared]
    bayes = tb.bayes_reference_arm(runs)
    panels = {bayes: f"Bayesian ({bayes})"} if bayes else {}
    panels[tb.DET_ARM] = "deterministic"
    runs = tb.select(runs, arm=list(panels))
    if runs.empty:
        return None
    labels = lr_labels(tables["epochs"])

    def series(d: pd.DataFrame) -> pd.Series:
        return d["experiment"].map(lambda e: labels.get(e, e))

    long = curve_frame(runs, [ACC], series=series, keys=STUDY_KEYS)
    long["panel"] = long["arm"].map(panels)
    long["group"] = long["model"] + " (" + long["dataset"] + ")"
    layers = curve_layers(long, "learning rate", None, None)
    title = "Test accuracy of IMP tickets by learning-rate setting (Fig. 7)"
    columns = [p for p in panels.values() if p in set(long["panel"])]
    chart = facet(layers, long, title, row="group", column="panel", column_sort=columns)
    return chart.configure_legend(labelLimit=400)  # labels name experiment, lr and warmup
