"""The named steps of a training (blth.training): set-up, an epoch's steps, the test pass, the
checkpoint's state, and resuming from it; each alone, on a tiny image set."""

from __future__ import annotations

import dataclasses
import logging

import pytest
import torch
from tiny_data import tiny_images

from blth.bayes.hparams import BayesHparams
from blth.config.hparams import TrainHparams
from blth.models.registry import build
from blth.training import checkpoint, train
from blth.training.session import Training

BAYES = BayesHparams(samples=2, eval_samples=2)
HP = TrainHparams(epochs=3, batch_size=8, milestones=(2,))
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def images():
    torch.set_num_threads(2)
    return tiny_images()


def set_up(images) -> Training:
    """A fresh run of one initialisation, as a new process would start it."""
    net = build("lenet_300_100", images.input_shape, images.classes, BAYES, seed=0)
    return Training.set_up(net, images, HP, BAYES, seed=3, device=CPU)


def test_set_up_holds_the_generators_a_checkpoint_keeps(images):
    training = set_up(images)
    assert training.images == 16 and training.model.training
    assert training.noise_gen is training.model.generator
    assert training.data_gen is training.train_loader.generator
    assert list(training.state("k", []).keys()) == [
        "run_key",
        "model",
        "optimizer",
        "data_rng",
        "noise_rng",
        "epochs",
    ]  # the file's layout


def test_fit_follows_the_schedule(images):
    training = set_up(images)
    fits = [training.fit(epoch) for epoch in range(3)]
    assert [f.lr for f in fits] == pytest.approx([1e-3, 1e-3, 1e-4])
    assert all(f.seconds > 0 and f.kl > 0 and 0 <= f.correct <= 16 for f in fits)


def test_evaluate_repeats_and_leaves_the_training_draws_alone(images):
    training = set_up(images)
    noise = training.noise_gen.get_state()
    first = training.evaluate(0)
    assert first.keys() == {"test_acc", "test_nll"}
    assert training.evaluate(0) == first  # its own generator, seeded by the epoch
    assert torch.equal(training.noise_gen.get_state(), noise)


def test_restored_state_continues_bit_for_bit(images, tmp_path):
    path = tmp_path / "run.pt"
    straight = set_up(images)
    straight.fit(0)
    checkpoint.save(path, straight.state("k", []))
    after_one = straight.fit(1)
    resumed = set_up(images)
    state = checkpoint.load(path, "k")
    assert state is not None
    resumed.restore(state)
    again = resumed.fit(1)
    assert dataclasses.astuple(again)[:-1] == dataclasses.astuple(after_one)[:-1]  # not seconds
    for a, b in zip(straight.model.state_dict().values(), resumed.model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_load_skips_a_missing_file_and_another_runs(images, tmp_path):
    path = tmp_path / "run.pt"
    assert checkpoint.load(None, "k") is None and checkpoint.load(path, "k") is None
    checkpoint.save(path, set_up(images).state("a", []))
    assert checkpoint.load(path, "b") is None and path.exists()  # left for its own run
    assert checkpoint.load(path, "a") is not None


def test_resume_restores_and_relogs_the_epochs(images, tmp_path, caplog):
    path = tmp_path / "run.pt"
    net = build("lenet_300_100", images.input_shape, images.classes, BAYES, seed=0)
    done = train.train(net, images, HP, BAYES, seed=3, checkpoint=path, run_key="k", stop_epoch=1)
    training = set_up(images)
    with caplog.at_level(logging.INFO, logger="blth.training.train"):
        result = train.resume(training, path, "k", "demo", stop_epoch=3)
    assert result.resumed_from == 1 and result.epochs == done.epochs
    assert [r.name for r in caplog.records] == ["blth.training.train", "blth.training.train"]
    restored, resuming = caplog.messages
    assert restored.startswith("demo epoch 1/3 loss ")
    assert restored.endswith("(restored from the checkpoint)")
    assert resuming == f"demo: resuming after epoch 1 from {path}"
    for a, b in zip(net.state_dict().values(), training.model.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert train.resume(set_up(images), path, "other", "demo", 3).resumed_from == 0
