"""Tiny image sets for tests that train, time or run a few steps: in memory (:func:`tiny_images`),
or the synthetic set and network of conftest's ``tiny_data`` and ``tiny_inits`` fixtures."""

from __future__ import annotations

import torch

from blth.bayes.hparams import InitBayes, PredictiveBayes
from blth.data.prepared import ImageData

# A synthetic dataset small enough that a step runs in milliseconds: 3 classes of 1x8x8 images.
TINY_DATA = {"classes": 3, "shape": [1, 8, 8], "train": 24, "test": 12, "seed": 0}
TINY_MODEL = "lenet_16"
# The Bayesian settings of its init and evaluation jobs (torch's noise: no C compiler needed).
TINY_INIT = InitBayes(init_std=0.01, classifier_init_std=None, batchnorm_stats="running")
TINY_PREDICTIVE = PredictiveBayes(
    eval_samples=2,
    sample_strategy="auto",
    estimator="weight_samples",
    batchnorm_stats="running",
    cpu_noise="torch",
)


def tiny_images(shape=(1, 8, 8), n_train: int = 16, n_test: int = 8) -> ImageData:
    """Random uint8 images [N, *shape] with labels 0..9 in turn."""
    gen = torch.Generator().manual_seed(0)

    def split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randint(0, 256, (n, *shape), generator=gen, dtype=torch.uint8)
        return x, torch.arange(n) % 10

    return ImageData("tiny", *split(n_train), *split(n_test), augment=False, classes=10)
