"""Mean-field Gaussian variational layers with pruning masks, and their KL divergence.

Every prunable layer (deterministic or variational) carries boolean masks ``weight_mask`` and
``bias_mask``. A pruned entry is exactly 0 in every weight sample (μ and σ are multiplied by the
mask before sampling), adds nothing to the KL, and receives zero gradient.

Activations of a Bayesian network are sample-major: a batch of B inputs evaluated under S weight
samples travels as one tensor of shape [S*B, ...]; sample s owns rows s*B .. (s+1)*B-1. Each
sample is one weight draw shared by the whole batch (the paper's estimator, as torch_blue).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from blth.hparams import BayesHparams


def _register_masks(module: nn.Module, weight_shape: torch.Size, has_bias: bool, out: int) -> None:
    # Masks are not persistent: they travel as their own artefact (mask.safetensors).
    module.register_buffer("weight_mask", torch.ones(weight_shape, dtype=torch.bool), False)
    mask = torch.ones(out, dtype=torch.bool) if has_bias else None
    module.register_buffer("bias_mask", mask, False)


class MaskedLinear(nn.Linear):
    """Deterministic linear layer whose pruned weights are held at exactly 0."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__(in_features, out_features, bias)
        _register_masks(self, self.weight.shape, bias, out_features)

    def forward(self, x: Tensor) -> Tensor:
        bias = None if self.bias is None else self.bias * self.bias_mask
        return F.linear(x, self.weight * self.weight_mask, bias)


class MaskedConv2d(nn.Conv2d):
    """Deterministic 2-D convolution whose pruned weights are held at exactly 0."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _register_masks(self, self.weight.shape, self.bias is not None, self.out_channels)

    def forward(self, x: Tensor) -> Tensor:
        bias = None if self.bias is None else self.bias * self.bias_mask
        return self._conv_forward(x, self.weight * self.weight_mask, bias)


class VILayer(nn.Module):
    """Mean-field Gaussian weights w ~ N(μ, σ²), σ = exp(log_std), with masks and KL.

    Subclasses define ``weight_shape``/``fan_in`` and a forward that reads ``self.sampled``.
    """

    def __init__(
        self,
        weight_shape: tuple[int, ...],
        out: int,
        bias: bool,
        fan_in: int,
        prior_std: float,
        init_std: float,
    ) -> None:
        super().__init__()
        self.fan_in = fan_in
        self.prior_std = prior_std
        self.init_std = init_std
        self.weight_mean = nn.Parameter(torch.empty(weight_shape))
        self.weight_log_std = nn.Parameter(torch.empty(weight_shape))
        self.bias_mean = nn.Parameter(torch.empty(out)) if bias else None
        self.bias_log_std = nn.Parameter(torch.empty(out)) if bias else None
        _register_masks(self, torch.Size(weight_shape), bias, out)
        self.sampled: dict[str, Tensor] = {}  # "weight"/"bias" -> [S, *shape], set by draw()
        self.noise: dict[str, Tensor] = {}
        self.reset_parameters()

    def tensor_names(self) -> tuple[str, ...]:
        return ("weight", "bias") if self.bias_mean is not None else ("weight",)

    def reset_parameters(self) -> None:
        """μ like PyTorch's own layers (Kaiming uniform, a=√5); σ₀ = init_std/√fan_in."""
        nn.init.kaiming_uniform_(self.weight_mean, a=math.sqrt(5))
        log_std = math.log(self.init_std / math.sqrt(self.fan_in))
        nn.init.constant_(self.weight_log_std, log_std)
        if self.bias_mean is not None:
            bound = 1 / math.sqrt(self.fan_in)
            nn.init.uniform_(self.bias_mean, -bound, bound)
            nn.init.constant_(self.bias_log_std, log_std)

    def draw(
        self,
        samples: int,
        generator: torch.Generator | None,
        noise: dict[str, Tensor] | None = None,
    ) -> None:
        """Sample S weight sets w = m⊙(μ + σ·ε); ``noise`` injects ε (tests, exact replays)."""
        self.sampled, self.noise = {}, {}
        for name in self.tensor_names():
            mean, log_std, mask = self._triple(name)
            if noise is not None:
                eps = noise[name]
            else:
                eps = torch.randn(
                    (samples, *mean.shape),
                    generator=generator,
                    device=mean.device,
                    dtype=mean.dtype,
                )
            self.noise[name] = eps
            self.sampled[name] = torch.addcmul(mean * mask, log_std.exp() * mask, eps)

    def _triple(self, name: str) -> tuple[Tensor, Tensor, Tensor]:
        return (
            getattr(self, f"{name}_mean"),
            getattr(self, f"{name}_log_std"),
            getattr(self, f"{name}_mask"),
        )

    def kl(self, kind: str) -> Tensor:
        """KL(q‖p) summed over unpruned entries: closed form or MC over the last draw."""
        total = self.weight_mean.new_zeros(())
        log_prior = math.log(self.prior_std)
        var_prior = self.prior_std**2
        for name in self.tensor_names():
            mean, log_std, mask = self._triple(name)
            if kind == "closed":
                per_entry = (
                    log_prior - log_std + (torch.exp(2 * log_std) + mean**2) / (2 * var_prior) - 0.5
                )
                total = total + (per_entry * mask).sum()
            else:  # log q(w_s) - log p(w_s), averaged over the S samples of the last draw
                eps, w = self.noise[name], self.sampled[name]
                per_entry = (log_prior - log_std) - 0.5 * eps**2 + w**2 / (2 * var_prior)
                total = total + (per_entry * mask).sum() / eps.shape[0]
        return total


class VILinear(VILayer):
    """Variational linear layer on sample-major inputs [S*B, ..., in]."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        prior_std: float = 1.0,
        init_std: float = 0.01,
    ) -> None:
        self.in_features, self.out_features = in_features, out_features
        super().__init__(
            (out_features, in_features), out_features, bias, in_features, prior_std, init_std
        )

    def forward(self, x: Tensor) -> Tensor:
        w = self.sampled["weight"]  # [S, out, in]
        samples = w.shape[0]
        xs = x.reshape(samples, -1, self.in_features)
        if "bias" in self.sampled:
            out = torch.baddbmm(self.sampled["bias"].unsqueeze(1), xs, w.transpose(1, 2))
        else:
            out = torch.bmm(xs, w.transpose(1, 2))
        return out.reshape(*x.shape[:-1], self.out_features)


class VIConv2d(VILayer):
    """Variational 2-D convolution on sample-major inputs [S*B, C, H, W]."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        bias: bool = True,
        prior_std: float = 1.0,
        init_std: float = 0.01,
        strategy: str = "loop",
    ) -> None:
        self.in_channels, self.out_channels = in_channels, out_channels
        self.stride, self.padding, self.strategy = stride, padding, strategy
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        super().__init__(
            shape, out_channels, bias, in_channels * kernel_size**2, prior_std, init_std
        )

    def forward(self, x: Tensor) -> Tensor:
        w, b = self.sampled["weight"], self.sampled.get("bias")
        samples = w.shape[0]
        if self.strategy == "loop" or samples == 1:
            chunks = x.chunk(samples)
            outs = [
                F.conv2d(chunks[s], w[s], None if b is None else b[s], self.stride, self.padding)
                for s in range(samples)
            ]
            return torch.cat(outs) if samples > 1 else outs[0]
        # grouped: samples become groups of one convolution, [B, S*C, H, W]
        batch = x.shape[0] // samples
        xg = x.reshape(samples, batch, *x.shape[1:]).transpose(0, 1).flatten(1, 2)
        out = F.conv2d(
            xg,
            w.flatten(0, 1),
            None if b is None else b.flatten(),
            self.stride,
            self.padding,
            groups=samples,
        )
        out = out.reshape(batch, samples, self.out_channels, *out.shape[2:]).transpose(0, 1)
        return out.reshape(samples * batch, *out.shape[2:])


class SampleBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm with per-sample batch statistics on sample-major inputs (as under vmap)."""

    samples: int = 1

    def forward(self, x: Tensor) -> Tensor:
        if self.samples == 1 or not (self.training or self.running_mean is None):
            return super().forward(x)
        return torch.cat([super(SampleBatchNorm2d, self).forward(c) for c in x.chunk(self.samples)])


@dataclass(frozen=True)
class Layers:
    """Layer factory: one model definition gives the deterministic and the Bayesian network."""

    bayes: BayesHparams | None = None  # None: deterministic
    device_type: str = "cpu"  # picks the per-sample convolution strategy when "auto"

    @property
    def bayesian(self) -> bool:
        return self.bayes is not None

    def linear(self, i: int, o: int, bias: bool = True, classifier: bool = False) -> nn.Module:
        if self.bayes is None:
            return MaskedLinear(i, o, bias)
        init_std = self.bayes.init_std
        if classifier and self.bayes.classifier_init_std is not None:
            init_std = self.bayes.classifier_init_std
        return VILinear(i, o, bias, self.bayes.prior_std, init_std)

    def conv2d(
        self, i: int, o: int, k: int, stride: int = 1, padding: int = 0, bias: bool = True
    ) -> nn.Module:
        if self.bayes is None:
            return MaskedConv2d(i, o, k, stride=stride, padding=padding, bias=bias)
        strategy = self.bayes.conv_strategy
        if strategy == "auto":
            strategy = "grouped" if self.device_type == "cuda" else "loop"
        return VIConv2d(
            i, o, k, stride, padding, bias, self.bayes.prior_std, self.bayes.init_std, strategy
        )

    def batchnorm2d(self, channels: int) -> nn.Module:
        track = self.bayes is None or self.bayes.batchnorm_stats == "running"
        return SampleBatchNorm2d(channels, track_running_stats=track)


PRUNABLE_TYPES = (MaskedLinear, MaskedConv2d, VILayer)
