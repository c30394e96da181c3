"""The network wrapper every model shares: sampling, masks and KL in one place."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch import Tensor, nn

from blth.bayes.batchnorm import SampleBatchNorm2d
from blth.bayes.conv import VIConv2d
from blth.bayes.draw import DrawState
from blth.bayes.factory import PRUNABLE_TYPES
from blth.bayes.hparams import BayesHparams
from blth.bayes.layer import VILayer
from blth.bayes.masked import mask_of
from blth.bayes.noise import standard_normal
from blth.bayes.param_names import KINDS, value_name

Noise = dict[str, dict[str, Tensor]]  # layer name -> tensor name -> ε [S, *shape]


class Classifier(nn.Module):
    """Wraps a network built from a :class:`blth.bayes.factory.Layers` factory.

    ``forward(x [B, ...], samples=S)`` returns logits [S, B, classes]; a deterministic network
    always returns S = 1. ``classifier`` names the final layer (excluded from pruning by default).
    """

    def __init__(self, net: nn.Module, bayes: BayesHparams | None, classifier: str = "fc") -> None:
        super().__init__()
        self.net = net
        self.bayes = bayes
        self.bayesian = bayes is not None
        self.classifier = classifier
        self.memory_format = torch.contiguous_format  # of 4-D inputs, see set_channels_last
        self.generator: torch.Generator | None = None  # source of weight noise
        self._vi = [(n, m) for n, m in net.named_modules() if isinstance(m, VILayer)]
        self._norms = [m for m in net.modules() if isinstance(m, SampleBatchNorm2d)]

    def set_channels_last(self, enabled: bool) -> None:
        """Channels-last (NHWC) layout for the weights and inputs of a network with convolutions:
        faster convolutions on CPUs (oneDNN) and GPUs (tensor cores); no effect on an MLP."""
        has_convs = any(isinstance(m, nn.Conv2d | VIConv2d) for m in self.net.modules())
        use = enabled and has_convs
        self.memory_format = torch.channels_last if use else torch.contiguous_format
        self.net.to(memory_format=self.memory_format)

    def prunable_layers(self) -> dict[str, nn.Module]:
        """Layers with masks, by module name (the names masks and state dicts use)."""
        return {n: m for n, m in self.net.named_modules() if isinstance(m, PRUNABLE_TYPES)}

    def weight_counts(self) -> tuple[int, int]:
        """(entries, unpruned entries) of every masked weight and bias, classifier included."""
        masks = [
            m
            for layer in self.prunable_layers().values()
            for m in (mask_of(layer, kind) for kind in KINDS)
            if m is not None
        ]
        return sum(m.numel() for m in masks), int(sum(m.sum().item() for m in masks))

    def describe(self) -> dict:
        """Metadata stored beside a state dict: prunable layers in order, classifier, kind."""
        return {
            "layers": list(self.prunable_layers()),
            "classifier": self.classifier,
            "bayesian": self.bayesian,
        }

    @torch.no_grad()
    def apply_masks(self, masks: Mapping[str, np.ndarray | Tensor]) -> None:
        """Install masks (keys like ``fc1.weight``) and zero the stored μ / w of pruned entries.

        Tensors without a mask stay dense. Pruned entries then sample as exactly 0, add no KL
        and get zero gradient.
        """
        layers = self.prunable_layers()
        for name, mask in masks.items():
            module, kind = name.rsplit(".", 1)
            target = mask_of(layers[module], kind) if module in layers else None
            if target is None:
                raise KeyError(
                    f"mask {name!r} matches no prunable tensor of the model; "
                    f"prunable layers are {list(layers)}"
                )
            mask = torch.as_tensor(np.asarray(mask) if not isinstance(mask, Tensor) else mask)
            if target.shape != mask.shape:
                raise ValueError(
                    f"mask {name!r} has shape {tuple(mask.shape)}, the model "
                    f"expects {tuple(target.shape)}"
                )
            target.copy_(mask)
            getattr(layers[module], value_name(kind, self.bayesian)).mul_(target)

    def numpy_state(self) -> dict[str, np.ndarray]:
        """The state dict as float32 numpy arrays on the CPU (for safetensors)."""
        return {k: v.detach().cpu().contiguous().numpy() for k, v in self.state_dict().items()}

    def load_numpy_state(self, state: Mapping[str, np.ndarray]) -> None:
        device = next(self.parameters()).device
        self.load_state_dict(
            {k: torch.from_numpy(np.asarray(v)).to(device) for k, v in state.items()}
        )

    def forward(self, x: Tensor, samples: int = 1, noise: Noise | None = None) -> Tensor:
        batch = x.shape[0]
        if x.dim() == 4:
            x = x.contiguous(memory_format=self.memory_format)
        if self.bayes is None:
            return self.net(x).unsqueeze(0)
        state = self._new_draw(x, samples, self.bayes)
        if noise is None and self.bayes.estimator != "local_reparam":
            noise = self._draw_noise(samples, x.device, self.bayes)
        for name, layer in self._vi:
            layer.draw(state, None if noise is None else noise[name])
        for norm in self._norms:
            norm.samples = state.stacked_samples
        if state.per_sample:
            return self._per_sample_passes(x, state)
        out = self.net(x.repeat(samples, *([1] * (x.dim() - 1))))
        return out.reshape(samples, batch, -1)

    def _new_draw(self, x: Tensor, samples: int, bayes: BayesHparams) -> DrawState:
        """The state the variational layers share in this forward (see blth.bayes)."""
        per_sample = bayes.per_sample_on(x.device.type)
        return DrawState(
            samples,
            per_sample,
            self.generator,
            bayes.cpu_noise,
            network_input=x if per_sample else None,
        )

    def _draw_noise(self, samples: int, device: torch.device, bayes: BayesHparams) -> Noise:
        """ε for every variational tensor in one draw (see blth.bayes.noise)."""
        tensors = [(n, t, m.tensor_shape(t)) for n, m in self._vi for t in m.tensor_names()]
        shapes = [shape for *_, shape in tensors]
        eps = standard_normal(shapes, samples, self.generator, device, bayes.cpu_noise)
        noise: Noise = {n: {} for n, _ in self._vi}
        for (n, t, _), e in zip(tensors, eps, strict=True):
            noise[n][t] = e
        return noise

    def _per_sample_passes(self, x: Tensor, state: DrawState) -> Tensor:
        """Logits [S, B, classes], one pass of the network per sample."""
        outputs = []
        try:
            for sample in range(state.samples):
                state.active = sample
                outputs.append(self.net(x))
        finally:
            state.active = None
        return torch.stack(outputs)

    def kl(self, kind: str = "closed") -> Tensor:
        """KL(q‖p) of all variational layers (0 for a deterministic network)."""
        total = torch.zeros((), device=next(self.parameters()).device)
        for _, layer in self._vi:
            total = total + layer.kl(kind)
        return total

    def state_dict(self, *args, **kwargs):  # noqa: D102 - names without the "net." prefix
        return self.net.state_dict(*args, **kwargs)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):  # noqa: D102
        return self.net.load_state_dict(state_dict, strict=strict, assign=assign)


def init_deterministic(net: nn.Module) -> None:
    """open_lth defaults: Kaiming-normal conv/linear weights, BatchNorm γ ~ U(0, 1), β = 0."""
    for m in net.modules():
        if isinstance(m, nn.Linear | nn.Conv2d):
            nn.init.kaiming_normal_(m.weight)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight)
            nn.init.zeros_(m.bias)


def init_bayesian(net: nn.Module) -> None:
    """Variational layers initialise themselves; BatchNorm as in open_lth (paper code)."""
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight)
            nn.init.zeros_(m.bias)
