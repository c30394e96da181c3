"""Each vocabulary has one home in the code; the config schema's enums, patterns and defaults are
held to it, so that a name added in one place only fails here."""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
from pathlib import Path

import pytest

from blth.bayes import hparams as bayes_hparams
from blth.config import hparams
from blth.data import sources
from blth.io import artefacts
from blth.lottery import arms, branches, scores, transplant
from blth.models import model_names
from blth.report import claims
from blth.report.tables import MATCH_TOLERANCE
from blth.steps import aggregate


def experiment_schema(schema: dict) -> dict:
    return schema["$defs"]["experiment"]["properties"]


def defaults_of(function: typing.Callable) -> dict:
    parameters = inspect.signature(function).parameters.values()
    return {p.name: p.default for p in parameters if p.default is not inspect.Parameter.empty}


def test_datasets_are_the_sources(config_schema):
    assert experiment_schema(config_schema)["dataset"]["enum"] == sources.names()


def test_model_pattern_is_the_model_registrys(config_schema):
    pattern = experiment_schema(config_schema)["model"]["pattern"]
    assert pattern == model_names.schema_pattern()
    for name in model_names.EXAMPLES:
        assert re.search(pattern, name), name


def test_arm_pattern_names_the_arm_kinds_and_every_criterion(config_schema):
    pattern = experiment_schema(config_schema)["arms"]["items"]["pattern"]
    kinds, criteria = "|".join(arms.KINDS), "|".join(scores.CRITERIA)
    assert pattern == f"^({kinds})(-({criteria}))?$"
    assert arms.DET_CRITERION in scores.DETERMINISTIC


BAYES_ENUMS = {
    "kl": bayes_hparams.KL_KINDS,
    "sample_strategy": bayes_hparams.SAMPLE_STRATEGIES,
    "estimator": bayes_hparams.ESTIMATORS,
    "batchnorm_stats": bayes_hparams.BATCHNORM_STATS,
    "cpu_noise": bayes_hparams.CPU_NOISE,
}
JSON_TYPES = {int: "integer", float: "number", bool: "boolean"}


def json_type(hint: typing.Any) -> str | list[str]:
    """The schema ``type`` of a dataclass field's type hint."""
    if typing.get_origin(hint) is tuple:
        return "array"
    args = typing.get_args(hint)
    if type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return [JSON_TYPES[inner], "null"]
    return JSON_TYPES[hint]


@pytest.mark.parametrize(
    "section,cls", [("bayes", bayes_hparams.BayesHparams), ("train", hparams.TrainHparams)]
)
def test_hparams_sections_are_the_dataclasses_without_defaults(config_schema, section, cls):
    """Keys and types from the dataclass; defaults only there (the schema repeats none)."""
    properties = experiment_schema(config_schema)[section]["properties"]
    hints = typing.get_type_hints(cls)
    assert list(properties) == [f.name for f in dataclasses.fields(cls)]
    for key, rule in properties.items():
        assert "default" not in rule, f"{section}.{key}: the default belongs to {cls.__name__}"
        if key in BAYES_ENUMS and section == "bayes":
            assert rule["enum"] == list(BAYES_ENUMS[key]), key
            assert getattr(cls(), key) in BAYES_ENUMS[key]
        else:
            assert rule["type"] == json_type(hints[key]), key


def test_every_bayes_enum_value_is_accepted_and_others_refused():
    for key, values in BAYES_ENUMS.items():
        for value in values:
            bayes_hparams.BayesHparams(**{key: value})
        with pytest.raises(ValueError, match=key):
            bayes_hparams.BayesHparams(**{key: "no_such_value"})


def test_branch_kinds_and_seeds_are_the_random_branches(config_schema):
    section = experiment_schema(config_schema)["branches"]["properties"]
    assert section["kinds"]["items"]["enum"] == list(branches.RANDOM_BRANCHES)
    assert section["kinds"]["default"] == list(branches.RANDOM_BRANCHES)
    assert list(section["seeds"]["properties"]) == list(branches.RANDOM_BRANCHES)


def test_branches_are_the_random_ones_and_the_transplant():
    assert (*branches.RANDOM_BRANCHES, branches.TRANSPLANT) == branches.BRANCHES
    assert set(branches.SHUFFLES) == set(branches.RANDOM_BRANCHES) - {branches.REINIT}
    assert branches.MAIN not in branches.BRANCHES
    assert set(branches.CHAINS) == {branches.IMP, branches.LRR}


def test_transplant_sigma_and_its_defaults_are_the_codes(config_schema):
    section = experiment_schema(config_schema)["transplant"]["properties"]
    code = defaults_of(transplant.transplant_state)
    assert section["sigma"]["enum"] == list(transplant.SIGMA_MODES)
    assert section["sigma"]["default"] == code["sigma"]
    assert section["sigma_value"]["default"] == code["sigma_value"]


def test_evaluation_bins_default_as_the_metrics_do(config_schema):
    from blth.evaluation import metrics

    section = experiment_schema(config_schema)["evaluation"]["properties"]
    for key, value in defaults_of(metrics.calibration).items():
        assert section[key]["default"] == value, key


def test_shift_corruptions_and_defaults_are_blth_shifts(config_schema):
    from blth import shift

    section = experiment_schema(config_schema)["evaluation"]["properties"]["shift"]["properties"]
    assert section["corruptions"]["items"]["enum"] == list(shift.CORRUPTIONS)
    assert section["severities"]["items"]["maximum"] == max(shift.SEVERITIES)
    defaults = {
        k: list(v) if isinstance(v, tuple) else v for k, v in vars(shift.ShiftHparams()).items()
    }
    assert {key: value["default"] for key, value in section.items()} == defaults


def test_evaluation_defaults_are_the_schemas(config_schema):
    section = experiment_schema(config_schema)["evaluation"]["properties"]
    for f in dataclasses.fields(hparams.EvaluationHparams):
        if f.name != "shift":  # a section of its own (above)
            assert section[f.name]["default"] == f.default, f.name
    assert {f.name for f in dataclasses.fields(hparams.EvaluationHparams)} == set(section) - {
        "ensembles"  # no evaluation job's (runspec.NOT_EVALUATION_KEYS)
    }


def test_match_tolerance_defaults_as_blth_report_does(config_schema):
    schema_default = config_schema["properties"]["report"]["properties"]["match_tolerance"]
    assert schema_default["default"] == MATCH_TOLERANCE
    assert claims.TOLERANCE == MATCH_TOLERANCE / 100  # the claims' accuracies are fractions


def test_every_table_has_a_schema():
    evaluation = [artefacts.evaluation_table(t) for t in artefacts.EVALUATION_TABLES]
    ensemble = [artefacts.ensemble_table(t) for t in artefacts.ENSEMBLE_TABLES]
    jobs = {artefacts.RUN_EPOCHS, *evaluation, *ensemble}
    assert set(artefacts.SCHEMAS) == {*artefacts.TABLES, *jobs}
    assert set(artefacts.EVALUATION_TABLES) | set(artefacts.ENSEMBLE_TABLES) <= set(
        artefacts.TABLES
    )
    for table in artefacts.TABLES:  # a run's identity; an ensemble's names its seeds instead
        identity = artefacts.ENSEMBLE_IDENTITY if table in artefacts.ENSEMBLE_TABLES else None
        names = [n for n, _ in identity] if identity else list(artefacts.IDENTITY_COLUMNS)
        assert artefacts.SCHEMAS[table].names[: len(names)] == names


def test_the_aggregate_copies_exactly_the_identity_columns():
    assert list(artefacts.IDENTITY_COLUMNS) == aggregate.IDENTITY
    assert set(aggregate.PER_LEVEL_TABLES) | {"runs"} == set(artefacts.EVALUATION_TABLES)


@pytest.mark.parametrize("document", ["README.md", "workflow/report/workflow.rst"])
def test_the_documents_name_every_table(document):
    """Where the documents list the tables folder, they list blth.io.artefacts.TABLES."""
    text = (Path(__file__).resolve().parents[2] / document).read_text()
    [listed] = re.findall(r"tables/\{([a-z_,]+)\}\.parquet", text)
    assert tuple(listed.split(",")) == artefacts.TABLES
