"""Optional TensorBoard logging of a run: an ``on_epoch`` hook for
:func:`blth.training.train.train`::

    with tensorboard.writer("results/demo/tensorboard/run") as log:
        train.train(net, images, hp, bayes, seed=0, on_epoch=log)

Each epoch row's scalars (:data:`SCALARS`) go under their own names, at step ``row["epoch"]``
(the schedule's epoch, so a late-rewound ticket continues where its rewind point stopped).
TensorBoard is not a dependency of blth: ``pip install tensorboard`` (or ``pip install -e
.[tensorboard]``); it is imported only when a writer is made.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

# The epoch row's fields (blth.training.train.train) that are written, each as one scalar series
SCALARS = (
    "train_loss",
    "train_nll",
    "train_kl",
    "train_acc",
    "test_acc",
    "test_nll",
    "lr",
    "images_per_second",
)


class EpochWriter:
    """Writes each epoch row it is called with to TensorBoard event files under ``log_dir``."""

    def __init__(self, log_dir: str | Path, purge_step: int | None = None) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as e:  # torch raises ImportError when tensorboard is missing
            raise ModuleNotFoundError(
                "TensorBoard logging needs the tensorboard package: pip install tensorboard "
                "(or pip install -e .[tensorboard])"
            ) from e
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        # purge_step: a resumed run's first new epoch; events at or after it from an earlier,
        # interrupted attempt are hidden
        self._writer = SummaryWriter(str(self.log_dir), purge_step=purge_step)

    def __call__(self, row: dict[str, Any]) -> None:
        step = int(row["epoch"])
        for key in SCALARS:
            if key in row:
                self._writer.add_scalar(key, float(row[key]), global_step=step)
        self._writer.flush()  # each epoch on disk as it ends, for a TensorBoard watching it

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> EpochWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def writer(log_dir: str | Path, purge_step: int | None = None) -> EpochWriter:
    """An ``on_epoch`` callback writing under ``log_dir`` (results/<experiment>/tensorboard/<run>).

    Close it (or use it as a context manager) when training ends. Raises ModuleNotFoundError
    naming ``pip install tensorboard`` when TensorBoard is not installed.
    """
    return EpochWriter(log_dir, purge_step)
