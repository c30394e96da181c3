"""Pruning arms: which kind of network is pruned by which criterion."""

from __future__ import annotations

from dataclasses import dataclass

from blth.lottery.scores import check

DET, BNN = "det", "bnn"  # an arm's kind of network: deterministic or Bayesian
KINDS = (DET, BNN)
DET_CRITERION = "magnitude"  # the criterion of the arm named just "det"


@dataclass(frozen=True)
class Arm:
    """``det`` (|w|), ``det-<criterion>`` or ``bnn-<criterion>`` (e.g. ``bnn-snr``)."""

    name: str
    bayesian: bool
    criterion: str

    @classmethod
    def parse(cls, name: str) -> Arm:
        kind, _, criterion = name.partition("-")
        if kind not in KINDS or (kind == BNN and not criterion):
            raise ValueError(
                f"arm {name!r} must be 'det', 'det-<criterion>' or 'bnn-<criterion>' (e.g. bnn-snr)"
            )
        bayesian = kind == BNN
        criterion = criterion or DET_CRITERION
        check(criterion, bayesian)
        return cls(name, bayesian, criterion)
