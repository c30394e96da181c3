"""Initial weights of a network (the ``init_weights`` job)."""

from __future__ import annotations

import logging

from blth.config.runspec import InitSpec
from blth.data import prepared as data
from blth.io import states
from blth.models.registry import build

log = logging.getLogger(__name__)


def init_weights(spec: InitSpec, data_path: str, out: str) -> None:
    """Initial weights of ``spec.model`` from ``spec.seed`` (deterministic if no Bayesian init)."""
    images = data.load(data_path)
    bayes = spec.bayes.hparams() if spec.bayes else None
    net = build(
        spec.model, images.input_shape, images.classes, bayes, seed=spec.seed, **spec.model_options
    )
    states.save_state(net.numpy_state(), out, net.describe())
    kind = "Bayesian" if bayes else "deterministic"
    log.info("initial %s weights of %s (seed %d) -> %s", kind, spec.model, spec.seed, out)
