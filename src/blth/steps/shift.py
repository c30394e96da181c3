"""Uncertainty under dataset shift for the runs of one evaluation job (``evaluation.shift``):
the predictive on corrupted test sets and how well it tells out-of-distribution sets apart.

The shifted sets are made once per job, on its device, and are the same for every run of an
experiment: corruption noise and noise images are drawn from seeds fixed by their names. In
the ``evaluate`` job, so turning shift on reruns no training.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from blth.config import seeds

if TYPE_CHECKING:
    from torch import Tensor

    from blth.bayes.hparams import BayesHparams
    from blth.config.runspec import EvalSpec
    from blth.data.prepared import ImageData
    from blth.models.base import Classifier
    from blth.shift import ShiftHparams


@dataclass(frozen=True)
class ShiftedSets:
    """Corrupted test sets by (corruption, severity) and out-of-distribution sets by name, as
    uint8 [N, C, H, W] images on the job's device."""

    corrupted: dict[tuple[str, int], Tensor]  # computed, or read from files
    outside: dict[str, Tensor]


def prepare(
    shift: ShiftHparams,
    images: ImageData,
    ood_paths: dict[str, str],
    device: str,
    folder_paths: dict[str, str] | None = None,
) -> ShiftedSets:
    """The sets ``shift`` (``evaluation.shift``) asks for; ``ood_paths``: the prepared data
    file of each out-of-distribution dataset; ``folder_paths``: the file of each corruption read
    from ``shift.folder`` (and its ``labels``, if it has them)."""
    import torch

    from blth.data import prepared as data
    from blth.shift import NOISE_IMAGES, corruptions, detection, files

    test_x = images.test_x.to(device)
    corrupted = {
        (name, severity): corruptions.corrupt(
            test_x,
            name,
            severity,
            torch.Generator(device).manual_seed(seeds.named(f"{name}:{severity}")),
        )
        for name in shift.corruptions
        for severity in shift.severities
    }
    folder_paths = folder_paths or {}
    if files.LABELS in folder_paths:
        files.check_labels(folder_paths[files.LABELS], images.test_y.numpy())
    for name in shift.folder_corruptions:
        for severity in shift.severities:
            found = files.read(folder_paths[name], severity, tuple(images.test_x.shape))
            corrupted[name, severity] = torch.from_numpy(found).to(device)
    outside: dict[str, Tensor] = {}
    for name in shift.ood:
        if name == NOISE_IMAGES:
            gen = torch.Generator(device).manual_seed(seeds.named(name))
            outside[name] = detection.noise_images(test_x, gen)
            continue
        other = data.load(ood_paths[name]).test_x
        if other.shape[1:] != test_x.shape[1:]:
            raise ValueError(
                f"evaluation.shift.ood: dataset {name!r} has images of shape "
                f"{tuple(other.shape[1:])}, the experiment's {tuple(test_x.shape[1:])}"
            )
        outside[name] = other.to(device)
    return ShiftedSets(corrupted, outside)


def evaluate_run(
    net: Classifier,
    sets: ShiftedSets,
    images: ImageData,
    clean: tuple[Tensor, Tensor],
    bayes: BayesHparams | None,
    passes: int,
    spec: EvalSpec,
    device: str,
) -> tuple[list[dict], list[dict], dict[str, tuple[Tensor, Tensor]]]:
    """(shift rows, ood rows, each out-of-distribution set's passes) of one run, each set's
    predictive over ``passes`` passes; ``clean``: its test-set passes (probabilities [P, N, C],
    mutual information [P, N]), the in-distribution side of detection."""
    from blth.evaluation import metrics
    from blth.evaluation.inference import predictive_passes

    labels, bins = images.test_y, spec.evaluation.ece_bins
    shift_rows = []
    for (name, severity), x in sets.corrupted.items():
        probs, _ = predictive_passes(
            net, x, images, bayes, spec, device, passes, seeds.named(f"{name}:{severity}")
        )
        per_pass = [
            (metrics.accuracy(p, labels), metrics.nll(p, labels), metrics.ece(p, labels, bins))
            for p in probs
        ]
        acc, nll, ece = (sum(values) / len(per_pass) for values in zip(*per_pass))
        shift_rows.append(
            {"corruption": name, "severity": severity, "acc": acc, "nll": nll, "ece": ece}
        )
    ood_rows, outside = [], {}
    for name, x in sets.outside.items():
        outside[name] = predictive_passes(
            net, x, images, bayes, spec, device, passes, seeds.named(name)
        )
        ood_rows += _detection_rows(name, clean, outside[name], bayes is not None)
    return shift_rows, ood_rows, outside


def _detection_rows(
    name: str, inside: tuple[Tensor, Tensor], outside: tuple[Tensor, Tensor], bayesian: bool
) -> list[dict]:
    """AUROC and AUPR of every score, each averaged over the passes of the outside set (pass p
    against the test set's pass p, or its last)."""
    from blth.shift import detection

    results: dict[str, list[tuple[float, float]]] = {}
    for p, (probs, mi) in enumerate(zip(*outside, strict=True)):
        q = min(p, len(inside[0]) - 1)
        ins = detection.scores(inside[0][q], inside[1][q] if bayesian else None)
        outs = detection.scores(probs, mi if bayesian else None)
        for score, values in ins.items():
            found = (detection.auroc(values, outs[score]), detection.aupr(values, outs[score]))
            results.setdefault(score, []).append(found)
    return [
        {
            "ood": name,
            "score": score,
            "auroc": sum(a for a, _ in found) / len(found),
            "aupr": sum(b for _, b in found) / len(found),
        }
        for score, found in results.items()
    ]
