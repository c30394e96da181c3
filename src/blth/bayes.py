"""Mean-field Gaussian variational layers with pruning masks, and their KL divergence.

Every prunable layer (deterministic or variational) carries 0/1 masks ``weight_mask`` and
``bias_mask``, stored as floats so that applying them costs no bool-to-float conversion. A pruned
entry is exactly 0 in every weight sample (μ and σ are multiplied by the mask before sampling),
adds nothing to the KL, and receives zero gradient.

Each of the S weight samples is one draw shared by the whole batch (the paper's estimator, as
torch_blue). Two ways to compute the S forward passes, chosen by ``bayes.sample_strategy``:

- ``per_sample`` (CPU default): the network runs once per sample on [B, ...] inputs, all in one
  autograd graph; a layer reads the weights of sample ``active``. Activations stay as small as the
  deterministic network's, which is what a CPU's caches need.
- ``stacked`` (CUDA default): activations are sample-major, one tensor [S*B, ...] in which sample s
  owns rows s*B .. (s+1)*B-1; linear layers use one batched matmul and convolutions one grouped
  convolution, so a GPU gets few, large kernels.

Two other estimators (``bayes.estimator``, off by default, not the paper's) give every example of
a batch its own weights, and so a lower-variance gradient:

- ``local_reparam`` (Kingma et al. 2015): no weights are drawn; each pre-activation is drawn from
  its Gaussian marginal N(x·μ̃, x²·σ̃²).
- ``flipout`` (Wen et al. 2018): the S weight perturbations Δw_s = σ̃ ⊙ ε_s are drawn as usual and
  decorrelated across examples by random signs, y = x·μ̃ + ((x ⊙ s)·Δw_s) ⊙ r with s, r ∈ {±1} per
  example and input / output feature (channel). Each example's weights are exactly N(μ̃, σ̃²).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from blth.hparams import BayesHparams
from blth.noise import normal


def _register_masks(module: nn.Module, weight_shape: torch.Size, has_bias: bool, out: int) -> None:
    # Masks are not persistent: they travel as their own artefact (mask.safetensors).
    module.register_buffer("weight_mask", torch.ones(weight_shape), False)
    mask = torch.ones(out) if has_bias else None
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


def _input_key(x: Tensor) -> tuple:
    """Identifies a layer input across the passes of one forward (same memory, same values)."""
    autocast = torch.is_autocast_enabled(x.device.type)
    return (x.data_ptr(), x.shape, x.stride(), x._version, autocast)


def _weight_grads(grads, eps: Tensor, need_mean: bool) -> tuple[Tensor | None, Tensor | None]:
    """(Σ_s g_s, Σ_s g_s ⊙ ε_s), accumulated in place one sample at a time, so that no
    [S, *shape] temporary overflows the caches (the main cost of the generic autograd path
    for large layers on a CPU). Σ_s g_s is None unless ``need_mean``."""
    grad_mean = grad_std = None
    for g, e in zip(grads, eps.unbind(0), strict=True):
        if g is None:  # a sample whose weights did not reach the loss
            continue
        if grad_std is None:
            grad_mean, grad_std = (g.clone() if need_mean else None), g * e
        else:
            grad_std.addcmul_(g, e)
            if need_mean:
                grad_mean.add_(g)
    return grad_mean, grad_std


class _PerSampleWeights(torch.autograd.Function):
    """w_s = μ̃ + σ̃ ⊙ ε_s for every sample s, as S separate weight tensors."""

    @staticmethod
    def forward(ctx, mean: Tensor, std: Tensor, eps: Tensor) -> tuple[Tensor, ...]:
        ctx.save_for_backward(eps)
        ctx.set_materialize_grads(False)
        return tuple(torch.addcmul(mean, std, e) for e in eps.unbind(0))

    @staticmethod
    def backward(ctx, *grads: Tensor | None) -> tuple[Tensor | None, Tensor | None, None]:
        (eps,) = ctx.saved_tensors
        return *_weight_grads(grads, eps, ctx.needs_input_grad[0]), None


class _StackedWeights(torch.autograd.Function):
    """w = μ̃ + σ̃ ⊙ ε as one [S, *shape] tensor, with the per-sample backward (CPU)."""

    @staticmethod
    def forward(ctx, mean: Tensor, std: Tensor, eps: Tensor) -> Tensor:
        ctx.save_for_backward(eps)
        return torch.addcmul(mean, std, eps)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor | None, Tensor | None, None]:
        (eps,) = ctx.saved_tensors
        return *_weight_grads(grad.unbind(0), eps, ctx.needs_input_grad[0]), None


class VILayer(nn.Module):
    """Mean-field Gaussian weights w ~ N(μ, σ²), σ = exp(log_std), with masks and KL.

    Subclasses pass ``weight_shape``/``fan_in`` and define the operation (``_op``, ``_stacked_op``,
    ``_sign_shape``); :meth:`forward` picks the estimator and strategy.
    """

    def __init__(
        self,
        weight_shape: tuple[int, ...],
        out: int,
        bias: bool,
        fan_in: int,
        prior_std: float,
        init_std: float,
        estimator: str = "weight_samples",
    ) -> None:
        super().__init__()
        self.estimator = estimator  # see the module docstring
        self._generator: torch.Generator | None = None  # for activation noise and signs
        self._moments: tuple | None = None  # (key, input, mean, var), see _input_moments
        self.fan_in = fan_in
        self.prior_std = prior_std
        self.init_std = init_std
        self.weight_mean = nn.Parameter(torch.empty(weight_shape))
        self.weight_log_std = nn.Parameter(torch.empty(weight_shape))
        self.bias_mean = nn.Parameter(torch.empty(out)) if bias else None
        self.bias_log_std = nn.Parameter(torch.empty(out)) if bias else None
        _register_masks(self, torch.Size(weight_shape), bias, out)
        self.per_sample = False  # set by the model before each draw, see the module docstring
        self.cpu_noise = "native"  # how activation noise and signs are drawn, see blth.noise
        self.active: int | None = None  # per_sample: the sample being computed
        self.noise: dict[str, Tensor] = {}  # "weight"/"bias" -> ε [S, *shape], set by draw()
        self._stacked: dict[str, Tensor] = {}  # weights [S, *shape], built on first use
        self._per_sample: dict[str, tuple[Tensor, ...]] = {}  # S weight tensors, on first use
        # per_sample: (data_ptr, version) of the network's input, set by the model; a linear
        # layer fed (a view of) it gets the same input in every pass, see _per_sample_forward
        self.network_input: tuple | None = None
        self._shared_outputs: tuple | None = None  # (input key, input, outputs of all passes)
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
        """Draw ε for S weight sets w = m⊙(μ + σ·ε); ``noise`` injects ε (the model's one-buffer
        draw, tests, exact replays). The weights are built when a forward first asks for them.

        With ``local_reparam`` nothing is drawn here: the forward draws activation noise."""
        self.noise, self._stacked, self._per_sample = {}, {}, {}
        self._generator, self._moments, self._shared_outputs = generator, None, None
        if self.estimator == "local_reparam":
            return
        for name in self.tensor_names():
            mean = getattr(self, f"{name}_mean")
            self.noise[name] = (
                noise[name]
                if noise is not None
                else torch.randn(
                    (samples, *mean.shape),
                    generator=generator,
                    device=mean.device,
                    dtype=mean.dtype,
                )
            )

    def _masked(self, name: str) -> tuple[Tensor, Tensor]:
        """(m⊙μ, m⊙σ) of one tensor; under flipout (0, m⊙σ): the samples are perturbations."""
        mean, log_std, mask = self._triple(name)
        centre = mean.new_zeros(()) if self.estimator == "flipout" else mean * mask
        return centre, log_std.exp() * mask

    def stacked(self, name: str) -> Tensor | None:
        """The weights (flipout: perturbations) of all S samples [S, *shape]; None for a
        missing bias."""
        if name not in self.noise:
            return None
        if name not in self._stacked:
            # per_sample (CPU): the cache-friendly backward; stacked (GPU): few, large kernels
            build = _StackedWeights.apply if self.per_sample else torch.addcmul
            self._stacked[name] = build(*self._masked(name), self.noise[name])
        return self._stacked[name]

    def sample(self, name: str) -> Tensor | None:
        """Weights (flipout: perturbations) of the active sample (per_sample), or of all samples
        [S, *shape] (stacked); None for a missing bias."""
        if name not in self.noise:
            return None
        if self.active is None:
            return self.stacked(name)
        if name not in self._per_sample:
            weights = _PerSampleWeights.apply(*self._masked(name), self.noise[name])
            self._per_sample[name] = weights
        return self._per_sample[name][self.active]

    def forward(self, x: Tensor) -> Tensor:
        if self.estimator == "local_reparam":
            return self._local_reparam_forward(x)
        if self.estimator == "flipout":
            return self._flipout_forward(x)
        if self.active is not None:
            return self._per_sample_forward(x)
        return self._stacked_op(x, self.stacked("weight"), self.stacked("bias"))

    # the layer's operation, defined by the subclasses
    def _op(self, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        """One weight set w [*shape] on x [B, ...]."""
        raise NotImplementedError

    def _stacked_op(self, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        """Sample s's weights w[s] on rows s*B .. (s+1)*B-1 of x [S*B, ...]."""
        raise NotImplementedError

    def _sign_shape(self, t: Tensor) -> tuple[int, ...]:
        """Shape of one sign per example and feature (channel), broadcast over the rest."""
        raise NotImplementedError

    def _per_sample_forward(self, x: Tensor) -> Tensor:
        return self._op(x, self.sample("weight"), self.sample("bias"))

    def _input_moments(self, x: Tensor, variance: bool) -> tuple[Tensor, Tensor | None]:
        """op(x, m⊙μ_w, m⊙μ_b) and, if ``variance``, op(x², m⊙σ²_w, m⊙σ²_b).

        Under per_sample the first layer sees the same input in every pass: its moments are
        computed once per draw."""
        key = _input_key(x)
        if self._moments is not None and self._moments[0] == key:
            return self._moments[2], self._moments[3]
        mean = self._op(x, self._moment("weight", 1), self._moment("bias", 1))
        var = None
        if variance:
            var = self._op(x * x, self._moment("weight", 2), self._moment("bias", 2))
        # holding x keeps its memory from being reused by another tensor with the same key
        self._moments = (key, x, mean, var)
        return mean, var

    def _moment(self, name: str, order: int) -> Tensor | None:
        """m⊙μ (order 1) or m⊙σ² (order 2) of one tensor; None for a missing bias."""
        if name not in self.tensor_names():
            return None
        mean, log_std, mask = self._triple(name)
        return (mean if order == 1 else torch.exp(2 * log_std)) * mask

    def _local_reparam_forward(self, x: Tensor) -> Tensor:
        """op(x, μ̃_w, μ̃_b) + sqrt(op(x², σ̃²_w, σ̃²_b)) ⊙ ε, ε ~ N(0, 1) per output entry."""
        mean, var = self._input_moments(x, variance=True)
        eps = normal(mean.shape, self._generator, mean.device, self.cpu_noise).to(mean.dtype)
        # the clamp keeps the gradient of sqrt finite where every weight of a unit is pruned
        return torch.addcmul(mean, var.clamp_min(1e-16).sqrt(), eps)

    def _flipout_forward(self, x: Tensor) -> Tensor:
        """op(x, μ̃_w, μ̃_b) + op(x ⊙ s, Δw, Δb) ⊙ r with random signs s and r per example (row
        of x) and input / output feature (channel)."""
        mean, _ = self._input_moments(x, variance=False)
        sign_in = self._signs(self._sign_shape(x), x)
        sign_out = self._signs(self._sign_shape(mean), mean)
        if self.active is not None:
            w, b, op = self.sample("weight"), self.sample("bias"), self._op
        else:
            w, b, op = self.stacked("weight"), self.stacked("bias"), self._stacked_op
        return torch.addcmul(mean, op(x * sign_in, w, b), sign_out)

    def _signs(self, shape: tuple[int, ...], like: Tensor) -> Tensor:
        z = normal(shape, self._generator, like.device, self.cpu_noise)
        return torch.where(z >= 0, 1.0, -1.0).to(like.dtype)

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
                eps = self.noise[name]
                w = torch.addcmul(mean * mask, log_std.exp() * mask, eps)
                per_entry = (log_prior - log_std) - 0.5 * eps**2 + w**2 / (2 * var_prior)
                total = total + (per_entry * mask).sum() / eps.shape[0]
        return total


class VILinear(VILayer):
    """Variational linear layer on [B, ..., in] (per_sample) or [S*B, ..., in] (stacked)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        prior_std: float = 1.0,
        init_std: float = 0.01,
        estimator: str = "weight_samples",
    ) -> None:
        self.in_features, self.out_features = in_features, out_features
        shape = (out_features, in_features)
        super().__init__(shape, out_features, bias, in_features, prior_std, init_std, estimator)

    def _op(self, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        return F.linear(x, w, b)

    def _stacked_op(self, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        """One batched matmul."""
        samples = w.shape[0]
        xs = x.reshape(samples, -1, self.in_features)
        if b is not None:
            out = torch.baddbmm(b.unsqueeze(1), xs, w.transpose(1, 2))
        else:
            out = torch.bmm(xs, w.transpose(1, 2))
        return out.reshape(*x.shape[:-1], self.out_features)

    def _sign_shape(self, t: Tensor) -> tuple[int, ...]:
        return (t.shape[0], *[1] * (t.dim() - 2), t.shape[-1])

    def _per_sample_forward(self, x: Tensor) -> Tensor:
        """One pass's output. A layer fed the network's input (the first layer) sees the same
        input in every pass: it computes all S passes in one matmul at pass 0 and serves the
        others from it, as one [B, in] x [in, S*out] product, forward and backward, is about
        twice as fast on a CPU as S products [B, in] x [in, out]."""
        key = _input_key(x)
        if self._shared_outputs is not None and self._shared_outputs[0] == key:
            return self._shared_outputs[2][self.active]
        if self.active == 0 and (x.data_ptr(), x._version) == self.network_input:
            w, b = self.stacked("weight"), self.stacked("bias")
            out = F.linear(x, w.flatten(0, 1), None if b is None else b.flatten())
            outputs = out.unflatten(-1, (w.shape[0], self.out_features)).unbind(-2)
            # holding x keeps its memory from being reused by another tensor with the same key
            self._shared_outputs = (key, x, outputs)
            return outputs[0]
        return super()._per_sample_forward(x)


class VIConv2d(VILayer):
    """Variational 2-D convolution on [B, C, H, W] (per_sample) or [S*B, C, H, W] (stacked)."""

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
        estimator: str = "weight_samples",
    ) -> None:
        self.in_channels, self.out_channels = in_channels, out_channels
        self.stride, self.padding = stride, padding
        shape = (out_channels, in_channels, kernel_size, kernel_size)
        fan_in = in_channels * kernel_size**2
        super().__init__(shape, out_channels, bias, fan_in, prior_std, init_std, estimator)

    def _op(self, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        return F.conv2d(x, w, b, self.stride, self.padding)

    def _stacked_op(self, x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
        """The samples become the groups of one convolution on [B, S*C, H, W]."""
        samples = w.shape[0]
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

    def _sign_shape(self, t: Tensor) -> tuple[int, ...]:
        return (t.shape[0], t.shape[1], 1, 1)


class SampleBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm with per-sample batch statistics, also on stacked inputs (as under vmap)."""

    samples: int = 1

    def forward(self, x: Tensor) -> Tensor:
        if self.samples == 1 or not (self.training or self.running_mean is None):
            return super().forward(x)
        return torch.cat([super(SampleBatchNorm2d, self).forward(c) for c in x.chunk(self.samples)])


@dataclass(frozen=True)
class Layers:
    """Layer factory: one model definition gives the deterministic and the Bayesian network."""

    bayes: BayesHparams | None = None  # None: deterministic

    @property
    def bayesian(self) -> bool:
        return self.bayes is not None

    def linear(self, i: int, o: int, bias: bool = True, classifier: bool = False) -> nn.Module:
        if self.bayes is None:
            return MaskedLinear(i, o, bias)
        init_std = self.bayes.init_std
        if classifier and self.bayes.classifier_init_std is not None:
            init_std = self.bayes.classifier_init_std
        return VILinear(i, o, bias, self.bayes.prior_std, init_std, self.bayes.estimator)

    def conv2d(
        self, i: int, o: int, k: int, stride: int = 1, padding: int = 0, bias: bool = True
    ) -> nn.Module:
        if self.bayes is None:
            return MaskedConv2d(i, o, k, stride=stride, padding=padding, bias=bias)
        b = self.bayes
        return VIConv2d(i, o, k, stride, padding, bias, b.prior_std, b.init_std, b.estimator)

    def batchnorm2d(self, channels: int) -> nn.Module:
        track = self.bayes is None or self.bayes.batchnorm_stats == "running"
        return SampleBatchNorm2d(channels, track_running_stats=track)


PRUNABLE_TYPES = (MaskedLinear, MaskedConv2d, VILayer)
