"""Experiment configuration → typed hyper-parameters. Defaults live in the dataclasses."""

from __future__ import annotations

from dataclasses import fields

from blth.hparams import BayesHparams, TrainHparams


def _build(cls, values: dict | None, where: str):
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(values or {}) - names)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; allowed: {sorted(names)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in (values or {}).items()}
    return cls(**values)


def train_hparams(values: dict | None, where: str = "train") -> TrainHparams:
    return _build(TrainHparams, values, where)


def bayes_hparams(values: dict | None, where: str = "bayes") -> BayesHparams:
    return _build(BayesHparams, values, where)
