"""Layer factory: one model definition gives the deterministic and the Bayesian network."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from blth.bayes.batchnorm import SampleBatchNorm2d
from blth.bayes.conv import VIConv2d
from blth.bayes.hparams import BayesHparams
from blth.bayes.layer import VILayer
from blth.bayes.linear import VILinear
from blth.bayes.masked import MaskedConv2d, MaskedLinear

PRUNABLE_TYPES = (MaskedLinear, MaskedConv2d, VILayer)  # the layers that carry masks


@dataclass(frozen=True)
class Layers:
    """Builds masked deterministic layers (``bayes`` None) or variational ones."""

    bayes: BayesHparams | None = None  # None: deterministic

    @property
    def bayesian(self) -> bool:
        return self.bayes is not None

    def linear(self, i: int, o: int, bias: bool = True, classifier: bool = False) -> nn.Module:
        """[.., i] -> [.., o]; ``classifier``: the final layer (its own σ₀ factor)."""
        if self.bayes is None:
            return MaskedLinear(i, o, bias)
        init_std = self.bayes.init_std
        if classifier and self.bayes.classifier_init_std is not None:
            init_std = self.bayes.classifier_init_std
        return VILinear(i, o, bias, self.bayes.prior_std, init_std, self.bayes.estimator)

    def conv2d(
        self, i: int, o: int, k: int, stride: int = 1, padding: int = 0, bias: bool = True
    ) -> nn.Module:
        """k x k convolution, [B, i, H, W] -> [B, o, H', W']."""
        if self.bayes is None:
            return MaskedConv2d(i, o, k, stride=stride, padding=padding, bias=bias)
        b = self.bayes
        return VIConv2d(i, o, k, stride, padding, bias, b.prior_std, b.init_std, b.estimator)

    def batchnorm2d(
        self, channels: int, eps: float = 1e-5, momentum: float | None = 0.1
    ) -> nn.Module:
        """Running statistics unless a Bayesian network uses batch statistics at test time."""
        track = self.bayes is None or self.bayes.batchnorm_stats == "running"
        return SampleBatchNorm2d(channels, eps, momentum, track_running_stats=track)
