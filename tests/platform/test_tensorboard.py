"""The optional TensorBoard writer: train's on_epoch hook writes every epoch row's scalars."""

from __future__ import annotations

import sys

import pytest
import torch

from blth.bayes.hparams import BayesHparams
from blth.config.hparams import TrainHparams
from blth.data.prepared import ImageData
from blth.models.registry import build
from blth.platform import tensorboard
from blth.training import train


def _tiny_data() -> ImageData:
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, 256, (96, 1, 8, 8), generator=g, dtype=torch.uint8)
    y = torch.arange(96) % 10
    return ImageData("synthetic", x[:64], y[:64], x[64:], y[64:], augment=False, classes=10)


def _train(data, epochs, log, **kwargs):
    torch.set_num_threads(2)
    bayes = BayesHparams(samples=2, eval_samples=2)
    net = build("lenet_300_100", data.input_shape, data.classes, bayes, seed=0)
    hp = TrainHparams(epochs=epochs, batch_size=32, milestones=())
    return train.train(net, data, hp, bayes, seed=0, on_epoch=log, **kwargs)


def test_on_epoch_gets_each_new_row_once(tmp_path):
    data, seen = _tiny_data(), []
    ckpt = tmp_path / "run.pt"
    first = _train(data, 1, seen.append, checkpoint=ckpt, run_key="k")
    assert seen == first.epochs
    resumed = _train(data, 3, seen.append, checkpoint=ckpt, run_key="k")
    assert resumed.resumed_from == 1  # epoch 1 came from the checkpoint and is not replayed
    assert [r["epoch"] for r in seen] == [1, 2, 3] and seen[1:] == resumed.epochs[1:]


def test_writer_writes_every_scalar_of_every_epoch(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log_dir = tmp_path / "tensorboard" / "run"
    with tensorboard.writer(log_dir) as log:
        result = _train(_tiny_data(), 2, log)
    assert list(log_dir.glob("events.out.tfevents.*"))
    events = EventAccumulator(str(log_dir))
    events.Reload()
    assert set(events.Tags()["scalars"]) == set(tensorboard.SCALARS)
    for key in tensorboard.SCALARS:
        scalars = events.Scalars(key)
        assert [s.step for s in scalars] == [1, 2]
        expected = [r[key] for r in result.epochs]
        assert [s.value for s in scalars] == pytest.approx(expected, rel=1e-6)
    assert events.Scalars("train_kl")[-1].value > 0


def test_missing_tensorboard_names_the_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # import now fails
    with pytest.raises(ModuleNotFoundError, match="pip install tensorboard"):
        tensorboard.writer(tmp_path / "tb")
