"""The evaluation step's shift and ood tables on conftest's tiny set and network (fixtures
``tiny_data`` and ``tiny_inits``), for the tests of blth.shift and blth.shift.files."""

from __future__ import annotations

from tiny_data import TINY_MODEL, TINY_PREDICTIVE

from blth.config.hparams import EvaluationHparams
from blth.config.runspec import EvalSpec, MaskSpec, hparams_of
from blth.io import artefacts
from blth.shift import ShiftHparams
from blth.steps import evaluation, lottery


def evaluate(tiny_data, tiny_inits, tmp_path, kind, shift, ood_paths=None, folder_paths=None):
    """The shift and ood rows of the evaluation step on the ``kind`` (det or bnn) initial weights
    at levels 0 and 1, dense, with ``shift`` (a dict, as in the config) as evaluation.shift."""
    init = str(tiny_inits[kind])
    mask = tmp_path / "mask.safetensors"
    lottery.ticket_mask(MaskSpec(None, False, None, None, None, ""), init, str(mask))
    out = {t: str(tmp_path / f"{t}.parquet") for t in artefacts.EVALUATION_TABLES}
    out["predictions"] = str(tmp_path / artefacts.PREDICTIONS)
    shifts = hparams_of(ShiftHparams, shift, "shift")
    settings = EvaluationHparams(passes=2, ece_bins=5, mace_bins=5, classwise_bins=10, shift=shifts)
    bayes = TINY_PREDICTIVE if kind == "bnn" else None
    spec = EvalSpec(TINY_MODEL, {}, bayes, 100, False, settings, 0, [0, 1], "")
    job = evaluation.EvalJob(
        spec,
        str(tiny_data),
        [init] * 2,
        [str(mask)] * 2,
        out,
        1,
        "cpu",
        ood=ood_paths or {},
        folder_corruptions=folder_paths or {},
    )
    evaluation.evaluate(job)
    return {t: artefacts.read_rows(out[t], artefacts.evaluation_table(t)) for t in ("shift", "ood")}
