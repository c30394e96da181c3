"""One training's live state and its steps: set-up, an epoch's optimiser steps, the test
pass, and the state a checkpoint keeps (the loop itself is :func:`blth.training.train.train`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from blth.bayes.hparams import BayesHparams
from blth.config import seeds
from blth.config.hparams import TrainHparams
from blth.data.prepared import DeviceLoader, ImageData
from blth.evaluation import metrics
from blth.evaluation.inference import predict
from blth.models.base import Classifier
from blth.training import checkpoint as checkpoints
from blth.training.epoch import prepare, synchronize, train_epoch


@dataclass(frozen=True)
class EpochFit:
    """An epoch's optimiser steps: its learning rate, sums over the training images of loss,
    NLL, KL and correct predictions, and its wall time in seconds."""

    lr: float
    loss: float
    nll: float
    kl: float
    correct: float
    seconds: float


@dataclass
class Training:
    """One training's live state: the model with its forward and Adam, the loaders, and the
    generators whose states a checkpoint keeps beside the model's and the optimiser's."""

    model: Classifier
    forward: Callable[..., Tensor]  # the model or its compiled form
    optimizer: torch.optim.Optimizer
    hp: TrainHparams
    bayes: BayesHparams | None
    seed: int
    device: torch.device
    train_loader: DeviceLoader
    test_loader: DeviceLoader
    data_gen: torch.Generator  # shuffling and augmentation
    noise_gen: torch.Generator  # weight noise (the model's generator)

    @classmethod
    def set_up(
        cls,
        model: Classifier,
        data: ImageData,
        hp: TrainHparams,
        bayes: BayesHparams | None,
        seed: int,
        device: torch.device,
    ) -> Training:
        """``model`` on ``device`` ready to train (:func:`prepare`) and both loaders over
        ``data``, normalised by its training images' channel statistics."""
        optimizer, forward = prepare(model, hp, device, seed)
        assert model.generator is not None  # prepare gave it one
        mean, std = data.channel_stats()
        data_gen = torch.Generator(device).manual_seed(seeds.data_order(seed))
        train_loader = DeviceLoader(
            data.train_x,
            data.train_y,
            hp.batch_size,
            mean,
            std,
            device,
            train=True,
            augment=data.augment,
            generator=data_gen,
        )
        test_loader = DeviceLoader(data.test_x, data.test_y, hp.eval_batch_size, mean, std, device)
        return cls(
            model=model,
            forward=forward,
            optimizer=optimizer,
            hp=hp,
            bayes=bayes,
            seed=seed,
            device=device,
            train_loader=train_loader,
            test_loader=test_loader,
            data_gen=data_gen,
            noise_gen=model.generator,
        )

    @property
    def images(self) -> int:
        """Training images per epoch."""
        return len(self.train_loader.y)

    def fit(self, epoch: int) -> EpochFit:
        """The optimiser steps of epoch ``epoch`` (0-based) at its scheduled learning rate."""
        lr = self.hp.lr * self.hp.lr_factor(epoch)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        start = time.perf_counter()
        model, loader, optimizer = self.model, self.train_loader, self.optimizer
        sums = train_epoch(model, self.forward, loader, optimizer, self.hp, self.bayes, self.images)
        synchronize(self.device)
        seconds = time.perf_counter() - start
        loss, nll, kl, correct = sums.tolist()
        return EpochFit(lr, loss, nll, kl, correct, seconds)

    def evaluate(self, epoch: int) -> dict[str, float]:
        """Test accuracy and NLL of the predictive after epoch ``epoch`` (0-based); its weight
        samples come from a generator of its own, so the training's draws stay as they are."""
        eval_gen = torch.Generator(self.device).manual_seed(seeds.epoch_test(self.seed, epoch))
        samples = self.bayes.eval_samples if self.bayes else 1
        probs = predict(self.model, self.test_loader, samples, eval_gen, self.hp.amp)
        mean_probs = probs.mean(0)
        return {
            "test_acc": metrics.accuracy(mean_probs, self.test_loader.y),
            "test_nll": metrics.nll(mean_probs, self.test_loader.y),
        }

    def state(self, run_key: str, epochs: list[dict[str, Any]]) -> checkpoints.State:
        """What a checkpoint after ``epochs`` keeps."""
        return {
            "run_key": run_key,
            "model": self.model.state_dict(),  # type: ignore[no-untyped-call]
            "optimizer": self.optimizer.state_dict(),
            "data_rng": self.data_gen.get_state(),
            "noise_rng": self.noise_gen.get_state(),
            "epochs": epochs,
        }

    def restore(self, state: checkpoints.State) -> None:
        """Continue from a checkpoint's ``state`` (the inverse of :meth:`state`)."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.data_gen.set_state(state["data_rng"])
        self.noise_gen.set_state(state["noise_rng"])
