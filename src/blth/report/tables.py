"""Loading the result tables and deriving the small frames the charts plot.

Everything here works on the Parquet tables of ``results/{experiment}/tables/`` (schemas in
:data:`blth.artefacts.SCHEMAS`); nothing reads training logs.
All functions accept empty frames (a table that was never written) and then return
empty frames, so that chart builders can decide that there is nothing to plot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from blth.artefacts import SCHEMAS

TABLE_NAMES = ("runs", "epochs", "layers", "calibration")

#: Columns identifying one training run (shared by all four tables).
IDENTITY = ["experiment", "model", "arm", "bayesian", "chain", "branch", "seed", "level"]

#: Keys of one point of a curve once repeated seeds are pooled.
CURVE_KEYS = ["model", "arm", "chain", "branch", "level"]

#: The Bayesian arm used as "the" Bayesian reference (the paper's default score, s_SNR).
BAYES_REFERENCE_ARM = "bnn-snr"
DET_ARM = "det"


def empty_table(name: str) -> pd.DataFrame:
    """An empty frame with the columns and dtypes of table ``name`` (blth.artefacts)."""
    schema = SCHEMAS.get(name)
    return schema.empty_table().to_pandas() if schema else pd.DataFrame(columns=IDENTITY)


def load_tables(source: str | PathLike | Iterable[str | PathLike]) -> dict[str, pd.DataFrame]:
    """Read the result tables.

    ``source`` is either the ``tables`` directory of an experiment or an iterable of Parquet
    paths (as Snakemake's ``input`` gives them); a table is named after its file stem
    (``runs.parquet`` -> ``"runs"``). Tables whose file does not exist come back as empty
    frames with the schema's columns, so every name of :data:`TABLE_NAMES` is present.
    """
    if isinstance(source, str | PathLike):
        directory = Path(source)
        paths = [directory / f"{name}.parquet" for name in TABLE_NAMES]
    else:
        paths = [Path(p) for p in source]
    tables = {name: empty_table(name) for name in TABLE_NAMES}
    for path in paths:
        if path.is_file():
            tables[path.stem] = pd.read_parquet(path)
    return tables


def select(df: pd.DataFrame, **equal: object) -> pd.DataFrame:
    """Rows of ``df`` where each column equals the given value (or is in a given list).

    Missing columns or an empty frame give an empty result instead of a ``KeyError``.
    """
    if df.empty or any(col not in df.columns for col in equal):
        return df.iloc[0:0]
    mask = np.ones(len(df), dtype=bool)
    for col, value in equal.items():
        if isinstance(value, list | tuple | set | frozenset):
            mask &= df[col].isin(list(value)).to_numpy()
        else:
            mask &= (df[col] == value).to_numpy()
    return df[mask]


def imp_main(runs: pd.DataFrame) -> pd.DataFrame:
    """The IMP tickets themselves: chain ``imp``, branch ``main``."""
    return select(runs, chain="imp", branch="main")


def bayes_reference_arm(runs: pd.DataFrame) -> str | None:
    """``bnn-snr`` when it ran, otherwise the first Bayesian arm (sorted), else ``None``."""
    bayes = select(imp_main(runs), bayesian=True)
    arms = sorted(bayes["arm"].unique()) if not bayes.empty else []
    if BAYES_REFERENCE_ARM in arms:
        return BAYES_REFERENCE_ARM
    return arms[0] if arms else None


def pool_seeds(
    runs: pd.DataFrame, metrics: Sequence[str], keys: Sequence[str] = CURVE_KEYS
) -> pd.DataFrame:
    """One row per curve point: the mean over seeds of each metric plus its min and max.

    Adds ``n_seeds``, ``pct_remaining`` (100 * remaining_fraction) and, for every metric
    ``m``, the columns ``m`` (mean), ``m_min`` and ``m_max`` (range over seeds).
    """
    keys = list(keys)
    if runs.empty:
        extra = [f"{m}_{s}" for m in metrics for s in ("min", "max")]
        return pd.DataFrame(columns=[*keys, "n_seeds", "pct_remaining", *metrics, *extra])
    data = runs.assign(pct_remaining=100.0 * runs["remaining_fraction"].astype(float))
    grouped = data.groupby(keys, sort=True, dropna=False)
    out = grouped.agg(
        n_seeds=("seed", "nunique"),
        pct_remaining=("pct_remaining", "mean"),
        **{m: (m, "mean") for m in metrics},
        **{f"{m}_min": (m, "min") for m in metrics},
        **{f"{m}_max": (m, "max") for m in metrics},
    )
    return out.reset_index()


def matching_table(runs: pd.DataFrame, tolerance: float = 0.5) -> pd.DataFrame:
    """Per model and arm (IMP main), the sparsest matching ticket.

    A level *matches* when its best test accuracy (mean over seeds) is at least the arm's
    dense level-0 accuracy minus ``tolerance`` percentage points (surpassing counts as
    matching). Columns: model, arm, dense_acc, level, pct_remaining, acc, delta_pts
    (accuracies in percent). Arms without a level 0 are left out.
    """
    cols = ["model", "arm", "dense_acc", "level", "pct_remaining", "acc", "delta_pts"]
    pooled = pool_seeds(imp_main(runs), ["best_test_acc"])
    rows = []
    for (model, arm), grp in pooled.groupby(["model", "arm"], sort=True):
        dense = grp.loc[grp["level"] == 0, "best_test_acc"]
        if dense.empty:
            continue
        dense_pct = 100.0 * float(dense.iloc[0])
        acc_pct = 100.0 * grp["best_test_acc"]
        ok = grp[acc_pct >= dense_pct - tolerance - 1e-9]
        best = ok.loc[ok["level"].idxmax()]
        best_pct = 100.0 * float(best["best_test_acc"])
        rows.append(
            (
                model,
                arm,
                dense_pct,
                int(best["level"]),
                float(best["pct_remaining"]),
                best_pct,
                best_pct - dense_pct,
            )
        )
    return pd.DataFrame(rows, columns=cols)


def runtime_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """Table 1: mean minutes per training level, deterministic vs Bayesian, per model.

    Uses IMP main runs (all Bayesian arms pooled). Columns: model, det_min, bayes_min,
    ratio (bayes/det), det_ips, bayes_ips (images per second); NaN where a side is missing.
    """
    cols = ["model", "det_min", "bayes_min", "ratio", "det_ips", "bayes_ips"]
    runs = imp_main(runs)
    if runs.empty:
        return pd.DataFrame(columns=cols)
    data = runs.assign(
        side=np.where(runs["bayesian"].astype(bool), "bayes", "det"),
        minutes=runs["train_seconds"].astype(float) / 60.0,
    )
    wide = data.pivot_table(
        index="model", columns="side", values=["minutes", "images_per_second"], aggfunc="mean"
    )
    out = pd.DataFrame(index=wide.index)
    for side in ("det", "bayes"):
        out[f"{side}_min"] = wide.get(("minutes", side), np.nan)
        out[f"{side}_ips"] = wide.get(("images_per_second", side), np.nan)
    out["ratio"] = out["bayes_min"] / out["det_min"]
    return out.reset_index()[cols]


def _seconds_per_level(runs: pd.DataFrame, levels: pd.Index) -> pd.Series:
    """Mean train_seconds over seeds for each level in ``levels`` (NaN where missing)."""
    per_level = runs.groupby("level")["train_seconds"].mean()
    return per_level.reindex(levels).astype(float)


def transplant_compute_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Cumulative training time to reach each level: full Bayesian IMP vs transplantation.

    For level k of each model:

    * full Bayesian  = sum over l <= k of the reference Bayesian arm's IMP train_seconds,
    * transplant     = sum over l < k of the deterministic IMP train_seconds
      + the transplant run's train_seconds at level k,
    * saved_pct      = 100 * (1 - transplant / full Bayesian).

    Seeds are averaged per level first. A level that needs a missing level is left out.
    Columns: model, level, pct_remaining, bayes_arm, full_bayes_min, transplant_min,
    saved_pct (times in minutes).
    """
    cols = [
        "model",
        "level",
        "pct_remaining",
        "bayes_arm",
        "full_bayes_min",
        "transplant_min",
        "saved_pct",
    ]
    arm = bayes_reference_arm(runs)
    transplant = select(runs, branch="transplant")
    if arm is None or transplant.empty:
        return pd.DataFrame(columns=cols)
    main = imp_main(runs)
    frames = []
    for model, tp in transplant.groupby("model", sort=True):
        bayes = select(main, model=model, arm=arm)
        det = select(main, model=model, arm=DET_ARM)
        levels = pd.RangeIndex(int(tp["level"].max()) + 1)
        full = _seconds_per_level(bayes, levels).cumsum(skipna=False)
        det_before = _seconds_per_level(det, levels).cumsum(skipna=False).shift(1, fill_value=0.0)
        tp_secs = _seconds_per_level(tp, levels)
        frac = tp.groupby("level")["remaining_fraction"].mean().reindex(levels)
        frame = pd.DataFrame(
            {
                "model": model,
                "level": levels,
                "pct_remaining": 100.0 * frac.to_numpy(),
                "bayes_arm": arm,
                "full_bayes_min": full.to_numpy() / 60.0,
                "transplant_min": (det_before + tp_secs).to_numpy() / 60.0,
            }
        )
        frames.append(frame.dropna())
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    out["saved_pct"] = 100.0 * (1.0 - out["transplant_min"] / out["full_bayes_min"])
    return out[cols]


def sparsest_layers(layers: pd.DataFrame) -> pd.DataFrame:
    """Layer-wise remaining fraction at each (model, arm)'s sparsest IMP main level.

    Seeds are pooled (sums of weights). Columns: model, arm, level, index, name, n_weights,
    n_remaining, pct_remaining (percent of the layer's weights remaining).
    """
    cols = ["model", "arm", "level", "index", "name", "n_weights", "n_remaining"]
    data = imp_main(layers)
    if data.empty:
        return pd.DataFrame(columns=[*cols, "pct_remaining"])
    last = data.groupby(["model", "arm"])["level"].transform("max")
    data = data[data["level"] == last]
    out = data.groupby(["model", "arm", "level", "index", "name"], as_index=False)[
        ["n_weights", "n_remaining"]
    ].sum()
    n_weights = out["n_weights"].where(out["n_weights"] > 0)
    out["pct_remaining"] = 100.0 * out["n_remaining"] / n_weights
    return out[[*cols, "pct_remaining"]]


def reliability_frame(
    calibration: pd.DataFrame, runs: pd.DataFrame, tolerance: float = 0.5
) -> pd.DataFrame:
    """Reliability-diagram points: dense level 0 vs the sparsest matching ticket per arm.

    Bins of IMP main runs are pooled over seeds (count-weighted means); empty bins are
    dropped. Columns: model, arm, level, pct_remaining, ticket ("dense (level 0)" or
    "sparsest matching"), bin, count, mean_confidence, accuracy.
    """
    cols = [
        "model",
        "arm",
        "level",
        "pct_remaining",
        "ticket",
        "bin",
        "count",
        "mean_confidence",
        "accuracy",
    ]
    match = matching_table(runs, tolerance)
    calib = imp_main(calibration)
    if match.empty or calib.empty:
        return pd.DataFrame(columns=cols)
    calib = calib[calib["count"] > 0].dropna(subset=["mean_confidence", "accuracy"])
    calib = calib.assign(
        w_conf=calib["mean_confidence"] * calib["count"], w_acc=calib["accuracy"] * calib["count"]
    )
    pct = pool_seeds(imp_main(runs), []).set_index(["model", "arm", "level"])["pct_remaining"]
    frames = []
    for row in match.itertuples(index=False):
        part = select(calib, model=row.model, arm=row.arm, level=sorted({0, row.level}))
        if part.empty:
            continue
        pooled = part.groupby(["model", "arm", "level", "bin"], as_index=False)[
            ["count", "w_conf", "w_acc"]
        ].sum()
        pooled["mean_confidence"] = pooled["w_conf"] / pooled["count"]
        pooled["accuracy"] = pooled["w_acc"] / pooled["count"]
        pooled["ticket"] = np.where(pooled["level"] == 0, "dense (level 0)", "sparsest matching")
        index = pd.MultiIndex.from_frame(pooled[["model", "arm", "level"]])
        pooled["pct_remaining"] = pct.reindex(index).to_numpy()
        frames.append(pooled[cols])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def epoch_curves(epochs: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy (percent) per epoch of IMP main runs, mean over seeds."""
    cols = ["model", "arm", "level", "epoch", "test_acc"]
    data = imp_main(epochs)
    if data.empty:
        return pd.DataFrame(columns=cols)
    out = data.groupby(["model", "arm", "level", "epoch"], as_index=False)["test_acc"].mean()
    out["test_acc"] = (100.0 * out["test_acc"]).round(3)
    return out[cols]
