"""Config checks that need the sizes of the model and of the data, made before any job: IMP
levels that leave a prunable layer without weights, and predictives larger than memory.

The model is built on torch's meta device (shapes, no memory), which costs torch's import
(seconds): only when ``pruning.ignore`` is set, or when the levels prune below
:data:`EMPTYING_GATE` of the weights.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

from blth.config.origins import KeyPath, Problem, dotted
from blth.data import sources
from blth.lottery import masks
from blth.lottery.arms import BNN
from blth.models import model_names
from blth.shift import NOISE_IMAGES

# Below this fraction of weights left, the levels are counted against the layers' sizes
# (0.2 per level: from level 31 on).
EMPTYING_GATE = 1e-3
PROBABILITY_BYTES = 4  # float32: one probability per weight sample, image and class
GIB = 2**30


def model_description(exp: dict) -> dict:
    """The model's :meth:`Classifier.describe` (prunable layers, classifier) and, under
    ``"sizes"``, the number of weights of each prunable tensor's layer; built on the meta device
    for the experiment's images and classes."""
    import torch  # seconds to import: only when a check needs the model

    from blth.models.registry import build

    options = model_names.options(exp["model"], exp["model_options"])
    channels, height, width = sources.image_shape(exp["dataset"], exp["dataset_options"])
    _, classes = sources.test_size(exp["dataset"], exp["dataset_options"])
    with torch.device("meta"):
        net = build(exp["model"], (channels, height, width), classes, **options)
    sizes = {name: tensor.numel() for name, tensor in net.state_dict().items()}
    return {**net.describe(), "sizes": sizes}


def remaining(total: int, rate: float, levels: int) -> list[int]:
    """Weights left at levels 0..``levels``: each removes ceil(rate · left) (lottery.prune)."""
    left = [total]
    for _ in range(levels):
        left.append(left[-1] - math.ceil(rate * left[-1]))
    return left


def emptied_layers(at: KeyPath, exp: dict, meta: dict | None) -> Iterator[Problem]:
    """The first level with fewer weights left than prunable layers: one of them is then empty,
    whatever the magnitudes (global pruning), and the network predicts a constant."""
    rate, levels = exp["pruning"]["rate"], exp["levels"]
    if meta is None and (1 - rate) ** levels >= EMPTYING_GATE:
        return
    meta = meta or model_description(exp)
    pruning = exp["pruning"]
    names = masks.prunable_names(meta, meta["sizes"], pruning["ignore"], pruning["prune_biases"])
    left = remaining(sum(meta["sizes"][n] for n in names), rate, levels)
    level = next((k for k, n in enumerate(left) if n < len(names)), None)
    if level is not None:
        yield (
            (*at, "levels"),
            (
                f"{levels} levels at {dotted((*at, 'pruning', 'rate'))} = {rate} leave "
                f"{left[level]} weights at level {level} for the {len(names)} prunable tensors "
                f"of {exp['model']!r}: at least one is empty from there on and the network "
                f"predicts a constant. Set levels below {level}, or a lower rate"
            ),
        )


def predictive_memory(at: KeyPath, exp: dict, memory: int | None = None) -> Iterator[Problem]:
    """``bayes.eval_samples`` probabilities of every image and class of a set are held at once
    (inference.predict, float32): the test set's, each out-of-distribution set's."""
    if not any(arm.partition("-")[0] == BNN for arm in exp["arms"]):
        return
    samples = exp["bayes"].get("eval_samples")
    if samples is None:
        return  # the default, small
    memory = memory or physical_memory()
    sets = [(exp["dataset"], exp["dataset_options"], exp.get("dataset_subset") or {})]
    ood = exp["evaluation"]["shift"]["ood"]
    sets += [(name, {}, {}) for name in ood if name != NOISE_IMAGES and name in sources.names()]
    for name, options, subset in sets:
        images, classes = sources.test_size(name, options)
        images = subset.get("test") or images
        need = samples * images * classes * PROBABILITY_BYTES
        if need > memory:
            yield (
                (*at, "bayes", "eval_samples"),
                (
                    f"{samples} weight samples x {images} {name} test images x {classes} "
                    f"classes of float32 probabilities take {need / GIB:,.1f} GiB at once, more "
                    f"than this machine's {memory / GIB:,.1f} GiB of memory; lower eval_samples"
                ),
            )
            return


def physical_memory() -> int:
    """Bytes of memory of the machine that checks the config."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
