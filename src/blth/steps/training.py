"""Training steps: initial weights and one training run (GPU jobs)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from blth.lottery import masks

log = logging.getLogger(__name__)


def init_weights(
    model: str, model_options: dict, data_path: str, bayes: dict | None, seed: int, out: str
) -> None:
    """Initial weights of ``model`` from ``seed`` (deterministic if ``bayes`` is None)."""
    from blth import config, data
    from blth.models import build

    images = data.load(data_path)
    hp = None if bayes is None else config.bayes_hparams(bayes)
    net = build(model, images.input_shape, images.classes, hp, seed=seed, **model_options)
    masks.save_state(net.numpy_state(), out, net.describe())
    log.info(
        "initial %s weights of %s (seed %d) -> %s",
        "Bayesian" if hp else "deterministic",
        model,
        seed,
        out,
    )


def _file_digest(*paths: str | None) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(b"" if p is None else Path(p).read_bytes())
    return h.hexdigest()


def select_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(f"device {requested!r} was requested but CUDA is not available")
    return requested


def model_for(spec: dict, images, state_path: str, mask_path: str | None, device: str):
    from blth import config
    from blth.models import build

    bayes = config.bayes_hparams(spec["bayes"]) if spec["bayesian"] else None
    net = build(
        spec["model"],
        images.input_shape,
        images.classes,
        bayes,
        **spec["model_options"],
    )
    state, _ = masks.load_state(state_path)
    net.load_numpy_state(state)
    if mask_path is not None:
        net.apply_masks(masks.load_masks(mask_path))
    return net.to(device), bayes


def write_predictions(
    net, images, bayes, passes: int, seed: int, device: str, path: str, batch_size: int
) -> None:
    """Repeated stochastic passes of the final weights over the test set -> Parquet."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    import torch

    from blth import artefacts, metrics
    from blth.data import DeviceLoader
    from blth.train import predict

    mean, std = images.channel_stats()
    loader = DeviceLoader(images.test_x, images.test_y, batch_size, mean, std, torch.device(device))
    samples = bayes.eval_samples if bayes else 1
    columns: dict[str, list] = {"pass": [], "mutual_information": [], "label": []}
    columns.update({f"p{c}": [] for c in range(images.classes)})
    for p in range(passes if bayes else 1):  # a deterministic net gives the same pass again
        gen = torch.Generator(device).manual_seed(10_007 * seed + p)
        probs = predict(net, loader, samples, gen)
        mean_probs = probs.mean(0).cpu().numpy()
        n = mean_probs.shape[0]
        columns["pass"].append(np.full(n, p))
        columns["mutual_information"].append(
            metrics.mutual_information_per_example(probs).cpu().numpy()
        )
        columns["label"].append(images.test_y.numpy())
        for c in range(images.classes):
            columns[f"p{c}"].append(mean_probs[:, c])
    schema = artefacts.predictions_schema(images.classes)
    table = pa.table({k: np.concatenate(columns[k]) for k in schema.names}).cast(schema)
    pq.write_table(table, path)


def train_run(
    spec: dict,
    data_path: str,
    start: str,
    mask: str | None,
    out: dict[str, str],
    checkpoint: str,
    threads: int,
) -> None:
    """Train one run from ``start`` under ``mask`` (None: dense); resumable through
    ``checkpoint``.

    ``spec`` may set ``start_epoch`` (a late-rewound ticket) and ``stop_epoch`` (a rewind
    point). ``out`` names the files written: final (safetensors state, always), and when given
    init (the masked start), epochs and predictions (Parquet).
    """
    import torch

    from blth import artefacts, config, data, gpus, train

    torch.set_num_threads(max(1, threads))
    # several visible GPUs (a workstation): claim one for this job, see blth.gpus
    with gpus.device_for_job(select_device(spec["device"])) as device:
        if device.startswith("cuda:"):
            torch.cuda.set_device(device)  # no stray CUDA context on GPU 0
        images = data.load(data_path)
        net, bayes = model_for(spec, images, start, mask, device)
        if "init" in out:
            masks.save_state(net.numpy_state(), out["init"], net.describe())
        hp = config.train_hparams(spec["train"])
        key = hashlib.sha256(
            (json.dumps(spec, sort_keys=True) + _file_digest(start, mask, data_path)).encode()
        ).hexdigest()
        result = train.train(
            net,
            images,
            hp,
            bayes,
            seed=spec["seed"],
            device=device,
            checkpoint=Path(checkpoint),
            run_key=key,
            name=spec["name"],
            start_epoch=spec.get("start_epoch", 0),
            stop_epoch=spec.get("stop_epoch"),
        )
        masks.save_state(net.numpy_state(), out["final"], net.describe())
        if "epochs" in out:
            rows = [
                {
                    **spec["identity"],
                    **{k: v for k, v in r.items() if k != "images"},
                    "device": device,
                }
                for r in result.epochs
            ]
            artefacts.write_table(rows, out["epochs"], "epochs")
        if "predictions" in out:
            write_predictions(
                net,
                images,
                bayes,
                spec["passes"],
                spec["seed"],
                device,
                out["predictions"],
                hp.eval_batch_size,
            )
        Path(checkpoint).unlink(missing_ok=True)  # outputs are complete: the scratch copy can go
    log.info(
        "%s: %.1f s training, %.0f images/s, best test accuracy %.4f",
        spec["name"],
        result.train_seconds,
        result.images_per_second,
        max((r["test_acc"] for r in result.epochs), default=float("nan")),
    )
