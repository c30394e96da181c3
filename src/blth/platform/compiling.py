"""``train.compile``: torch.compile for the models it can take, a clear refusal for the others.

What compiles into whole graphs (tests/training/test_compile.py compares it with eager execution):

- every deterministic network;
- Bayesian networks with ``sample_strategy: stacked`` (the CUDA default) and the paper's
  estimator ``weight_samples``: the weight noise is drawn at the top of the model's forward
  (a graph break there), the network then runs as one graph over all samples.

Refused when the run starts, before any training:

- ``per_sample`` (the CPU default): the network runs once per sample and each layer reads the
  active sample's weights from Python state, and the first layer recognises its input by its
  data pointer; dynamo breaks the graph in every layer and recompiles per sample until it hits
  its recompile limit, then silently runs most layers eagerly;
- ``local_reparam`` and ``flipout``: they draw noise inside every layer from a generator
  (and, on a CPU, through the native kernel), a graph break per layer, with the same result;
- a machine where inductor cannot generate code: no C++ compiler (CPU), no usable Triton (GPU).

On a CPU the job compiles into a cache folder of its own (unless ``TORCHINDUCTOR_CACHE_DIR`` is
set): the C++ compiler writes each kernel library in place, so a job killed while compiling
would leave a truncated file in the shared cache that every later job fails to load.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable

import torch
from torch import Tensor

from blth.models.base import Classifier


class CompileUnsupported(ValueError):
    """``train.compile: true`` for a model, strategy or machine that cannot compile."""


def refusal(model: Classifier, device: torch.device) -> str | None:
    """Why ``model`` cannot be compiled for ``device``; None if it can."""
    bayes = model.bayes
    if bayes is not None:
        strategy = bayes.strategy_on(device.type)
        if strategy == "per_sample":
            auto = " (sample_strategy: auto on a CPU)" if bayes.sample_strategy == "auto" else ""
            return (
                f"sample strategy per_sample{auto} runs the network once per weight sample from "
                "Python state, which dynamo recompiles per sample and per layer; use "
                "bayes.sample_strategy: stacked"
            )
        if bayes.estimator != "weight_samples":
            return (
                f"estimator {bayes.estimator} draws noise inside every layer, a graph "
                "break per layer; use bayes.estimator: weight_samples"
            )
    return _backend_problem(device)


def _backend_problem(device: torch.device) -> str | None:
    """Whether inductor can generate code for ``device`` here (its own checks, early)."""
    if device.type == "cuda":
        from torch.utils._triton import has_triton

        if not has_triton():
            major, minor = torch.cuda.get_device_capability(device)
            return (
                f"inductor's GPU backend, Triton, is not usable (not installed, or compute "
                f"capability {major}.{minor} is too old for it)"
            )
        return None
    try:
        from torch._inductor.cpp_builder import get_cpp_compiler

        get_cpp_compiler()
    except Exception as error:  # inductor raises its own InvalidCxxCompiler, or import errors
        return f"inductor's CPU backend needs a C++ compiler ($CXX, else g++): {error}"
    return None


def describe(model: Classifier, device: torch.device) -> str:
    """The combination, as a refusal names it: network, kind, strategy, estimator, device."""
    bayes = model.bayes
    if bayes is None:
        return f"the deterministic {type(model.net).__name__} on {device.type}"
    return (
        f"the Bayesian {type(model.net).__name__} with sample strategy "
        f"{bayes.strategy_on(device.type)} and estimator {bayes.estimator} on {device.type}"
    )


def compiled(model: Classifier, device: torch.device) -> Callable[..., Tensor]:
    """``torch.compile(model)``, or :class:`CompileUnsupported` naming ``train.compile``."""
    if device.type == "cpu":
        _private_cache()
    problem = refusal(model, device)
    if problem is not None:
        raise CompileUnsupported(
            f"train.compile: true is not supported for {describe(model, device)}: {problem}; "
            "or set train.compile: false"
        )
    return torch.compile(model)


def _private_cache() -> None:
    """This process's own inductor cache folder, unless one is set (see the module docstring);
    before anything of inductor runs, as its first use fixes the folder."""
    if "TORCHINDUCTOR_CACHE_DIR" not in os.environ:
        folder = tempfile.mkdtemp(prefix="blth-inductor-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = folder
