"""Training reaches the paper-level sanity bar on digits; resume is exact; divergence is named."""

import math

import pytest
import torch

from blth.bayes.hparams import BayesHparams
from blth.config.hparams import TrainHparams
from blth.data import prepared as data
from blth.models.registry import build
from blth.training import train


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    root = tmp_path_factory.mktemp("digits")
    return data.prepare("digits", root, root / "digits.safetensors")


@pytest.mark.parametrize(
    "bayes",
    [
        None,
        BayesHparams(samples=4, eval_samples=4),
        BayesHparams(samples=4, eval_samples=4, estimator="local_reparam"),
        BayesHparams(samples=4, eval_samples=4, estimator="flipout", kl="mc"),
    ],
    ids=["det", "bnn", "bnn-local_reparam", "bnn-flipout-mc_kl"],
)
def test_lenet_reaches_90_percent_on_digits(digits, bayes):
    torch.set_num_threads(2)
    net = build("lenet_300_100", digits.input_shape, digits.classes, bayes, seed=0)
    hp = TrainHparams(epochs=6, batch_size=64, milestones=())
    result = train.train(net, digits, hp, bayes, seed=0)
    assert max(r["test_acc"] for r in result.epochs) > 0.9
    assert len(result.epochs) == 6 and result.images_per_second > 0
    if bayes:
        assert result.epochs[-1]["train_kl"] > 0


def test_pruned_weights_stay_exactly_zero(digits):
    bayes = BayesHparams(samples=2, eval_samples=2)
    net = build("lenet_300_100", digits.input_shape, digits.classes, bayes, seed=0)
    mask = torch.rand(net.net.hidden[0].weight_mask.shape) < 0.3
    net.apply_masks({"hidden.0.weight": mask})
    before = net.net.hidden[0].weight_log_std.detach().clone()
    train.train(net, digits, TrainHparams(epochs=2, batch_size=64), bayes, seed=0)
    assert torch.all(net.net.hidden[0].weight_mean[~mask] == 0)
    # weight decay is masked too: pruned log σ never moves
    assert torch.equal(net.net.hidden[0].weight_log_std[~mask], before[~mask])


def test_resume_gives_the_same_final_weights(digits, tmp_path, caplog):
    bayes = BayesHparams(samples=2, eval_samples=2)
    hp = TrainHparams(epochs=4, batch_size=64, milestones=(3,))

    def fresh():
        return build("lenet_300_100", digits.input_shape, digits.classes, bayes, seed=0)

    straight = fresh()
    train.train(straight, digits, hp, bayes, seed=3)

    ckpt = tmp_path / "run.pt"
    interrupted = fresh()
    short = TrainHparams(**{**hp.__dict__, "epochs": 2})  # "killed" after epoch 2
    train.train(interrupted, digits, short, bayes, seed=3, checkpoint=ckpt, run_key="k")
    resumed = fresh()  # a new process: weights from the initialisation, state from the file
    caplog.clear()
    with caplog.at_level("INFO", logger="blth.training.train"):
        result = train.train(resumed, digits, hp, bayes, seed=3, checkpoint=ckpt, run_key="k")
    assert result.resumed_from == 2 and len(result.epochs) == 4
    # the log of the resumed job still shows every epoch (Snakemake deletes the old log)
    lines = [line for line in caplog.messages if " epoch " in line and " loss " in line]
    assert [line.split(" epoch ")[1].split()[0] for line in lines] == ["1/4", "2/4", "3/4", "4/4"]
    assert all("restored from the checkpoint" in line for line in lines[:2])
    for a, b in zip(straight.state_dict().values(), resumed.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_rewind_point_is_the_dense_runs_state_at_that_epoch(digits, tmp_path):
    """A run stopped at epoch k (the rewind point) and resumed ends exactly like the
    uninterrupted dense run: the rewind state is that run's state after k epochs."""
    hp = TrainHparams(epochs=3, batch_size=64, milestones=(2,))

    def fresh():
        return build("lenet_300_100", digits.input_shape, digits.classes, seed=0)

    straight = fresh()
    full = train.train(straight, digits, hp, None, seed=5)
    ckpt = tmp_path / "run.pt"
    point = fresh()
    head = train.train(point, digits, hp, None, seed=5, checkpoint=ckpt, run_key="k", stop_epoch=1)
    assert [r["epoch"] for r in head.epochs] == [1]
    assert head.epochs[0]["train_loss"] == full.epochs[0]["train_loss"]
    resumed = fresh()
    rest = train.train(resumed, digits, hp, None, seed=5, checkpoint=ckpt, run_key="k")
    assert rest.resumed_from == 1 and [r["epoch"] for r in rest.epochs] == [1, 2, 3]
    for a, b, c in zip(*(m.state_dict().values() for m in (straight, resumed, point))):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
        assert a.dtype != torch.float32 or not torch.equal(a, c)  # the point is epoch 1's


def test_late_rewound_run_continues_the_schedule(digits):
    hp = TrainHparams(epochs=4, batch_size=64, milestones=(2,))
    net = build("lenet_300_100", digits.input_shape, digits.classes, seed=0)
    result = train.train(net, digits, hp, None, seed=0, start_epoch=1)
    assert [r["epoch"] for r in result.epochs] == [2, 3, 4]
    assert [r["lr"] for r in result.epochs] == pytest.approx([1e-3, 1e-4, 1e-4])
    with pytest.raises(ValueError, match="start_epoch"):
        train.train(net, digits, hp, None, seed=0, start_epoch=5)


def test_checkpoint_of_another_run_is_ignored(digits, tmp_path):
    hp = TrainHparams(epochs=1, batch_size=64)
    ckpt = tmp_path / "run.pt"
    net = build("lenet_300_100", digits.input_shape, digits.classes, seed=0)
    train.train(net, digits, hp, None, seed=0, checkpoint=ckpt, run_key="a")
    result = train.train(net, digits, hp, None, seed=0, checkpoint=ckpt, run_key="b")
    assert result.resumed_from == 0


def test_divergence_names_the_run_and_epoch(digits):
    net = build("lenet_300_100", digits.input_shape, digits.classes, seed=0)
    with torch.no_grad():
        net.net.fc.weight.fill_(math.inf)
    with pytest.raises(train.TrainingDiverged, match="demo-run: .* in epoch 1"):
        train.train(
            net, digits, TrainHparams(epochs=2, batch_size=64), None, seed=0, name="demo-run"
        )


def test_lr_schedule():
    hp = TrainHparams(lr=1.0, milestones=(80, 120), gamma=0.1, warmup_epochs=2)
    assert [hp.lr_factor(e) for e in (0, 1, 79, 80, 120)] == pytest.approx(
        [0.5, 1.0, 1.0, 0.1, 0.01]
    )
