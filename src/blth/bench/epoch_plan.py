"""The epoch benchmark's cases and sizes: which model, kind and setting, in which order, and
the paper's times and the targets they are held against."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from blth.bayes.hparams import BayesHparams

MODELS = ("resnet20", "vgg11", "vit_tiny")
PAPER_MINUTES = {  # Table 1 of the paper: minutes per IMP level, (deterministic, Bayesian)
    "resnet20": (12, 33),
    "vgg11": (13, 72),
    "vit_tiny": (9, 51),
}
TARGET_EPOCH_S = {("resnet20", False): 0.4, ("resnet20", True): 1.9}  # one H100


@dataclass(frozen=True)
class Sizes:
    """The data and steps of every case."""

    images: int  # training images per epoch
    shape: tuple[int, int, int]
    batch: int
    samples: int  # S of the Bayesian cases
    warmup: int  # full warm-up steps before the last-batch-sized one
    max_timed_s: float  # longer epochs are timed in part and scaled


SIZES = {
    "full": Sizes(50_000, (3, 32, 32), 128, 10, 10, 20.0),
    "quick": Sizes(16, (3, 16, 16), 8, 2, 1, 1.0),  # CPU, seconds: checks the machinery only
}


@dataclass(frozen=True)
class Case:
    """One timed epoch: model, kind and settings."""

    model: str
    kind: str  # det, stacked or per_sample (the Bayesian sample strategy)
    amp: bool = True
    compile: bool = False
    jobs: int = 1  # processes training at once on the device

    def bayes(self, sizes: Sizes) -> BayesHparams | None:
        """The Bayesian settings of the case (None: deterministic)."""
        if self.kind == "det":
            return None
        return BayesHparams(
            samples=sizes.samples, eval_samples=sizes.samples, sample_strategy=self.kind
        )


def _plan() -> list[Case]:
    """Most telling first, as the budget cuts from the end; ResNet-20 gets every combination.
    Compiled cases come after the eager ones: on the first H200 window (benchmarks/README.md)
    compiling the Bayesian ResNet-20 took over 195 s, longer than all the eager cases together."""
    kinds = ("det", "stacked", "per_sample")
    plan = [Case(m, k) for m in MODELS for k in kinds]  # amp on, eager: the defaults
    plan += [Case("resnet20", k, jobs=2) for k in ("det", "stacked")]
    plan += [Case("resnet20", k, amp=False) for k in kinds]
    plan += [Case("resnet20", k, compile=True) for k in kinds]
    plan += [Case(m, k, compile=True) for m in MODELS[1:] for k in kinds]
    plan += [Case(m, k, amp=False) for m in MODELS[1:] for k in kinds]
    plan += [Case("resnet20", k, amp=False, compile=True) for k in kinds]
    return plan


PLAN = _plan()
QUICK_PLAN = [  # every model, kind and setting once, not every combination
    *(Case("resnet20", k) for k in ("det", "stacked", "per_sample")),
    Case("vgg11", "det"),
    Case("vit_tiny", "per_sample"),
    Case("resnet20", "stacked", amp=False),
    Case("resnet20", "per_sample", compile=True),  # refused on any device: the refusal's row
    Case("resnet20", "det", jobs=2),
]


def find(results: list[dict], case: Case) -> dict | None:
    """The measured row of ``case`` among ``results``, if any."""
    fields = dataclasses.asdict(case)
    for row in results:
        key = {"model": row["model"], "amp": row["amp"], "compile": row["compile"]}
        key |= {"kind": row["sample_strategy"] or "det", "jobs": row["jobs"]}
        if key == fields and row.get("status") == "ok":
            return row
    return None
