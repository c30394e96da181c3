"""``train.compile``: compiled models match eager ones; the others are refused at the start.

Tolerance: inductor fuses and reorders float32 arithmetic, so logits agree to 1e-5 of their
largest magnitude (measured: a few 1e-7 relative for LeNet and ResNet-20) and the gradients of
one training step to 1e-4 of the largest entry. That step (``train_epoch``, as a job takes
it) uses SGD, whose update is linear in the gradient, so the weights after it agree to lr times
the gradients' tolerance; Adam's first update, lr * g / (|g| + 1e-8), is about lr * sign(g), and
flips for weights whose gradient is at rounding-noise level (measured: 1 of 37k by 2 lr).
"""

from __future__ import annotations

import copy

import pytest
import torch
from tiny_data import tiny_images

from blth.bayes.hparams import BayesHparams
from blth.config.hparams import TrainHparams
from blth.data.prepared import DeviceLoader
from blth.models.registry import build
from blth.platform import compiling
from blth.training import train
from blth.training.epoch import train_epoch

CPU = torch.device("cpu")
STACKED = BayesHparams(samples=2, eval_samples=2, sample_strategy="stacked")
HP = TrainHparams(batch_size=4)
LR = 0.1


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()  # no compiled code or recompile counts shared between tests
    yield
    torch._dynamo.reset()


def one_batch(shape: tuple[int, ...]) -> DeviceLoader:
    images = tiny_images(shape, n_train=4, n_test=4)
    mean, std = images.channel_stats()
    gen = torch.Generator().manual_seed(3)
    return DeviceLoader(images.train_x, images.train_y, 4, mean, std, CPU, True, True, gen)


@pytest.mark.slow
@pytest.mark.parametrize("bayes", [None, STACKED], ids=["det", "bnn-stacked"])
@pytest.mark.parametrize(("name", "shape"), [("lenet_300_100", (1, 8, 8)), ("resnet20", (3, 8, 8))])
def test_compiled_model_matches_eager(name, shape, bayes):
    eager = build(name, shape, 10, bayes, seed=0).train()
    model = copy.deepcopy(eager)
    forward = compiling.compiled(model, CPU)
    x, _ = next(iter(one_batch(shape)))
    outputs = []
    for net, fwd in ((eager, eager), (model, forward)):
        net.generator = torch.Generator().manual_seed(7)  # the same weight noise
        outputs.append(fwd(x, 2).detach())
    scale = outputs[0].abs().max().item()
    torch.testing.assert_close(outputs[1], outputs[0], rtol=0, atol=1e-5 * scale)

    for net, fwd in ((eager, eager), (model, forward)):  # one training step
        net.generator = torch.Generator().manual_seed(8)
        optimizer = torch.optim.SGD(net.parameters(), lr=LR)
        train_epoch(net, fwd, one_batch(shape), optimizer, HP, bayes, 100)
    grads = [(p.grad, q.grad) for p, q in zip(eager.parameters(), model.parameters())]
    scale = max(g.abs().max().item() for g, _ in grads)
    for g, h in grads:
        torch.testing.assert_close(h, g, rtol=0, atol=1e-4 * scale)
    for p, q in zip(eager.parameters(), model.parameters()):
        torch.testing.assert_close(q, p, rtol=1e-6, atol=LR * 1e-4 * scale)


REFUSED = {
    "per_sample (auto on a CPU)": (
        BayesHparams(samples=2),
        "sample strategy per_sample (sample_strategy: auto on a CPU)",
    ),
    "per_sample": (
        BayesHparams(samples=2, sample_strategy="per_sample"),
        "strategy per_sample runs",
    ),
    "local_reparam": (
        BayesHparams(samples=2, sample_strategy="stacked", estimator="local_reparam"),
        "estimator local_reparam draws noise inside every layer",
    ),
    "flipout": (
        BayesHparams(samples=2, sample_strategy="stacked", estimator="flipout"),
        "estimator flipout draws noise inside every layer",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_uncompilable_combinations_are_refused_when_the_run_starts(case, caplog):
    bayes, reason = REFUSED[case]
    images = tiny_images()
    net = build("lenet_300_100", images.input_shape, 10, bayes, seed=0)
    hp = TrainHparams(epochs=1, batch_size=8, compile=True)
    with pytest.raises(compiling.CompileUnsupported) as error:
        train.train(net, images, hp, bayes, seed=0)
    message = str(error.value)
    assert message.startswith("train.compile: true is not supported for the Bayesian LeNet")
    assert reason in message and message.endswith("or set train.compile: false")
    assert "epoch" not in caplog.text  # nothing trained


def test_no_cpp_compiler_is_refused():
    from torch._inductor import config

    net = build("lenet_300_100", (1, 8, 8), 10, None, seed=0)
    problem = r"deterministic LeNet on cpu: inductor's CPU backend needs a C\+\+ compiler"
    with (
        config.patch({"cpp.cxx": (None, "no-such-c++")}),
        pytest.raises(compiling.CompileUnsupported, match=problem),
    ):
        compiling.compiled(net, CPU)


def test_gpu_without_triton_is_refused(monkeypatch):
    import torch.utils._triton

    monkeypatch.setattr(torch.utils._triton, "has_triton", lambda: False)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device: (6, 1))
    net = build("resnet20", (3, 8, 8), 10, STACKED, seed=0)
    problem = compiling.refusal(net, torch.device("cuda"))
    assert problem.startswith("inductor's GPU backend, Triton, is not usable")
    assert "compute capability 6.1" in problem


def test_compilable_combinations_pass_the_checks():
    for bayes in (None, STACKED):
        net = build("resnet20", (3, 8, 8), 10, bayes, seed=0)
        assert compiling.refusal(net, CPU) is None
