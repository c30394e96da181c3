"""Bad configs fail before the first job, each problem in a line naming where and what is expected.

The table of bad configs (support/bad_configs.py: a change to the demo or a raw YAML text, and
fragments the message must hold) runs in-process through the checks common.smk runs; a few rows
run as ``snakemake -n`` (test_config_snakemake).
"""

import copy
from pathlib import Path

import pytest
import yaml
from bad_configs import AT, DEMO, RAW_SYNTAX, ROOT, ROWS, checked, demo, problems, text_of
from paper_toy import PAPER, TOY, merged

from blth import cli
from blth.config import check as config_check
from blth.config import fingerprint, origins, runspec, sizes
from blth.config.check import DATASET_OPTIONS
from blth.data import sources


@pytest.mark.parametrize("model", ["torchvision:resnet18", "user_nets:small_cnn"])
def test_external_models_pass_the_checks(tmp_path, model):
    path = tmp_path / "config.yaml"
    path.write_text(text_of(demo(lambda e: e.update(model=model, model_options={"width": 4}))))
    checked(path)


@pytest.mark.parametrize("change,fragments", ROWS.values(), ids=ROWS.keys())
def test_bad_config_names_file_key_value_and_expectation(tmp_path, change, fragments):
    message = problems(tmp_path, change)
    assert "{file}" in message
    for fragment in fragments:
        assert fragment in message
    assert len(message.splitlines()) <= 5


@pytest.mark.parametrize("change,fragments", ROWS.values(), ids=ROWS.keys())
def test_check_config_says_what_the_workflow_says(tmp_path, capsys, change, fragments):
    path = tmp_path / "config.yaml"
    path.write_text(text_of(change))
    assert cli.main(["check-config", str(path)]) == 1
    assert capsys.readouterr().err.strip() == problems(tmp_path, change).replace(
        "{file}", str(path)
    )


def test_problems_of_several_experiments_come_together(tmp_path):
    def two(config):
        config["experiments"]["other"] = {
            **copy.deepcopy(config["experiments"]["demo"]),
            "levels": 2,
        }
        config["experiments"]["demo"]["train"]["warmup_epochs"] = 9

    message = problems(tmp_path, two)
    assert "3 problems" in message and f"{AT}.train.warmup_epochs: 9" in message
    assert "experiments.other.branches.levels: [8] exceed experiments.other.levels = 2" in message
    assert "experiments.other.transplant.levels: [4, 8] exceed" in message


def test_a_command_line_override_is_named_as_such(tmp_path):
    message = problems(tmp_path, DEMO, overrides={"device": "gpu"})
    assert "--config: device: 'gpu' does not match" in message


@pytest.mark.parametrize(
    "config", sorted([*ROOT.glob("config/*.yaml"), *ROOT.glob("tests/data/*.yaml")]), ids=str
)
def test_every_shipped_config_passes(config):
    checked(config)


def test_the_paper_config_at_toy_scale_passes(tmp_path):
    """tests/data/overlays/paper_toy.yaml, layered over config/config.yaml (test_paper_dag)."""
    paper, toy = (yaml.safe_load((ROOT / p).read_text()) for p in (PAPER, TOY))
    path = tmp_path / "layered.yaml"
    path.write_text(yaml.safe_dump(merged(paper, toy)))
    checked(path)


def test_every_dataset_option_has_a_check():
    options = {key for name in sources.names() for key in runspec.dataset_options(name)}
    assert options == set(DATASET_OPTIONS)


def test_no_job_runs_the_config_checks():
    """They run when the DAG is built only: changing them changes no job's code fingerprint."""
    checks = {Path(module.__file__).resolve() for module in (config_check, origins, sizes)}
    for script in (ROOT / "scripts").glob("*.py"):
        assert not {path.resolve() for path in fingerprint.files(script)} & checks, script


def test_check_config_names_the_line_and_column_of_a_yaml_error(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(RAW_SYNTAX)
    assert cli.main(["check-config", str(ROOT / "config" / "demo.yaml"), str(bad)]) == 1
    assert f"{bad}:7:4: not valid YAML: expected <block end>" in capsys.readouterr().err
    assert cli.main(["check-config", str(ROOT / "config" / "demo.yaml")]) == 0
    assert "valid: 1 experiment(s), demo" in capsys.readouterr().out
