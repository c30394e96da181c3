"""The results layout (blth.io.paths): one template per kind of file, used by every rule."""

import re
from pathlib import Path

import pytest

from blth.io import paths

ROOT = Path(__file__).resolve().parents[2]
RUN = "results/demo/runs/det/s0/imp/L2/main"


def test_templates_fill_to_the_documented_layout():
    run = paths.RUN.format(
        experiment="demo", arm="det", seed=0, chain="imp", level=2, branch="main"
    )
    assert run == RUN
    assert paths.fill(paths.TABLE, table="runs") == "results/{experiment}/tables/runs.parquet"
    assert paths.log("train", paths.RUN_ID).startswith("results/{experiment}/logs/train/{arm}/")
    assert paths.log("aggregate") == "results/{experiment}/logs/aggregate.log"
    assert Path(f"{RUN}/final.safetensors").match(paths.pattern(f"{paths.RUN}/final.safetensors"))


def test_side_files_go_beside_the_outputs_under_their_own_kind():
    final = f"{RUN}/final.safetensors"
    assert paths.beside(final, "checkpoints") == Path("results/demo/checkpoints", RUN[13:], "final")
    with pytest.raises(ValueError, match="not a file in the results tree"):
        paths.beside("results/demo", "checkpoints")


def test_no_rule_spells_a_results_path():
    """Every path of the rules comes from blth.io.paths: no string starts a results path."""
    rules = sorted((ROOT / "workflow").rglob("*.smk")) + [ROOT / "workflow" / "Snakefile"]
    for smk in rules:
        assert not re.search(r"f?[\"']results/", smk.read_text()), smk
