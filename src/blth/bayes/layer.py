"""The variational layer: mean-field Gaussian weights with pruning masks, drawn S times.

Each of the S weight samples is one draw shared by the whole batch (the paper's estimator, as
torch_blue). Two ways to compute the S forward passes, chosen by ``bayes.sample_strategy``
(:attr:`DrawState.per_sample`):

- ``per_sample`` (CPU default): the network runs once per sample on [B, ...] inputs, all in one
  autograd graph; a layer uses the weights of sample :attr:`DrawState.active`. Activations stay
  as small as the deterministic network's, which is what a CPU's caches need.
- ``stacked`` (CUDA default): activations are sample-major, one tensor [S*B, ...] in which sample
  s owns rows s*B .. (s+1)*B-1; linear layers use one batched matmul and convolutions one
  grouped convolution, so a GPU gets few, large kernels.

A pruned entry is exactly 0 in every weight sample (μ and σ are multiplied by the mask before
sampling), adds nothing to the KL, and receives zero gradient.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from blth.bayes.draw import DrawState
from blth.bayes.estimators import flipout_output, local_reparam_output
from blth.bayes.kl import closed_form_kl, monte_carlo_kl
from blth.bayes.masked import mask_name, register_masks
from blth.bayes.param_names import KINDS, PARTS, log_std_name, mean_name, stored_name
from blth.bayes.sampling import PerSampleWeights, StackedWeights


class VILayer(nn.Module):
    """Mean-field Gaussian weights w ~ N(μ, σ²), σ = exp(log_std), with masks and KL.

    Subclasses pass ``weight_shape``/``fan_in`` and define the operation (``_op``,
    ``_stacked_op``, ``_sign_shape``). Before a forward, :meth:`draw` hands the layer the
    network's :class:`DrawState` and its noise; :meth:`forward` follows the estimator and the
    strategy.
    """

    weight_mean: nn.Parameter
    weight_log_std: nn.Parameter
    bias_mean: nn.Parameter | None
    bias_log_std: nn.Parameter | None
    weight_mask: Tensor
    bias_mask: Tensor | None

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
        self.estimator = estimator  # see blth.bayes.estimators
        self.fan_in = fan_in
        self.prior_std = prior_std
        self.init_std = init_std
        for kind, shape in zip(KINDS, (weight_shape, (out,)), strict=True):
            for part in PARTS:
                value = nn.Parameter(torch.empty(shape)) if kind == "weight" or bias else None
                self.register_parameter(stored_name(kind, part), value)
        register_masks(self, torch.Size(weight_shape), bias, out)
        self.draw_state = DrawState(samples=0)  # the current draw, see draw()
        self.noise: dict[str, Tensor] = {}  # "weight"/"bias" -> ε [S, *shape] of the draw
        self._drop_draw_results()
        self.reset_parameters()

    def tensor_names(self) -> tuple[str, ...]:
        return KINDS if self.bias_mean is not None else KINDS[:1]

    def tensor_shape(self, name: str) -> torch.Size:
        """Shape of tensor ``name`` (``weight`` or ``bias``); its noise ε is [S, *shape]."""
        return self._variational(name)[0].shape

    def reset_parameters(self) -> None:
        """μ like PyTorch's own layers (Kaiming uniform, a=√5); σ₀ = init_std/√fan_in."""
        nn.init.kaiming_uniform_(self.weight_mean, a=math.sqrt(5))
        log_std = math.log(self.init_std / math.sqrt(self.fan_in))
        nn.init.constant_(self.weight_log_std, log_std)
        if self.bias_mean is not None and self.bias_log_std is not None:
            bound = 1 / math.sqrt(self.fan_in)
            nn.init.uniform_(self.bias_mean, -bound, bound)
            nn.init.constant_(self.bias_log_std, log_std)

    def draw(self, state: DrawState, noise: dict[str, Tensor] | None = None) -> None:
        """Start a draw of ``state.samples`` weight sets w = m⊙(μ + σ·ε): ε [S, *shape] per
        tensor, from ``state.generator`` unless ``noise`` injects it (the model's one-buffer
        draw, tests, exact replays). What the previous draw built is dropped; the weights are
        built when a forward first asks for them.

        With ``local_reparam`` nothing is drawn here: the forward draws activation noise."""
        self.draw_state = state
        self.noise = {}
        self._drop_draw_results()
        if self.estimator == "local_reparam":
            return
        for name in self.tensor_names():
            mean, _, _ = self._variational(name)
            self.noise[name] = (
                noise[name]
                if noise is not None
                else torch.randn(
                    (state.samples, *mean.shape),
                    generator=state.generator,
                    device=mean.device,
                    dtype=mean.dtype,
                )
            )

    def _drop_draw_results(self) -> None:
        """Forget what the last draw built (the explicit invalidation of every cache)."""
        self._stacked: dict[str, Tensor] = {}  # drawn tensors [S, *shape], built on first use
        self._per_sample: dict[str, tuple[Tensor, ...]] = {}  # S drawn tensors, on first use
        self._shared_moments: tuple[Tensor, ...] | None = None  # see _moments

    def _variational(self, name: str) -> tuple[Tensor, Tensor, Tensor]:
        """(μ, log σ, mask) of tensor ``name`` (``weight`` or ``bias``), each [*shape]."""
        return (
            getattr(self, mean_name(name)),
            getattr(self, log_std_name(name)),
            getattr(self, mask_name(name)),
        )

    def _masked_mean_and_std(self, name: str) -> tuple[Tensor, Tensor]:
        """(m⊙μ, m⊙σ) of one tensor: its masked weights are m⊙μ + m⊙σ ⊙ ε."""
        mean, log_std, mask = self._variational(name)
        return mean * mask, log_std.exp() * mask

    def _drawn_centre_and_scale(self, name: str) -> tuple[Tensor, Tensor]:
        """(c, s) of the tensors drawn as c + s ⊙ ε_s: the weights' (m⊙μ, m⊙σ), or under
        Flipout the perturbations' (0, m⊙σ)."""
        if self.estimator != "flipout":
            return self._masked_mean_and_std(name)
        mean, log_std, mask = self._variational(name)
        return mean.new_zeros(()), log_std.exp() * mask

    def drawn_stack(self, name: str) -> Tensor | None:
        """All S drawn tensors [S, *shape]: weights w_s = m⊙(μ + σ·ε_s), or under Flipout the
        perturbations Δw_s = m⊙σ·ε_s; None for a missing bias. Built once per draw."""
        if name not in self.noise:
            return None
        if name not in self._stacked:
            # per_sample (CPU): the cache-friendly backward; stacked (GPU): few, large kernels
            build = StackedWeights.apply if self.draw_state.per_sample else torch.addcmul
            self._stacked[name] = build(*self._drawn_centre_and_scale(name), self.noise[name])
        return self._stacked[name]

    def drawn(self, name: str) -> Tensor | None:
        """The drawn tensors of the running pass (see :meth:`drawn_stack`): the active
        sample's [*shape] (per_sample), or all S [S, *shape] (stacked)."""
        active = self.draw_state.active
        if name not in self.noise or active is None:
            return self.drawn_stack(name)
        if name not in self._per_sample:
            parts = self._drawn_centre_and_scale(name)
            self._per_sample[name] = PerSampleWeights.apply(*parts, self.noise[name])
        return self._per_sample[name][active]

    def _drawn_pair(self) -> tuple[Tensor, Tensor | None]:
        """(weight, bias) of the running pass, see :meth:`drawn`."""
        weight = self.drawn("weight")
        if weight is None:
            raise RuntimeError(f"{type(self).__name__}: draw() before the forward")
        return weight, self.drawn("bias")

    def forward(self, x: Tensor) -> Tensor:
        if self.estimator == "local_reparam":
            mean, var = self._moments(x, variance=True)
            return local_reparam_output(mean, var, self.draw_state)
        if self.estimator == "flipout":
            return self._flipout_forward(x)
        if self.draw_state.active is not None:
            return self._per_sample_forward(x)
        return self._stacked_op(x, *self._drawn_pair())

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
        """The active sample's pass, x [B, ...]."""
        return self._op(x, *self._drawn_pair())

    def _moments(self, x: Tensor, variance: bool) -> tuple[Tensor, ...]:
        """(op(x, m⊙μ_w, m⊙μ_b),) and, if ``variance``, op(x², m⊙σ²_w, m⊙σ²_b) after it.

        Under per_sample a layer fed the network's input sees the same input in every pass:
        it computes them once per draw."""
        shared = self.draw_state.is_network_input(x)
        if shared and self._shared_moments is not None:
            return self._shared_moments
        mean = self._op(x, *self._masked_moments(1))
        moments = (mean, self._op(x * x, *self._masked_moments(2))) if variance else (mean,)
        if shared:
            self._shared_moments = moments
        return moments

    def _masked_moments(self, order: int) -> tuple[Tensor, Tensor | None]:
        """(weight, bias) of m⊙μ (order 1) or m⊙σ² (order 2); bias None if missing."""
        weight = self._masked_moment("weight", order)
        bias = self._masked_moment("bias", order) if self.bias_mean is not None else None
        return weight, bias

    def _masked_moment(self, name: str, order: int) -> Tensor:
        mean, log_std, mask = self._variational(name)
        return (mean if order == 1 else torch.exp(2 * log_std)) * mask

    def _flipout_forward(self, x: Tensor) -> Tensor:
        """op(x, m⊙μ) + op(x ⊙ s, Δw) ⊙ r, see blth.bayes.estimators."""
        (mean,) = self._moments(x, variance=False)
        w, b = self._drawn_pair()  # the perturbations of the running pass
        op = self._stacked_op if self.draw_state.active is None else self._op
        return flipout_output(x, mean, lambda t: op(t, w, b), self._sign_shape, self.draw_state)

    def kl(self, kind: str) -> Tensor:
        """KL(q‖p) summed over unpruned entries: ``closed`` form, or ``mc`` over the last
        draw's samples."""
        total = self.weight_mean.new_zeros(())
        for name in self.tensor_names():
            mean, log_std, mask = self._variational(name)
            if kind == "closed":
                term = closed_form_kl(mean, log_std, mask, self.prior_std)
            else:
                eps = self.noise[name]
                weights = torch.addcmul(*self._masked_mean_and_std(name), eps)
                term = monte_carlo_kl(weights, log_std, mask, eps, self.prior_std)
            total = total + term
        return total
