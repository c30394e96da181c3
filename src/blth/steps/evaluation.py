"""Evaluation of a series of runs from their final weights (the ``evaluate`` job).

Repeated stochastic passes of each run's final weights over the test set, their accuracy and
calibration, and the mask's sparsity, so that an evaluation setting reruns these jobs and the
aggregation, never a training. One job covers every level of one chain or branch: each job
costs a process start, and the levels of a chain finish one after another anyway.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from blth.config.hparams import EvaluationHparams
from blth.config.runspec import EvalSpec
from blth.evaluation import selective
from blth.io import artefacts, states
from blth.lottery import masks
from blth.steps import shift

if TYPE_CHECKING:  # torch is imported when a job runs, not when the workflow loads this
    from torch import Tensor

    from blth.bayes.hparams import BayesHparams
    from blth.data.prepared import ImageData
    from blth.models.base import Classifier

log = logging.getLogger(__name__)

AVERAGED = ("nll", "brier", "ece", "mace", "mace_classwise100", "entropy")


def test_passes(
    net: Classifier,
    images: ImageData,
    bayes: BayesHparams | None,
    spec: EvalSpec,
    device: str,
) -> tuple[Tensor, Tensor]:
    """(per-pass mean probabilities [P, N, C], per-pass mutual information [P, N]) on the test
    set, ``evaluation.passes`` passes (:func:`blth.evaluation.inference.predictive_passes`)."""
    from blth.evaluation.inference import predictive_passes

    passes = spec.evaluation.passes
    return predictive_passes(net, images.test_x, images, bayes, spec, device, passes)


def summarize(
    probs: Tensor,
    mi: Tensor,
    labels: Tensor,
    run_masks: masks.Masks,
    ev: EvaluationHparams,
    bayesian: bool,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """One run's evaluation row (without ``samples``), reliability bins (first pass) and
    per-layer sparsity rows, from per-pass mean probabilities ``probs`` [P, N, C], per-pass
    mutual information ``mi`` [P, N] and the test ``labels`` [N]; ``ev``: the evaluation
    settings (bins)."""
    from blth.evaluation import metrics

    results = [
        dataclasses.replace(
            metrics.calibration(
                p.unsqueeze(0), labels, ev.ece_bins, ev.mace_bins, ev.classwise_bins
            ),
            mutual_information=float(m.mean()),
        )
        for p, m in zip(probs, mi)
    ]
    n_prunable, n_remaining = masks.counts(run_masks)
    accs = [r.accuracy for r in results]
    row = {
        "remaining_fraction": n_remaining / n_prunable,
        "n_prunable": n_prunable,
        "n_remaining": n_remaining,
        "acc_mean": float(np.mean(accs)),
        "acc_std": float(np.std(accs)),
        **{k: float(np.mean([getattr(r, k) for r in results])) for k in AVERAGED},
        "mutual_information": (
            float(np.mean([r.mutual_information for r in results])) if bayesian else math.nan
        ),
        "passes": len(results),
    }
    bins = metrics.reliability_bins(probs[0], labels, ev.ece_bins)
    return row, bins, masks.sparsity_rows(run_masks)


@dataclass(frozen=True)
class EvalJob:
    """One evaluation job: its spec, its files and the host settings it runs under (which never
    change a result)."""

    spec: EvalSpec
    data: str  # the prepared data file
    finals: list[str]  # the final weights of each level of spec.levels
    masks: list[str]  # their masks
    outputs: dict[str, str]  # a path per table of EVALUATION_TABLES, and "predictions"
    threads: int  # torch CPU threads
    device: str = "auto"  # the config's device: auto, cpu, cuda[:i]
    gpus_declared: int = 0  # the rule's resource ``gpu``: the job stops if it cannot use one
    ood: dict[str, str] = field(default_factory=dict)  # the data file of each OOD dataset
    folder_corruptions: dict[str, str] = field(default_factory=dict)  # the file of each
    chain: bool = False  # a chain's own runs: each level's mask lies within the one before

    @property
    def name(self) -> str:
        """The job's name in logs: the folder of its tables."""
        return str(Path(self.outputs["runs"]).parent)


def evaluate(job: EvalJob) -> None:
    """Evaluate the runs of one series (``job.finals[i]``, ``job.masks[i]`` at level
    ``job.spec.levels[i]``) and write every table of EVALUATION_TABLES (shift and ood are empty
    unless ``evaluation.shift`` asks) and the test predictions (blth.io.predictions); the job
    stops at once if it cannot use the GPU it declares."""
    import torch

    from blth.data import prepared as data
    from blth.evaluation import cost
    from blth.io import predictions
    from blth.models.registry import build
    from blth.platform import gpus, hardware

    spec, out = job.spec, job.outputs
    if job.chain:
        masks.check_nested(job.masks)
    torch.set_num_threads(max(1, job.threads))
    bayes = spec.bayes.hparams() if spec.bayes else None
    samples = bayes.eval_samples if bayes else 1
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in artefacts.EVALUATION_TABLES}
    kept: dict[int, predictions.LevelPredictions] = {}
    kept_outside: dict[str, dict[int, predictions.LevelPredictions]] = {}
    with gpus.job_device(job.device, job.name, job.gpus_declared) as device:
        images = data.load(job.data)
        det = build(spec.model, images.input_shape, images.classes, None, **spec.model_options)
        structure = cost.structure(det, images.input_shape)
        shifts = spec.evaluation.shift
        sets = shift.prepare(shifts, images, job.ood, device, job.folder_corruptions)
        for level, final, mask_path in zip(spec.levels, job.finals, job.masks, strict=True):
            net = build(spec.model, images.input_shape, images.classes, bayes, **spec.model_options)
            state, _ = states.load_state(final)
            net.load_numpy_state(state)
            run_masks = masks.load_masks(mask_path)
            net.apply_masks(run_masks)
            if level == spec.levels[0]:  # the first, densest level's weight counts
                header = hardware.header(
                    f"{job.name}, level {level}",
                    net,
                    torch.device(device),
                    samples,
                    spec.amp,
                    False,
                )
                log.info(header)
            probs, mi = test_passes(net.to(device), images, bayes, spec, device)
            row, bins, layers = summarize(
                probs, mi, images.test_y, run_masks, spec.evaluation, bayes is not None
            )
            remaining = {name: int(mask.sum()) for name, mask in run_masks.items()}
            costs = cost.cost_columns(structure, remaining, bayes is not None, samples)
            rows["runs"].append({"level": level, **row, "samples": samples, **costs})
            rows["calibration"] += [{"level": level, **b} for b in bins]
            scored = selective.selective_rows(probs, mi if bayes else None, images.test_y)
            rows["selective"] += [{"level": level, **r} for r in scored]
            kept[level] = predictions.LevelPredictions(probs, mi)
            rows["layers"] += [{"level": level, **r} for r in layers]
            shifted, detected, outside = shift.evaluate_run(
                net, sets, images, (probs, mi), bayes, shifts.passes, spec, device
            )
            for name, (ood_probs, ood_mi) in outside.items():
                kept_outside.setdefault(name, {})[level] = predictions.LevelPredictions(
                    ood_probs, ood_mi
                )
            rows["shift"] += [{"level": level, **r} for r in shifted]
            rows["ood"] += [{"level": level, **r} for r in detected]
            log.info(
                "%s: level %d (%.2f %% of the prunable weights) test accuracy %.4f ± %.4f "
                "over %d passes (%s)",
                final,
                level,
                100 * row["remaining_fraction"],
                row["acc_mean"],
                row["acc_std"],
                row["passes"],
                device,
            )
        log.info("%s: %s", job.name, hardware.peak_memory(device))  # the job server forks this job
    for table, table_rows in rows.items():
        artefacts.write_table(table_rows, out[table], artefacts.evaluation_table(table))
    series = predictions.SeriesPredictions(images.test_y, kept, samples, kept_outside)
    predictions.write(out["predictions"], series)
