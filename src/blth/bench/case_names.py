"""The benchmark's case names, torch-free, so ``blth --help`` does not import torch."""

from __future__ import annotations

MODELS = {"lenet_300_100": (1, 28, 28), "resnet20": (3, 32, 32)}
IMPLS = ("blth", "torch_blue")  # the default Bayesian cases
# blth variants: a fixed bayes.sample_strategy instead of the device's default, torch's own
# normal generator for the weight noise on a CPU, or one of the per-example estimators
BLTH_VARIANTS = {
    "blth": {},
    "blth_per_sample": {"sample_strategy": "per_sample"},
    "blth_stacked": {"sample_strategy": "stacked"},
    "blth_torch_noise": {"cpu_noise": "torch"},
    "blth_local_reparam": {"estimator": "local_reparam"},
    "blth_flipout": {"estimator": "flipout"},
}
