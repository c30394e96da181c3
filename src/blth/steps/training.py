"""One training run (the ``train`` and ``rewind_point`` jobs, GPU jobs)."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from pathlib import Path

from blth.lottery import masks
from blth.runspec import TrainSpec, bayes_hparams, train_hparams

log = logging.getLogger(__name__)


def _file_digest(*paths: str | None) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(b"" if p is None else Path(p).read_bytes())
    return h.hexdigest()


def resume_key(spec: TrainSpec, *inputs: str | None) -> str:
    """What a checkpoint must have been written for: the spec and the inputs' content."""
    return hashlib.sha256((spec.key() + _file_digest(*inputs)).encode()).hexdigest()


def beside(final: str, kind: str) -> Path:
    """results/<experiment>/<kind>/<the rest of ``final``'s path, without suffix>: files of a
    job outside its outputs (Snakemake deletes outputs, never these, when a job restarts)."""
    parts = Path(final).parts
    return Path(*parts[:2], kind, *parts[2:]).with_suffix("")


def model_for(spec: TrainSpec, images, state_path: str, mask_path: str | None, device: str):
    """The network of ``spec`` with the state at ``state_path`` under the mask (None: dense)."""
    from blth.models import build

    bayes = bayes_hparams(spec.bayes)
    net = build(spec.model, images.input_shape, images.classes, bayes, **spec.model_options)
    state, _ = masks.load_state(state_path)
    net.load_numpy_state(state)
    if mask_path is not None:
        net.apply_masks(masks.load_masks(mask_path))
    return net.to(device), bayes


def train_run(
    spec: TrainSpec,
    data_path: str,
    start: str,
    mask: str | None,
    out: dict[str, str],
    threads: int,
    device: str,
    tensorboard: bool = False,
    gpus_declared: int = 0,
) -> None:
    """Train one run from ``start`` under ``mask`` (None: dense) on ``device`` (the config's
    ``device``: auto, cpu, cuda[:i]); resumable through ``checkpoint``. ``gpus_declared``: the
    job's Snakemake resource ``gpu``; the job stops at once if it cannot use a GPU.

    ``out`` names the files written: final (safetensors state, always), and when given init
    (the masked start) and epochs (Parquet, table ``run_epochs``). ``tensorboard``: also write
    the epochs' scalars under results/<experiment>/tensorboard/ (blth.tensorboard).
    """
    checkpoint = beside(out["final"], "checkpoints").with_suffix(".pt")
    name = str(Path(out["final"]).parent)
    import torch

    from blth import artefacts, data, gpus, train

    torch.set_num_threads(max(1, threads))
    # several visible GPUs (a workstation): claim one for this job, see blth.gpus
    with contextlib.ExitStack() as stack:
        device = stack.enter_context(gpus.job_device(device, name, gpus_declared))
        on_epoch = None
        if tensorboard:
            from blth.tensorboard import EpochWriter

            on_epoch = stack.enter_context(EpochWriter(beside(out["final"], "tensorboard")))
        images = data.load(data_path)
        net, bayes = model_for(spec, images, start, mask, device)
        if "init" in out:
            masks.save_state(net.numpy_state(), out["init"], net.describe())
        result = train.train(
            net,
            images,
            train_hparams(spec.train),
            bayes,
            seed=spec.seed,
            device=device,
            checkpoint=checkpoint,
            run_key=resume_key(spec, start, mask, data_path),
            name=name,
            start_epoch=spec.start_epoch,
            stop_epoch=spec.stop_epoch,
            on_epoch=on_epoch,
        )
        masks.save_state(net.numpy_state(), out["final"], net.describe())
        if "epochs" in out:
            rows = [
                {**{k: v for k, v in r.items() if k != "images"}, "device": device}
                for r in result.epochs
            ]
            artefacts.write_table(rows, out["epochs"], "run_epochs")
        checkpoint.unlink(missing_ok=True)  # outputs are complete: the scratch copy can go
    log.info(
        "%s: %.1f s training, %.0f images/s, best test accuracy %.4f",
        name,
        result.train_seconds,
        result.images_per_second,
        max((r["test_acc"] for r in result.epochs), default=float("nan")),
    )
