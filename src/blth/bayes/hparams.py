"""Variational inference settings as a dataclass (torch-free, so the workflow reads them
quickly): the ``bayes`` section of the config. Defaults are the paper's settings; every open
item of the specification is a field here and a config key (config/README.md documents each).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Self

KL_KINDS = ("closed", "mc")
SAMPLE_STRATEGIES = ("auto", "per_sample", "stacked")
ESTIMATORS = ("weight_samples", "local_reparam", "flipout")
CPU_NOISE = ("native", "torch")  # see blth.bayes.noise
BATCHNORM_STATS = ("running", "batch")


@dataclass(frozen=True)
class BayesHparams:
    """Variational inference settings (paper section 2)."""

    samples: int = 10  # Monte-Carlo weight samples per training step
    eval_samples: int = 10  # samples for the predictive at test time
    prior_std: float = 1.0  # prior N(0, prior_std²) on every weight and bias
    init_std: float = 0.01  # σ₀ = init_std / sqrt(fan_in) ("1 % of the Kaiming scale")
    classifier_init_std: float | None = None  # σ₀ factor of the final layer; None = init_std
    kl: str = "closed"  # closed-form KL or the Monte-Carlo estimate of torch_blue
    temperature: float = 0.1  # KL weight T in  N·NLL + T·KL
    # per_sample (CPU) or stacked (CUDA: 1.6-3.8x faster epochs on an H200, benchmarks/README.md)
    sample_strategy: str = "auto"
    # weight_samples: the paper's S weight draws shared by the batch; local_reparam (Kingma et
    # al. 2015) and flipout (Wen et al. 2018): own weights per example, see blth.bayes
    estimator: str = "weight_samples"
    batchnorm_stats: str = "running"  # running: usual BN; batch: batch stats at test (paper code)
    cpu_noise: str = "native"  # how ε is drawn on a CPU: native (noise.c) or torch (bayes.noise)

    def per_sample_on(self, device_type: str) -> bool:
        """Whether ``sample_strategy`` runs the network once per sample on this device."""
        if self.sample_strategy == "auto":
            return device_type != "cuda"
        return self.sample_strategy == "per_sample"

    def strategy_on(self, device_type: str) -> str:
        """The strategy ``sample_strategy`` resolves to on this device: per_sample or stacked."""
        return "per_sample" if self.per_sample_on(device_type) else "stacked"

    def __post_init__(self) -> None:
        if self.kl not in KL_KINDS:
            raise ValueError(f"bayes.kl must be one of {KL_KINDS}, got {self.kl!r}")
        if self.sample_strategy not in SAMPLE_STRATEGIES:
            raise ValueError(
                f"bayes.sample_strategy must be one of {SAMPLE_STRATEGIES}, "
                f"got {self.sample_strategy!r}"
            )
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"bayes.estimator must be one of {ESTIMATORS}, got {self.estimator!r}")
        if self.estimator == "local_reparam" and self.kl != "closed":
            raise ValueError(
                "bayes.kl: 'mc' needs weight samples; bayes.estimator 'local_reparam' "
                "draws none, use kl: closed"
            )
        if self.cpu_noise not in CPU_NOISE:
            raise ValueError(f"bayes.cpu_noise must be one of {CPU_NOISE}, got {self.cpu_noise!r}")
        if self.batchnorm_stats not in BATCHNORM_STATS:
            raise ValueError(
                f"bayes.batchnorm_stats must be 'running' or 'batch', got {self.batchnorm_stats!r}"
            )
        if self.samples < 1 or self.eval_samples < 1:
            raise ValueError("bayes.samples and bayes.eval_samples must be >= 1")


class BayesSubset:
    """The Bayesian settings one kind of job depends on, as a frozen dataclass of some of
    BayesHparams' fields: its spec holds these, so the others change none of its results."""

    @classmethod
    def of(cls, bayes: BayesHparams) -> Self:
        """This subset of ``bayes``."""
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        return cls(**{f.name: getattr(bayes, f.name) for f in fields})

    def hparams(self) -> BayesHparams:
        """These settings, the others at their defaults (which the job's results ignore)."""
        values: dict[str, Any] = dataclasses.asdict(self)  # type: ignore[call-overload]
        return BayesHparams(**values)


@dataclass(frozen=True)
class InitBayes(BayesSubset):
    """What a network's initial state depends on: σ₀ and whether BatchNorm keeps statistics."""

    init_std: float
    classifier_init_std: float | None
    batchnorm_stats: str


@dataclass(frozen=True)
class PredictiveBayes(BayesSubset):
    """What a trained network's predictions depend on."""

    eval_samples: int
    sample_strategy: str
    estimator: str
    batchnorm_stats: str
    cpu_noise: str


# The keys of InitBayes, for code that names settings (which jobs a setting reruns, test_reruns).
INIT_KEYS = tuple(f.name for f in dataclasses.fields(InitBayes))
