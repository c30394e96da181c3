"""The ``ensemble`` job: one arm's tickets of each level across seeds, from the stored
predictions of its series' evaluations (:mod:`blth.evaluation.ensembles`; no network is run)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from blth.evaluation import ensembles
from blth.io import artefacts

log = logging.getLogger(__name__)


def write_ensemble(
    seeds: Sequence[int],
    folders: Sequence[str | Path],
    bins: tuple[int, int],
    out: dict[str, str],
) -> None:
    """Write ``out[table]`` for both ensemble tables of the members whose evaluation folders
    are ``folders`` (one per seed of ``seeds``)."""
    members = [ensembles.load_member(s, f) for s, f in zip(seeds, folders, strict=True)]
    rows, detected = ensembles.ensemble_rows(members, bins)
    for table, table_rows in zip(artefacts.ENSEMBLE_TABLES, (rows, detected), strict=True):
        artefacts.write_table(table_rows, out[table], artefacts.ensemble_table(table))
    for r in rows:
        log.info(
            "level %d: %d members, accuracy %.2f %% (members %.2f %%), NLL %.3f, %d MACs",
            r["level"],
            r["members"],
            100 * r["acc"],
            100 * r["member_acc_mean"],
            r["nll"],
            r["predictive_macs"],
        )
    log.info("ensemble of seeds %s -> %s", list(seeds), out["ensembles"])
