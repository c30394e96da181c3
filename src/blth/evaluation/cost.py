"""What a network costs at inference: weight multiply-accumulates (MACs) per example counting
only unpruned weights, the numbers it stores, and the bytes to store them.

Definitions (the columns of :data:`blth.io.artefacts.COST_COLUMNS`):

* ``weight_macs``: per example and forward pass, Σ over prunable layers of the layer's unpruned
  weight entries × the positions it is applied at (H'·W' for a convolution, tokens for a linear
  layer of a transformer, 1 for an MLP). Bias additions, normalisation and products between
  activations (attention scores) are not weight MACs and are not counted.
* ``predictive_macs``: ``weight_macs`` × S, the cost of one predictive of S weight samples
  (S = 1 for a deterministic network).
* ``stored_parameters``: unpruned weights and biases of the prunable layers, two numbers each (μ
  and σ) in a Bayesian network, plus every other parameter (normalisation, embeddings), dense.
* ``storage_bytes``: 4 bytes (float32) per stored parameter plus one bit per masked entry for the
  mask (a sparse format; a dense file would not shrink with pruning).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from blth.bayes.param_names import KINDS

if TYPE_CHECKING:
    from blth.models.base import Classifier

FLOAT_BYTES = 4


@dataclass(frozen=True)
class Structure:
    """The mask-independent part of a network's cost."""

    entries: dict[str, int]  # every weight and bias of the prunable layers ("fc.weight") -> size
    positions: dict[str, int]  # prunable layer ("fc") -> positions per example
    other_parameters: int  # parameters outside the prunable layers (normalisation, embeddings)


def structure(net: Classifier, input_shape: tuple[int, ...]) -> Structure:
    """Probe a deterministic ``net`` with one example of ``input_shape`` [C, H, W] for where each
    prunable layer is applied; the Bayesian version of the same model has the same structure."""
    import torch

    from blth.bayes.masked import mask_of

    if net.bayesian:
        raise ValueError("cost.structure probes the deterministic version of a model")
    layers = net.prunable_layers()
    positions: dict[str, int] = {}

    def probe(name: str) -> Callable[[object, object, torch.Tensor], None]:
        def hook(_module: object, _inputs: object, output: torch.Tensor) -> None:
            channels = output.shape[1] if output.dim() == 4 else output.shape[-1]
            positions[name] = output.numel() // channels  # batch of one

        return hook

    handles = [layer.register_forward_hook(probe(name)) for name, layer in layers.items()]
    try:
        with torch.no_grad():
            net.eval()(torch.zeros(1, *input_shape))
    finally:
        for handle in handles:
            handle.remove()
    entries = {
        f"{name}.{kind}": mask.numel()
        for name, layer in layers.items()
        for kind in KINDS
        if (mask := mask_of(layer, kind)) is not None
    }
    in_layers = sum(p.numel() for layer in layers.values() for p in layer.parameters())
    total = sum(p.numel() for p in net.parameters())
    return Structure(entries, positions, total - in_layers)


def cost_columns(
    shape: Structure, remaining: Mapping[str, int], bayesian: bool, samples: int
) -> dict[str, int]:
    """The cost columns of one run: ``remaining`` gives the unpruned entries of each masked
    tensor (``fc.weight`` -> count; unmasked tensors are dense), ``samples`` S of a predictive."""
    unknown = sorted(set(remaining) - set(shape.entries))
    if unknown:
        raise KeyError(f"masks for tensors the network does not have: {unknown}")
    kept = {name: remaining.get(name, size) for name, size in shape.entries.items()}
    weight_macs = sum(
        kept[f"{layer}.weight"] * positions for layer, positions in shape.positions.items()
    )
    per_entry = 2 if bayesian else 1  # μ and σ
    stored = per_entry * sum(kept.values()) + shape.other_parameters
    mask_bytes = math.ceil(sum(shape.entries[name] for name in remaining) / 8)
    return {
        "weight_macs": weight_macs,
        "predictive_macs": weight_macs * samples,
        "stored_parameters": stored,
        "storage_bytes": FLOAT_BYTES * stored + mask_bytes,
    }
