"""The ``train`` and ``evaluation`` sections of the config as dataclasses (torch-free, so the
workflow reads them quickly), with the schema's defaults: the paper's curriculum and metrics.
The Bayesian settings are :class:`blth.bayes.hparams.BayesHparams`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from blth.shift import ShiftHparams


@dataclass(frozen=True)
class TrainHparams:
    """Optimisation settings; defaults are the paper's curriculum."""

    epochs: int = 160
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4  # Adam's coupled L2, applied to unpruned entries only
    milestones: tuple[int, ...] = (80, 120)  # LR × gamma at these epochs
    gamma: float = 0.1
    warmup_epochs: int = 0  # linear warmup over the first epochs (paper appendix A)
    eval_batch_size: int = 1000
    amp: bool = True  # bf16 autocast on CUDA (parameters stay fp32); ignored on the CPU
    compile: bool = False  # torch.compile the model
    channels_last: bool = True  # NHWC layout for networks with convolutions (faster convs)

    def lr_factor(self, epoch: int) -> float:
        """Multiplier of ``lr`` during ``epoch`` (0-based)."""
        warm = min(1.0, (epoch + 1) / self.warmup_epochs) if self.warmup_epochs else 1.0
        return warm * self.gamma ** sum(epoch >= m for m in self.milestones)


@dataclass(frozen=True)
class EvaluationHparams:
    """How a series of runs is evaluated: passes over the test set and calibration bins."""

    passes: int = 5  # repeated predictive passes (their spread is acc_std)
    ece_bins: int = 15
    mace_bins: int = 15
    classwise_bins: int = 100  # the authors' all-class MACE variant
    shift: ShiftHparams = field(default_factory=ShiftHparams)
