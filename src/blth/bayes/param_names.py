"""Where a prunable tensor is stored: the naming rule of variational parameters (torch-free).

A prunable tensor has a logical name ``<module>.<kind>``, ``kind`` being ``weight`` or ``bias``
(``layer1.0.conv1.weight``); masks are keyed by it. A deterministic model stores the tensor under
that name; a Bayesian one stores its variational mean μ and log standard deviation log σ as
``<module>.<kind>_mean`` and ``<module>.<kind>_log_std``. The same rule names the parameters of
a variational layer (``weight_mean``, ``bias_log_std``). numpy-only code (the pruning jobs)
imports this module without importing torch.
"""

from __future__ import annotations

KINDS = ("weight", "bias")  # the tensors of a prunable layer, in parameter order
MEAN = "mean"
LOG_STD = "log_std"
PARTS = (MEAN, LOG_STD)  # the variational parameters of one tensor, in parameter order


def stored_name(name: str, part: str) -> str:
    """``fc.weight``, ``mean`` -> ``fc.weight_mean`` (also ``weight`` -> ``weight_mean``)."""
    return f"{name}_{part}"


def mean_name(name: str) -> str:
    """Key of the variational mean μ of tensor ``name``."""
    return stored_name(name, MEAN)


def log_std_name(name: str) -> str:
    """Key of the variational log σ of tensor ``name``."""
    return stored_name(name, LOG_STD)


def value_name(name: str, bayesian: bool) -> str:
    """Key of the tensor holding w (deterministic) or μ (Bayesian) of tensor ``name``."""
    return mean_name(name) if bayesian else name


def split(key: str) -> tuple[str, str | None]:
    """(logical name, part) of a state-dict key: ``fc.weight_log_std`` -> (``fc.weight``,
    ``log_std``); a key that holds no variational parameter -> (key, None), e.g.
    ``bn.running_mean``."""
    module, dot, leaf = key.rpartition(".")
    for kind in KINDS:
        for part in PARTS:
            if leaf == stored_name(kind, part):
                return f"{module}{dot}{kind}", part
    return key, None
