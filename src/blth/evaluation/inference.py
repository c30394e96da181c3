"""Predictions of a trained network: per-sample class probabilities over a test loader, and
the repeated stochastic passes of an evaluation (the test set's and the shifted sets')."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from blth.config import seeds
from blth.data.prepared import DeviceLoader
from blth.models.base import Classifier

if TYPE_CHECKING:
    from blth.bayes.hparams import BayesHparams
    from blth.config.runspec import EvalSpec
    from blth.data.prepared import ImageData


def amp_active(device: torch.device, enabled: bool, on_cpu: bool = False) -> bool:
    """Whether ``train.amp`` (``enabled``) autocasts on ``device``: on CUDA, and on the CPU only
    where a caller asks for it (``on_cpu``, e.g. tests): bf16 there is unmeasured for speed."""
    return enabled and (device.type == "cuda" or (on_cpu and device.type == "cpu"))


def autocast(device: torch.device, enabled: bool, on_cpu: bool = False) -> torch.autocast:
    """bf16 autocast where :func:`amp_active` (parameters stay fp32); a no-op elsewhere."""
    return torch.autocast(
        device.type, dtype=torch.bfloat16, enabled=amp_active(device, enabled, on_cpu)
    )


@torch.no_grad()
def predict(
    model: Classifier,
    loader: DeviceLoader,
    samples: int,
    generator: torch.Generator | None = None,
    amp: bool = True,
) -> Tensor:
    """Per-sample class probabilities [S, N, C] (float32) over a non-shuffled loader."""
    was_training, previous = model.training, model.generator
    model.eval()
    model.generator = generator
    device = loader.x.device
    try:
        with autocast(device, amp):
            probs = [torch.softmax(model(x, samples).float(), -1) for x, _ in loader]
    finally:
        model.train(was_training)
        model.generator = previous
    return torch.cat(probs, dim=1)


def predictive_passes(
    net: Classifier,
    x: Tensor,
    images: ImageData,
    bayes: BayesHparams | None,
    spec: EvalSpec,
    device: str,
    passes: int,
    salt: int = 0,
) -> tuple[Tensor, Tensor]:
    """(per-pass mean probabilities [P, N, C], per-pass mutual information [P, N]) of the
    images ``x`` uint8 [N, C, H, W], normalised with the training set's statistics of
    ``images``.

    Pass p draws its weight samples from :func:`blth.config.seeds.evaluation_pass` (``salt`` tells
    the sets of one run apart); a deterministic net gives the same pass every time, so it makes one.
    """
    from blth.evaluation.metrics import mutual_information_per_example

    mean, std = images.channel_stats()
    labels = torch.zeros(len(x), dtype=torch.long)  # the predictive does not look at them
    loader = DeviceLoader(x, labels, spec.eval_batch_size, mean, std, torch.device(device))
    samples = bayes.eval_samples if bayes else 1
    probs, mi = [], []
    for p in range(passes if bayes else 1):
        gen = torch.Generator(device).manual_seed(seeds.evaluation_pass(spec.seed, p, salt))
        sample_probs = predict(net, loader, samples, gen, spec.amp)
        probs.append(sample_probs.mean(0).cpu())
        mi.append(mutual_information_per_example(sample_probs).cpu())
    return torch.stack(probs), torch.stack(mi)
