"""The typed training job (blth.steps.training.TrainJob): built once from a spec and the rule's
files, it names everything the job derives; ``run`` trains it and writes its outputs."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd
import pytest
import torch
from tiny_data import tiny_images

from blth.bayes.hparams import BayesHparams
from blth.config.hparams import TrainHparams
from blth.config.runspec import TrainSpec, train_spec
from blth.io import safefiles, states
from blth.models.registry import build
from blth.steps.training import TrainJob, TrainOutputs, resume_key, run

EXPERIMENT = {
    "model": "lenet_300_100",
    "model_options": {},
    "bayes": {"samples": 2, "eval_samples": 2},
    "train": {"epochs": 2, "batch_size": 8, "milestones": [1]},
}
RUN = "results/demo/runs/bnn/s0/imp/L0/main"


def job(tmp_path: Path, **outputs: str) -> TrainJob:
    spec = train_spec(EXPERIMENT, True, seed=0, start_epoch=0, stop_epoch=None, code="c")
    files = TrainOutputs(f"{RUN}/final.safetensors", **outputs)
    return TrainJob(spec, str(tmp_path / "data"), str(tmp_path / "start"), None, files, 2, "cpu")


def test_the_jobs_spec_is_typed_through_its_params(tmp_path):
    """The rule passes the spec as a dict (``params``); the job has it typed again."""
    j = job(tmp_path)
    assert j.spec.train == TrainHparams(epochs=2, batch_size=8, milestones=(1,))
    assert j.spec.bayes == BayesHparams(samples=2, eval_samples=2)
    again = TrainSpec.from_params(j.spec.params())
    assert again == j.spec and again.params() == j.spec.params()
    with pytest.raises(dataclasses.FrozenInstanceError):
        j.threads = 1  # type: ignore[misc]


def test_the_job_names_its_files_outside_its_outputs(tmp_path):
    j = job(tmp_path)
    assert j.name == RUN
    assert j.checkpoint == Path("results/demo/checkpoints/runs/bnn/s0/imp/L0/main/final.pt")
    assert j.tensorboard_dir == Path("results/demo/tensorboard/runs/bnn/s0/imp/L0/main/final")


def test_the_run_key_follows_the_inputs_content(tmp_path):
    j = job(tmp_path)
    Path(j.data).write_bytes(b"data")
    Path(j.start).write_bytes(b"start")
    key = j.run_key()
    assert key == resume_key(j.spec, j.start, None, j.data)
    Path(j.start).write_bytes(b"another start")
    assert j.run_key() != key


def _write_inputs(j: TrainJob) -> None:
    images = tiny_images()
    arrays = {k: getattr(images, k).numpy() for k in ("train_x", "train_y", "test_x", "test_y")}
    safefiles.write(j.data, arrays, {"name": "tiny", "augment": False, "classes": 10})
    net = build("lenet_300_100", images.input_shape, 10, j.spec.bayes, seed=0)
    states.save_state(net.numpy_state(), j.start, net.describe())


def test_run_writes_the_outputs_and_drops_the_checkpoint(tmp_path, monkeypatch, caplog):
    caplog.set_level("INFO")
    torch.set_num_threads(2)
    monkeypatch.chdir(tmp_path)  # results/... as in the workflow
    j = job(tmp_path, init=f"{RUN}/init.safetensors", epochs=f"{RUN}/epochs.parquet")
    _write_inputs(j)
    run(j)
    assert Path(f"{RUN}/init.safetensors").exists() and Path(f"{RUN}/final.safetensors").exists()
    epochs = pd.read_parquet(f"{RUN}/epochs.parquet")
    assert list(epochs["epoch"]) == [1, 2] and set(epochs["device"]) == {"cpu"}
    assert "images" not in epochs.columns
    assert not j.checkpoint.exists()
    last = caplog.records[-1].getMessage()  # the job's own peak memory (the job server forks it)
    assert re.search(r"best test accuracy [\d.]+, peak memory [\d,]+ MiB host$", last), last
