"""Bad configs through Snakemake itself (``snakemake -n``): a few rows of test_config_errors'
table stop the workflow in a few lines; YAML errors of a --configfile and of the demo; what
--config and --configfile mean without each other."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bad_configs import DEMO, RAW_SYNTAX, ROOT, ROWS, text_of
from workdir import copy_repo, env_for


def snakemake(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", *args],
        cwd=ROOT,
        env=env_for(ROOT),
        capture_output=True,
        text=True,
    )


def failure(tmp_path: Path, change) -> str:
    """The output of a dry run of a bad config: it fails in a few lines, without a schema."""
    path = tmp_path / "config.yaml"
    path.write_text(text_of(change))
    out = snakemake("--configfile", str(path))
    output = out.stdout + out.stderr
    assert out.returncode != 0
    assert len(output.splitlines()) <= 15 and "Failed validating" not in output, output
    return output.replace(str(path), "{file}")


E2E = ["three_at_once", "default_milestones", "duplicate_key", "ignore_unknown", "test_fraction"]


@pytest.mark.parametrize("row", E2E)
def test_snakemake_stops_on_a_bad_config_in_a_few_lines(tmp_path, row):
    change, fragments = ROWS[row]
    output = failure(tmp_path, change)
    for fragment in fragments:
        assert fragment in output


def test_a_yaml_error_of_a_configfile_stops_snakemake_at_once(tmp_path):
    """Snakemake reads a --configfile before the workflow: its message names no location (see
    docs/troubleshooting.md: blth check-config does)."""
    assert "Config file is not valid JSON or YAML" in failure(tmp_path, RAW_SYNTAX)


def test_a_yaml_error_of_the_demo_names_file_line_and_column(tmp_path):
    work = copy_repo(tmp_path)
    (work / "config" / "demo.yaml").write_text(RAW_SYNTAX)
    out = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n"],
        cwd=work,
        env=env_for(work),
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    message = "config/demo.yaml:7:4: not valid YAML: expected <block end>"
    assert message in out.stdout + out.stderr


def config_md5(*args: str) -> str:
    out = snakemake(*args)
    assert out.returncode == 0, out.stderr[-2000:]
    return next(line for line in out.stdout.splitlines() if "Config MD5" in line)


def test_config_alone_overrides_the_demo(tmp_path):
    """--config without --configfile: the demo with the override, as if written into it."""
    edited = tmp_path / "demo.yaml"
    edited.write_text(DEMO.replace("device: cpu", "device: auto"))
    overridden = config_md5("--config", "device=auto")
    assert overridden == config_md5("--configfile", str(edited)) != config_md5()


def test_a_bad_override_of_the_demo_is_named():
    out = snakemake("--config", "device=gpu")
    assert out.returncode != 0
    assert "--config: device: 'gpu' does not match" in out.stdout + out.stderr


def test_configfile_alone_means_that_file_only(tmp_path):
    other = tmp_path / "other.yaml"
    config = yaml.safe_load(DEMO)
    config["experiments"] = {"other": config["experiments"]["demo"]}
    other.write_text(yaml.safe_dump(config))
    out = snakemake("--configfile", str(other), "--forceall")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "experiment=other" in out.stdout and "experiment=demo" not in out.stdout
