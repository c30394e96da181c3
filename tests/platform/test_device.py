"""Where a job runs: its first log line, and the stop of a GPU job without a usable GPU."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from tiny_data import tiny_images

from blth.bayes.hparams import BayesHparams
from blth.config.hparams import EvaluationHparams, TrainHparams
from blth.config.runspec import EvalSpec
from blth.io import safefiles, states
from blth.io.artefacts import EVALUATION_TABLES, PREDICTIONS
from blth.lottery import masks
from blth.models.registry import build
from blth.platform import gpus, hardware
from blth.steps import evaluation, training
from blth.training import train

JOB = "results/x/runs/bnn/s0/imp/L1/main"
DRIVER_TOO_OLD = (
    "The NVIDIA driver on your system is too old (found version 12040). Please update your "
    "GPU driver by downloading and installing a new version from the URL: "
    "http://www.nvidia.com/Download/index.aspx"
)
EVALUATION = EvaluationHparams(passes=1)


@pytest.mark.parametrize(
    ("bayes", "kind"),
    [
        (None, "deterministic)"),
        (BayesHparams(samples=2, eval_samples=2), "Bayesian, sample strategy per_sample, "),
        (
            BayesHparams(samples=2, eval_samples=2, sample_strategy="stacked"),
            "Bayesian, sample strategy stacked, ",
        ),
    ],
    ids=["det", "auto", "stacked"],
)
def test_training_header_is_the_first_log_line(caplog, bayes, kind):
    images = tiny_images()
    net = build("lenet_300_100", images.input_shape, 10, bayes, seed=0)
    net.apply_masks({"hidden.0.weight": torch.arange(64 * 300).reshape(300, 64) % 4 != 0})
    with caplog.at_level(logging.INFO):
        train.train(net, images, TrainHparams(epochs=1, batch_size=8), bayes, seed=0, name=JOB)
    first = caplog.records[0].getMessage()
    n_params = sum(p.numel() for p in net.parameters())
    total = 64 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10
    unpruned = total - 64 * 300 // 4
    for part in [
        f"{JOB}: on cpu (",
        f"{hardware.cpu_model()}, ",
        f"torch {torch.__version__}, CUDA {torch.version.cuda or 'none (CPU build)'}",
        f"LeNet ({kind}",
        f"S={bayes.samples if bayes else 1}, amp off (train.amp is CUDA-only), compile off",
        f"threads {torch.get_num_threads()}",
        f"{n_params:,} parameters, {unpruned:,} of {total:,} weights and biases unpruned "
        f"({100 * unpruned / total:.1f} %)",
    ]:
        assert part in first, (part, first)
    assert "epoch 1/1" in caplog.records[1].getMessage()


def test_evaluation_header_is_the_first_log_line(caplog, tmp_path):
    images = tiny_images()
    net = build("lenet_300_100", images.input_shape, 10, None, seed=0)
    states.save_state(net.numpy_state(), tmp_path / "final.safetensors", net.describe())
    masks.save_masks({"hidden.0.weight": np.ones((300, 64), bool)}, tmp_path / "mask.safetensors")
    data_path = tmp_path / "data.safetensors"
    arrays = {k: getattr(images, k).numpy() for k in ("train_x", "train_y", "test_x", "test_y")}
    safefiles.write(data_path, arrays, {"name": "tiny", "augment": False, "classes": 10})
    spec = EvalSpec("lenet_300_100", {}, None, 8, True, EVALUATION, 0, [0], "code")
    out = {t: str(tmp_path / "evaluation" / f"{t}.parquet") for t in EVALUATION_TABLES}
    out["predictions"] = str(tmp_path / "evaluation" / PREDICTIONS)
    final, mask = str(tmp_path / "final.safetensors"), str(tmp_path / "mask.safetensors")
    with caplog.at_level(logging.INFO):
        threads = torch.get_num_threads()
        job = evaluation.EvalJob(spec, str(data_path), [final], [mask], out, threads, "auto")
        evaluation.evaluate(job)
    first = caplog.records[0].getMessage()
    assert first.startswith(f"{tmp_path / 'evaluation'}, level 0: on cpu (")
    assert "LeNet (deterministic), S=1, amp off (train.amp is CUDA-only)" in first


def test_cuda_device_is_described_by_name_capability_and_memory(monkeypatch):
    props = SimpleNamespace(name="NVIDIA H100 80GB HBM3", major=9, minor=0, total_memory=85e9)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index: props)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    text = hardware.describe_device(torch.device("cuda:2"))
    assert text == "cuda:2 (NVIDIA H100 80GB HBM3, compute capability 9.0, 79.2 GiB, GPU 2 of 4)"


@pytest.fixture
def no_cuda(monkeypatch):
    """A CUDA 13 build of torch on a host whose driver is too old."""
    monkeypatch.setattr(torch.version, "cuda", "13.0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def init():
        raise RuntimeError(DRIVER_TOO_OLD)

    monkeypatch.setattr(torch.cuda, "init", init)


@pytest.mark.parametrize("device", ["auto", "cuda"])
def test_gpu_job_without_a_usable_gpu_stops_with_reason_and_fix(no_cuda, device):
    with pytest.raises(hardware.GpuUnavailable) as error, gpus.job_device(device, JOB, 1):
        pytest.fail("the job went on")
    message = str(error.value)
    for part in [
        f"{JOB}: it declared resources.gpu: 1, but it sees no usable CUDA device on ",
        f"torch.cuda.is_available() is False ({DRIVER_TOO_OLD.splitlines()[0]}",
        "CUDA 13.0",
        "Fix: set device: cpu and resources.gpu: 0, "
        "or install an NVIDIA driver >= 580 for this CUDA 13 wheel",
    ]:
        assert part in message, (part, message)


def test_cpu_build_of_torch_is_named(monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", None)
    with pytest.raises(hardware.GpuUnavailable) as error, gpus.job_device("auto", JOB, 2):
        pytest.fail("the job went on")
    message = str(error.value)
    assert "is a CPU build (torch.version.cuda is None)" in message
    assert message.endswith(
        "Fix: set device: cpu and resources.gpu: 0, or install a CUDA build of torch"
    )


def test_explicit_cuda_without_declared_gpu_names_the_job(no_cuda):
    with pytest.raises(hardware.GpuUnavailable, match=f"{JOB}: device 'cuda:1' was requested"):
        gpus.select_device("cuda:1", JOB)


def test_cpu_jobs_go_on(no_cuda, caplog):
    with gpus.job_device("auto", JOB, 0) as device:  # a CPU host, gpu: 0
        assert device == "cpu"
    with caplog.at_level(logging.WARNING), gpus.job_device("cpu", JOB, 1) as device:
        assert device == "cpu"  # chosen on purpose: the idle GPU is only worth a warning
    assert "resources.gpu is 1 but device is cpu" in caplog.text


def test_training_job_stops_before_it_reads_anything(no_cuda, tmp_path):
    spec = SimpleNamespace()  # never looked at: the check comes first
    outputs = training.TrainOutputs(str(tmp_path / "runs" / "final.safetensors"))
    job = training.TrainJob(spec, "missing", "missing", None, outputs, 1, "auto", gpus_declared=1)
    with pytest.raises(hardware.GpuUnavailable, match="resources.gpu: 1"):
        training.run(job)
