"""Typed descriptions of the workflow's jobs: exactly the settings that can change a result.

Each spec is built once per job from the experiment's config with defaults applied and values
normalised (``lr: 1`` and ``lr: 1.0e-0`` are one run), and holds nothing else: a deterministic
run carries no Bayesian keys, a level-0 mask no pruning rate, no spec holds the device or the
data folder (the data are identified by the prepared data file, an input). Rules pass
``spec.params()`` as their one ``params`` entry, so Snakemake reruns a job exactly when its spec
or an input changes; ``code`` is the fingerprint of the code the job runs (blth.config.fingerprint).
Torch-free: the workflow builds these at DAG time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import typing
from dataclasses import dataclass
from typing import Any, TypeVar

from blth.bayes.hparams import BayesHparams, InitBayes, PredictiveBayes
from blth.config.hparams import EvaluationHparams, TrainHparams
from blth.data import sources
from blth.models import model_names

H = TypeVar("H")  # a hyper-parameter dataclass
# evaluation settings that are not an evaluation job's: the ensemble jobs read the stored
# predictions, so turning ensembles on reruns no evaluation (blth.evaluation.ensembles)
NOT_EVALUATION_KEYS = ("ensembles",)


def _canonical(value: Any) -> Any:
    """Sorted dicts, lists for tuples: one spelling per value (params compare by repr)."""
    if isinstance(value, dict):
        return {k: _canonical(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def hparams_of(cls: type[H], values: dict[str, Any] | None, where: str) -> H:
    """Hyper-parameter dataclass ``cls`` with ``values`` over its defaults, each cast to its
    field's type (a nested dataclass from its dict); unknown keys and bad values raise an error
    naming ``where``, the dataclass's own checks run."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values or {}) - names)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; allowed: {sorted(names)}")
    hints = typing.get_type_hints(cls)
    return cls(**{k: _cast(hints[k], v, f"{where}.{k}") for k, v in (values or {}).items()})


def _cast(hint: Any, value: Any, where: str) -> Any:
    if value is None:
        return None
    args = typing.get_args(hint)
    nested = [c for c in (hint, *args) if dataclasses.is_dataclass(c) and isinstance(c, type)]
    if nested and isinstance(value, dict):
        return hparams_of(nested[0], value, where)
    if float in (hint, *args) and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError(f"{where}: expected a list, got {value!r}")
        return tuple(value)
    return value


@dataclass(frozen=True)
class Spec:
    """Base of every job spec: canonical params and a stable key."""

    def params(self) -> dict[str, Any]:
        """The spec as a canonical dict: the rule's one ``params`` entry."""
        params: dict[str, Any] = _canonical(dataclasses.asdict(self))
        return params

    def key(self) -> str:
        """sha256 of the canonical spec (resume keys derive from it)."""
        return hashlib.sha256(json.dumps(self.params(), sort_keys=True).encode()).hexdigest()

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> typing.Self:
        """The spec a rule passed as ``params`` (inside the job), its settings typed again."""
        hints = typing.get_type_hints(cls)
        return cls(**{k: _cast(hints[k], v, k) for k, v in params.items()})


@dataclass(frozen=True)
class DataSpec(Spec):
    """A prepared dataset: the source, its options and the subset of it that is used (not the
    folder it is read from)."""

    dataset: str
    options: dict[str, Any]
    subset: (
        dict[str, Any] | None
    )  # {train, test: images or None for all, seed}; None: the whole dataset
    code: str


@dataclass(frozen=True)
class InitSpec(Spec):
    """Initial weights of one network: architecture, the Bayesian init settings, seed."""

    model: str
    model_options: dict[str, Any]
    bayes: InitBayes | None  # None: the deterministic network
    seed: int
    code: str


@dataclass(frozen=True)
class MaskSpec(Spec):
    """A level's mask: which tensors are prunable and, above level 0, how they are pruned."""

    ignore: list[Any] | None
    prune_biases: bool
    criterion: str | None  # None at level 0 (dense)
    rate: float | None
    seed: int | None  # only the "random" criterion draws from it
    code: str


@dataclass(frozen=True)
class BranchSpec(Spec):
    """A randomisation branch's mask from its ticket's mask."""

    branch: str
    seed: list[Any]  # [branch seed, replicate seed, level]
    code: str


@dataclass(frozen=True)
class TransplantSpec(Spec):
    """The σ a transplanted ticket starts from."""

    sigma: str
    sigma_value: float | None  # None for sigma "fan_in"
    code: str


@dataclass(frozen=True)
class TrainSpec(Spec):
    """One training (or the first ``stop_epoch`` epochs of one: a rewind point)."""

    model: str
    model_options: dict[str, Any]
    bayes: BayesHparams | None  # None: deterministic
    train: TrainHparams
    seed: int
    start_epoch: int
    stop_epoch: int | None
    code: str


@dataclass(frozen=True)
class EvalSpec(Spec):
    """Repeated stochastic test passes of the final weights of one series of runs."""

    model: str
    model_options: dict[str, Any]
    bayes: PredictiveBayes | None  # None: deterministic
    eval_batch_size: int
    amp: bool
    evaluation: EvaluationHparams
    seed: int
    levels: list[Any]
    code: str


# ---- builders: experiment config (schema-validated, defaults filled) -> spec ---------------


def dataset_options(name: str) -> dict[str, Any]:
    """The options of data source ``name`` (blth.data.sources) and their defaults."""
    parameters = inspect.signature(sources.get(name).read).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def data_spec(exp: dict[str, Any], code: str) -> DataSpec:
    """The prepared data of experiment ``exp``: its source's options with defaults filled, and
    its ``dataset_subset`` (absent from an out-of-distribution set's ``exp``)."""
    name = exp["dataset"]
    defaults = dataset_options(name)
    unknown = sorted(set(exp["dataset_options"]) - set(defaults))
    if unknown:
        raise ValueError(
            f"dataset_options {unknown} do not apply to dataset {name!r} "
            f"(allowed: {sorted(defaults) or 'none'})"
        )
    subset = exp.get("dataset_subset")
    if subset is not None:
        subset = _canonical({"train": None, "test": None, "seed": 0, **subset})
    return DataSpec(name, _canonical({**defaults, **exp["dataset_options"]}), subset, code)


def _model(exp: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return exp["model"], model_names.options(exp["model"], exp["model_options"])


def init_spec(exp: dict[str, Any], bayesian: bool, seed: int, code: str) -> InitSpec:
    """The initial weights of ``exp``'s network (Bayesian or not) from ``seed``."""
    init = InitBayes.of(bayes_of(exp)) if bayesian else None
    return InitSpec(*_model(exp), init, seed, code)


def mask_spec(exp: dict[str, Any], criterion: str, level: int, code: str) -> MaskSpec:
    """The mask of ``level`` pruned by ``criterion`` (level 0: dense)."""
    p = exp["pruning"]
    if level == 0:  # the dense mask: only which tensors are prunable
        return MaskSpec(p["ignore"], p["prune_biases"], None, None, None, code)
    seed = p["seed"] if criterion == "random" else None
    return MaskSpec(p["ignore"], p["prune_biases"], criterion, float(p["rate"]), seed, code)


def branch_spec(exp: dict[str, Any], branch: str, seed: int, level: int, code: str) -> BranchSpec:
    """The mask of ``branch`` at ``level`` of replicate ``seed`` (seeded by all three)."""
    branch_seed = exp["branches"]["seeds"].get(branch, 0)
    return BranchSpec(branch, [branch_seed, seed, level], code)


def transplant_spec(exp: dict[str, Any], code: str) -> TransplantSpec:
    """The σ of ``exp``'s transplanted tickets."""
    t = exp["transplant"]
    value = float(t["sigma_value"]) if t["sigma"] == "constant" else None
    return TransplantSpec(t["sigma"], value, code)


def bayes_of(exp: dict[str, Any]) -> BayesHparams:
    """``exp``'s Bayesian settings, its config over the defaults."""
    return hparams_of(BayesHparams, exp["bayes"], "bayes")


def train_of(exp: dict[str, Any]) -> TrainHparams:
    """``exp``'s training settings, its config over the defaults."""
    return hparams_of(TrainHparams, exp["train"], "train")


def evaluation_of(exp: dict[str, Any]) -> EvaluationHparams:
    """``exp``'s evaluation settings but those of no evaluation job (NOT_EVALUATION_KEYS)."""
    values = {k: v for k, v in exp["evaluation"].items() if k not in NOT_EVALUATION_KEYS}
    return hparams_of(EvaluationHparams, values, "evaluation")


def train_spec(
    exp: dict[str, Any],
    bayesian: bool,
    seed: int,
    start_epoch: int,
    stop_epoch: int | None,
    code: str,
) -> TrainSpec:
    """One training of ``exp``'s network from epoch ``start_epoch`` to ``stop_epoch`` (None:
    the schedule's end)."""
    bayes = bayes_of(exp) if bayesian else None
    return TrainSpec(*_model(exp), bayes, train_of(exp), seed, start_epoch, stop_epoch, code)


def eval_spec(
    exp: dict[str, Any], bayesian: bool, seed: int, levels: list[int], code: str
) -> EvalSpec:
    """The evaluation of one series of runs of replicate ``seed``, at ``levels``."""
    predictive = PredictiveBayes.of(bayes_of(exp)) if bayesian else None
    train = train_of(exp)
    evaluation = evaluation_of(exp)
    return EvalSpec(
        *_model(exp),
        predictive,
        train.eval_batch_size,
        train.amp,
        evaluation,
        seed,
        sorted(levels),
        code,
    )
