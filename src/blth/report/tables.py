"""Loading the result tables, selecting runs from them and pooling repeated seeds.

Everything in :mod:`blth.report` works on the Parquet tables of
``results/{experiment}/tables/`` (:data:`blth.io.artefacts.TABLES`, schemas in
:data:`blth.io.artefacts.SCHEMAS`); nothing reads training logs. All functions accept empty
frames (a table that was never written) and then return empty frames, so that chart builders
can decide that there is nothing to plot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from blth.io.artefacts import SCHEMAS, TABLES, read_table
from blth.lottery.branches import BRANCHES

#: A ticket "matches" its dense network when its test accuracy is at most this many percentage
#: points below dense (the config's report.match_tolerance, whose default this is).
MATCH_TOLERANCE = 0.5

TRANSPLANT = "transplant"
#: The randomisation controls of a ticket: every branch but the transplant, in BRANCHES order.
RANDOM_BRANCHES = [b for b in BRANCHES if b != TRANSPLANT]

#: Keys of one point of a curve once repeated seeds are pooled.
CURVE_KEYS = ["model", "arm", "chain", "branch", "level"]
#: Keys of one IMP ticket (chain imp, branch main) once repeated seeds are pooled.
TICKET_KEYS = ["model", "arm", "level"]

#: The Bayesian arm used as "the" Bayesian reference (the paper's default score, s_SNR).
BAYES_REFERENCE_ARM = "bnn-snr"
DET_ARM = "det"


def empty_table(name: str) -> pd.DataFrame:
    """An empty frame with the columns and dtypes of table ``name`` (a key of
    :data:`blth.io.artefacts.SCHEMAS`)."""
    return SCHEMAS[name].empty_table().to_pandas()


def load_tables(
    source: str | PathLike[str] | Iterable[str | PathLike[str]],
) -> dict[str, pd.DataFrame]:
    """Read the result tables.

    ``source`` is either the ``tables`` directory of an experiment or an iterable of Parquet
    paths (as Snakemake's ``input`` gives them); a table is named after its file stem
    (``runs.parquet`` -> ``"runs"``). Tables whose file does not exist come back as empty
    frames with the schema's columns, so every name of :data:`blth.io.artefacts.TABLES` is present.
    A missing folder or an unreadable file is a ValueError that names it.
    """
    if isinstance(source, str | PathLike):
        directory = Path(source)
        if not directory.is_dir():
            raise ValueError(f"{directory} is not a folder of tables")
        paths = [directory / f"{name}.parquet" for name in TABLES]
    else:
        paths = [Path(p) for p in source]
    tables = {name: empty_table(name) for name in TABLES}
    for path in paths:
        if path.is_file():
            read_table(path)  # verified against its checksums; a damaged file is named
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


def ticket_remaining(runs: pd.DataFrame) -> pd.DataFrame:
    """Columns :data:`TICKET_KEYS` and pct_remaining of every IMP ticket, mean over seeds."""
    return pool_seeds(imp_main(runs), [])[[*TICKET_KEYS, "pct_remaining"]]
