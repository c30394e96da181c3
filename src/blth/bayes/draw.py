"""The state of one draw of S weight sets, shared by every variational layer of a network."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor


def input_key(x: Tensor) -> tuple[int, int]:
    """(memory address, version counter) of ``x``: equal for views of one tensor with the same
    start, until one of them is written in place."""
    return x.data_ptr(), x._version


@dataclass(eq=False)
class DrawState:
    """What the layers of a network share during one forward over S weight samples.

    The model builds one per forward and hands it to each layer with its noise
    (:meth:`blth.bayes.layer.VILayer.draw`); during the per-sample passes it sets ``active``.
    """

    samples: int  # S
    # the strategy: one pass per sample on [B, ...] inputs (True) or one pass on [S*B, ...]
    per_sample: bool = False
    generator: torch.Generator | None = None  # activation noise and signs (see estimators)
    cpu_noise: str = "native"  # how activation noise and signs are drawn, see blth.bayes.noise
    # per_sample: the network's input [B, ...]; None: no layer shares work across passes
    network_input: Tensor | None = None
    active: int | None = None  # per_sample: the sample whose pass runs; None: all samples
    _input_key: tuple[int, int] | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # the key is taken now: an in-place write to the input later ends the sharing; holding
        # the input keeps its memory from being reused by another tensor with the same key
        self._input_key = None if self.network_input is None else input_key(self.network_input)

    @property
    def stacked_samples(self) -> int:
        """Samples stacked in each activation: S (stacked), 1 (per_sample)."""
        return 1 if self.per_sample else self.samples

    def is_network_input(self, x: Tensor) -> bool:
        """Whether ``x`` is (a view of) the network's input, unchanged: a layer fed it sees the
        same input in every per-sample pass, so it may compute once per draw for all passes."""
        # Identity by address: a layer cannot otherwise tell that its input is a view (flatten,
        # reshape) of the network's input rather than a new activation with equal shape.
        return self._input_key is not None and input_key(x) == self._input_key
