"""The step benchmark's cases (``blth bench``): which model, implementation and kind, and how
many steps each is timed for. Case names come from the torch-free :mod:`blth.bench.case_names`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from blth.bayes.hparams import BayesHparams
from blth.bench.case_names import BLTH_VARIANTS, IMPLS, MODELS

CLASSES = 10
BATCH = 128
SAMPLES = 10
DATA_SIZE = 50_000
TEMPERATURE = 0.1
LR = 1e-3


@dataclass(frozen=True)
class Case:
    """One timed optimiser step: a model of :data:`MODELS` in an implementation of
    :data:`IMPLS` or :data:`BLTH_VARIANTS`, deterministic or Bayesian."""

    model: str
    impl: str
    bayesian: bool

    @property
    def samples(self) -> int:
        return SAMPLES if self.bayesian else 1

    def bayes(self) -> BayesHparams | None:
        """Settings of a Bayesian blth case (None for deterministic or torch_blue)."""
        if not self.bayesian or self.impl not in BLTH_VARIANTS:
            return None
        variant: dict[str, Any] = BLTH_VARIANTS[self.impl]  # settings of several types
        return BayesHparams(samples=self.samples, **variant)


def cases(models: Iterable[str] = MODELS, impls: Iterable[str] = IMPLS) -> list[Case]:
    """Deterministic blth (the reference) plus a Bayesian case per implementation."""
    out = []
    for model in models:
        if model not in MODELS:
            raise ValueError(f"unknown benchmark model {model!r}; choose from {list(MODELS)}")
        out.append(Case(model, "blth", False))
        out.extend(Case(model, impl, True) for impl in impls)
    return out


# (warm-up steps, rounds, timed steps per round); every case of a model gets the same number of
# rounds, so the cases alternate until the end (blocks of about equal wall time).
PLANS = {  # (quick, model, bayesian)
    (True, "lenet_300_100", False): (5, 4, 10),
    (True, "lenet_300_100", True): (2, 4, 5),
    (True, "resnet20", False): (1, 3, 2),
    (True, "resnet20", True): (1, 3, 1),
    (False, "lenet_300_100", False): (20, 10, 40),
    (False, "lenet_300_100", True): (3, 10, 20),
    (False, "resnet20", False): (3, 5, 6),
    (False, "resnet20", True): (2, 5, 2),
}


def schedule(case: Case, quick: bool, steps: int | None = None) -> tuple[int, int, int]:
    """(warm-up steps, rounds, timed steps per round); ``steps`` gives (1, steps, 1)."""
    if steps is not None:
        return 1, steps, 1
    return PLANS[quick, case.model, case.bayesian]
