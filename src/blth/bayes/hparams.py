"""Variational inference settings as a dataclass (torch-free, so the workflow reads them
quickly): the ``bayes`` section of the config. Defaults are the paper's settings; every open
item of the specification is a field here and a config key (config/README.md documents each).
"""

from __future__ import annotations

from dataclasses import dataclass

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
