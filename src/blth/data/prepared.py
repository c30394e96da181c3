"""Datasets as uint8 tensors cached once, and a device-resident loader with batched augmentation.

``prepare(name, root, path)`` turns a source (:mod:`blth.data.sources`) into one safetensors cache
file; ``load(path)`` reads it back and checks it. ``DeviceLoader`` keeps the whole split on the
training device as uint8 and does shuffling (``randperm`` on the device), random crop with zero
padding, horizontal flips and normalisation on whole batches: no per-image Python work in the
training loop.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from blth.data import sources
from blth.io import safefiles

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageData:
    """Train and test splits as uint8 [N, C, H, W] images and int64 [N] labels."""

    name: str
    train_x: Tensor
    train_y: Tensor
    test_x: Tensor
    test_y: Tensor
    augment: bool  # random crop (pad 4) + horizontal flip during training
    classes: int  # labels are 0 .. classes - 1

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        channels, height, width = self.train_x.shape[1:]
        return channels, height, width

    def channel_stats(self) -> tuple[Tensor, Tensor]:
        """Per-channel mean and std of the training images, in [0, 1] units."""
        return self._channel_stats

    @functools.cached_property
    def _channel_stats(self) -> tuple[Tensor, Tensor]:
        # computed once: an evaluation job normalises every level's test and shifted sets
        x = self.train_x.double() / 255
        return x.mean(dim=(0, 2, 3)).float(), x.std(dim=(0, 2, 3)).float()


_SPLITS = ("train_x", "train_y", "test_x", "test_y")


def prepare(
    name: str,
    root: str | Path,
    path: str | Path,
    subset: dict[str, int | None] | None = None,
    **options: object,
) -> ImageData:
    """Read dataset ``name`` from ``root`` (downloading if needed) and cache it at ``path``;
    ``subset``: the config's ``dataset_subset`` ({train, test: images or None, seed}), a fixed
    class-stratified subset of each split; ``options``: the source's keywords
    (blth.data.sources)."""
    source = sources.get(name)
    xtr, ytr, xte, yte = source.read(Path(root), **options)
    arrays: dict[str, np.ndarray] = {
        "train_x": np.ascontiguousarray(xtr, dtype=np.uint8),
        "train_y": np.asarray(ytr, dtype=np.int64),
        "test_x": np.ascontiguousarray(xte, dtype=np.uint8),
        "test_y": np.asarray(yte, dtype=np.int64),
    }
    classes = int(max(arrays["train_y"].max(), arrays["test_y"].max())) + 1
    subset = subset or {}
    for split in ("train", "test"):
        size = subset.get(split)
        if size is None:
            continue
        labels = arrays[f"{split}_y"]
        if size > len(labels):
            raise ValueError(
                f"dataset_subset.{split}: {size} images asked, but {name}'s {split} split has "
                f"{len(labels)}"
            )
        keep = stratified_subset(labels, size, subset.get("seed") or 0)
        for key in (f"{split}_x", f"{split}_y"):
            arrays[key] = np.ascontiguousarray(arrays[key][keep])
        log.info("dataset %s: %d of %d %s images (dataset_subset)", name, size, len(labels), split)
    safefiles.write(path, arrays, {"name": name, "augment": source.AUGMENT, "classes": classes})
    log.info(
        "dataset %s: %d train / %d test images of shape %s -> %s",
        name,
        len(arrays["train_y"]),
        len(arrays["test_y"]),
        arrays["train_x"].shape[1:],
        path,
    )
    return load(path)


def stratified_subset(labels: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Sorted indices of ``size`` of ``labels`` [N], each class represented in proportion to
    its share (within one image), drawn at random with ``seed``."""
    order = np.random.default_rng(seed).permutation(len(labels))
    _, inverse, counts = np.unique(labels[order], return_inverse=True, return_counts=True)
    rank = np.zeros(len(order))  # the position of each drawn image among those of its class
    for cls in range(len(counts)):
        rank[inverse == cls] = np.arange(counts[cls])
    # take classes in turn, each as often as its share: a class's k-th image at (k + ½)/count
    share_position = (rank + 0.5) / counts[inverse]
    return np.sort(order[np.argsort(share_position, kind="stable")[:size]])


def load(path: str | Path) -> ImageData:
    """Read a cache written by :func:`prepare`, checking its splits."""
    tensors, meta = safefiles.read(
        path, "pt", tensors=_SPLITS, metadata=("name", "augment", "classes")
    )
    problem = _split_problem(tensors, meta["classes"])
    if problem:
        raise safefiles.damaged(path, problem)
    splits = {k: tensors[k] for k in _SPLITS}
    return ImageData(meta["name"], **splits, augment=meta["augment"], classes=meta["classes"])


def _split_problem(t: dict[str, Tensor], classes: int) -> str | None:
    """What is inconsistent in a cache's splits, if anything."""
    for split in ("train", "test"):
        x, y = t[f"{split}_x"], t[f"{split}_y"]
        if x.dtype != torch.uint8 or x.dim() != 4 or y.dtype != torch.int64 or y.dim() != 1:
            return f"{split} split is not uint8 [N, C, H, W] images with int64 [N] labels"
        if len(x) != len(y) or not len(y):
            return f"{split} split has {len(x)} images but {len(y)} labels"
        if y.min() < 0 or y.max() >= classes:
            return f"{split} labels leave 0..{classes - 1}"
    if t["train_x"].shape[1:] != t["test_x"].shape[1:]:
        return "train and test images differ in shape"
    return None


class DeviceLoader:
    """Batches of normalised float images from uint8 tensors held on ``device``.

    Iterating yields (x [B, C, H, W] float32, y [B] int64) batches; with ``train`` the order is
    a fresh permutation from ``generator`` and, if ``augment``, each image is randomly cropped
    (zero padding ``pad``) and flipped, all as batched tensor operations.
    """

    def __init__(
        self,
        x: Tensor,
        y: Tensor,
        batch_size: int,
        mean: Tensor,
        std: Tensor,
        device: torch.device,
        train: bool = False,
        augment: bool = False,
        generator: torch.Generator | None = None,
        pad: int = 4,
    ) -> None:
        """Hold ``x`` [N, C, H, W] uint8 and ``y`` [N] on ``device``; ``mean`` and ``std`` [C]
        normalise the images scaled to [0, 1]."""
        self.x, self.y = x.to(device), y.to(device)
        self.batch_size, self.train, self.augment, self.pad = batch_size, train, augment, pad
        self.mean = mean.to(device).view(1, -1, 1, 1)
        self.std = std.to(device).view(1, -1, 1, 1)
        self.generator = generator

    def __len__(self) -> int:
        """Batches per pass (the last one may be smaller)."""
        return -(-len(self.y) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        """One pass over the split, batch by batch."""
        n = len(self.y)
        order = (
            torch.randperm(n, device=self.x.device, generator=self.generator)
            if self.train
            else None
        )
        for start in range(0, n, self.batch_size):
            idx = (
                slice(start, start + self.batch_size)
                if order is None
                else order[start : start + self.batch_size]
            )
            x = self.x[idx].float().div_(255)
            if self.train and self.augment:
                x = self._crop_flip(x)
            yield (x - self.mean) / self.std, self.y[idx]

    def _crop_flip(self, x: Tensor) -> Tensor:
        b, _, h, w = x.shape
        p, dev, g = self.pad, x.device, self.generator
        padded = F.pad(x, (p, p, p, p))
        dy = torch.randint(0, 2 * p + 1, (b, 1), device=dev, generator=g)
        dx = torch.randint(0, 2 * p + 1, (b, 1), device=dev, generator=g)
        flip = torch.rand(b, 1, device=dev, generator=g) < 0.5
        cols = torch.arange(w, device=dev).expand(b, w)
        cols = torch.where(flip, w - 1 - cols, cols) + dx  # flipping = reading columns backwards
        rows = torch.arange(h, device=dev).expand(b, h) + dy
        batch = torch.arange(b, device=dev)[:, None, None]
        out = padded[batch, :, rows[:, :, None], cols[:, None, :]]  # [B, H, W, C]
        return out.permute(0, 3, 1, 2)
