"""Fixtures several test files share: the config schema and the demo config, a tiny prepared
dataset with initial weights for the tests of the workflow steps, and no network (sources)."""

from __future__ import annotations

import copy
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA_FILE = REPO / "workflow" / "schemas" / "config.schema.yaml"
DEMO_FILE = REPO / "config" / "demo.yaml"


@pytest.fixture(scope="session")
def config_schema() -> dict:
    """workflow/schemas/config.schema.yaml as a dict (read once; do not modify it)."""
    return yaml.safe_load(SCHEMA_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def _demo() -> dict:
    return yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def demo_config(_demo: dict) -> dict:
    """A fresh copy of config/demo.yaml, free to change."""
    return copy.deepcopy(_demo)


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The prepared-data file (blth.data.prepared.prepare) of the synthetic set
    ``tiny_data.TINY_DATA``."""
    from tiny_data import TINY_DATA

    from blth.data import prepared as data

    path = tmp_path_factory.mktemp("data") / "synthetic.safetensors"
    data.prepare("synthetic", path.parent, path, **TINY_DATA)
    return path


@pytest.fixture(scope="session")
def tiny_inits(tiny_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``det`` and ``bnn`` initial weights of ``tiny_data.TINY_MODEL``, written by the init step."""
    from tiny_data import TINY_INIT, TINY_MODEL

    from blth.config.runspec import InitSpec
    from blth.steps.init import init_weights

    folder = tmp_path_factory.mktemp("init")
    paths = {}
    for kind, init in (("det", None), ("bnn", TINY_INIT)):
        paths[kind] = folder / f"{kind}.safetensors"
        init_weights(InitSpec(TINY_MODEL, {}, init, 0, ""), str(tiny_data), str(paths[kind]))
    return paths


@pytest.fixture(scope="module")
def tables() -> dict:
    """The report tests' hand-made tables (report_tables.make_tables), built once per module."""
    from report_tables import make_tables

    return make_tables()


@pytest.fixture
def offline(monkeypatch):
    """No network: every URL opened is recorded and refused."""
    opened = []

    def refuse(request, *args, **kwargs):
        opened.append(getattr(request, "full_url", request))
        raise urllib.error.URLError("offline test")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    return opened
