"""The workflow as users run it: config errors, the demo's tables, incremental reruns.

Tests marked ``demo`` read the finished embedded demo (``snakemake --cores 2`` first; ``make e2e``
does both).
"""

import re
import subprocess
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from workdir import REPO, SNAKEMAKE, copy_repo, env_for, run_study

from blth.io import predictions, states
from blth.io.artefacts import PREDICTIONS
from blth.lottery.branches import BRANCHES, MAIN, RANDOM_BRANCHES

ROOT = REPO


def dry_run(*args: str) -> str:
    out = subprocess.run([*SNAKEMAKE, "-n", *args], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout + out.stderr


def with_config(config: dict, tmp_path: Path, change) -> str:
    """The path of ``config`` (the demo's) with ``change`` applied to its experiment."""
    change(config["experiments"]["demo"])
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda e: e.update(levels="8"), "levels"),
        (lambda e: e["branches"].update(levels=[12]), "experiments.demo.branches.levels"),
        (lambda e: e["lrr"].update(arms=["bnn-snr_code"]), "experiments.demo.lrr.arms"),
        (lambda e: e["train"].update(epoch=3), "epoch"),
        (lambda e: e.update(arms=["bnn-magnitude"]), "arms"),
    ],
)
def test_bad_config_names_the_key(demo_config, tmp_path, change, message):
    out = subprocess.run(
        [*SNAKEMAKE, "-n", "--configfile", with_config(demo_config, tmp_path, change)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert message in out.stdout + out.stderr


def test_demo_plans_every_arm_chain_branch_and_level(demo_config):
    out = dry_run("--quiet", "rules", "--forceall")
    train = int(re.search(r"^train\s+(\d+)", out, re.M).group(1))
    e = demo_config["experiments"]["demo"]
    expected = (
        len(e["arms"]) * (e["levels"] + 1)
        + len(e["lrr"]["arms"]) * e["levels"]
        + len(e["branches"]["arms"]) * len(e["branches"]["levels"]) * len(RANDOM_BRANCHES)
        + len(e["transplant"]["levels"])
    )
    assert train == expected


def synthetic_with_digits_ood(e: dict) -> None:
    e.update(dataset="synthetic", dataset_options={"shape": [1, 8, 8]})
    e["evaluation"]["shift"]["ood"] = ["digits", "uniform_noise"]


def test_an_out_of_distribution_dataset_is_prepared_for_every_evaluation(demo_config, tmp_path):
    """``evaluation.shift.ood: [digits]`` for a synthetic study of digits' shape: digits is
    prepared once, with its own default options, and every evaluation job reads it."""
    config = with_config(demo_config, tmp_path, synthetic_with_digits_ood)
    out = dry_run("--configfile", config, "--forceall", "--quiet", "rules")
    assert re.search(r"^prepare_data\s+2$", out, re.M)  # synthetic and digits
    evaluations = int(re.search(r"^evaluate\s+(\d+)", out, re.M).group(1))
    detail = dry_run("--configfile", config, "--forceall", "--", "results/demo/tables/ood.parquet")
    prepares = re.findall(r"output: results/demo/data/(\w+)\.safetensors", detail)
    assert sorted(prepares) == ["digits", "synthetic"]
    inputs = re.findall(r"^\s+input: (.*)$", detail, re.M)
    reading = [i for i in inputs if "/evaluation/" not in i and "digits.safetensors" in i]
    assert len(reading) == evaluations


def test_corruptions_read_from_a_folder_are_inputs_of_every_evaluation(demo_config, tmp_path):
    """``evaluation.shift.folder``: each evaluation job reads the named files and the folder's
    labels, so replacing a file reruns the evaluations, and nothing else."""
    folder = tmp_path / "c10c"
    folder.mkdir()
    for name in ("fog", "frost", "labels"):
        (folder / f"{name}.npy").touch()

    def change(e):
        e["evaluation"]["shift"].update(folder=str(folder), folder_corruptions=["fog"])

    config = with_config(demo_config, tmp_path, change)
    out = dry_run("--configfile", config, "--forceall", "--quiet", "rules")
    evaluations = int(re.search(r"^evaluate\s+(\d+)", out, re.M).group(1))
    target = "results/demo/tables/shift.parquet"
    detail = dry_run("--configfile", config, "--forceall", "--", target)
    inputs = re.findall(r"^\s+input: (.*)$", detail, re.M)
    reading = [i for i in inputs if str(folder) in i]
    assert len(reading) == evaluations
    assert all(f"{folder}/fog.npy" in i and f"{folder}/labels.npy" in i for i in reading)
    assert not any("frost" in i for i in inputs)


def test_a_source_edit_reruns_its_datasets_preparation_only(demo_config, tmp_path):
    """A synthetic study with digits out of distribution prepares both; then adding a source,
    or editing code neither reads (the IDX reader), reruns nothing, and editing digits' source
    reruns its prepare_data job alone (the rule adds its dataset's source fingerprint)."""
    work = copy_repo(tmp_path / "repo")
    with_config(demo_config, work, synthetic_with_digits_ood)
    data = ["results/demo/data/synthetic.safetensors", "results/demo/data/digits.safetensors"]

    def planned(*args: str) -> list[str]:
        command = [*SNAKEMAKE, "--configfile", "config.yaml", *args, *data]
        out = subprocess.run(command, cwd=work, env=env_for(work), capture_output=True, text=True)
        assert out.returncode == 0, (out.stdout + out.stderr)[-3000:]
        return re.findall(r"^\s+output: (.*)$", out.stdout, re.M)

    planned("--cores", "1")
    sources = work / "src" / "blth" / "data" / "sources"
    (sources / "newset.py").write_text("AUGMENT = False\n\n\ndef read(root):\n    return ()\n")
    with (sources / "_idx.py").open("a") as f:
        f.write("\nEDIT = 1\n")
    assert planned("-n") == []
    with (sources / "digits.py").open("a") as f:
        f.write("\nEDIT = 1\n")
    assert planned("-n") == [data[1]]


@pytest.mark.demo
def test_demo_tables_have_every_run(demo_config):
    tables = ROOT / "results/demo/tables"
    runs = pq.read_table(tables / "runs.parquet").to_pandas()
    e = demo_config["experiments"]["demo"]
    main = runs[(runs.chain == "imp") & (runs.branch == "main")]
    assert sorted(main.arm.unique()) == sorted(e["arms"])
    assert set(main.level) == set(range(e["levels"] + 1))
    assert set(runs[runs.chain == "lrr"].arm) == set(e["lrr"]["arms"])
    assert set(runs.branch) == {MAIN, *BRANCHES}
    # the last level keeps ceil-pruned ≈ 0.8^levels of the prunable weights
    last = main[main.level == e["levels"]].remaining_fraction
    assert last.between(0.8 ** e["levels"] - 0.01, 0.8 ** e["levels"] + 0.01).all()
    assert (main[main.level == 0].best_test_acc > 0.9).all()
    assert runs.loc[runs.branch == "transplant", "ticket_search_seconds"].gt(0).all()
    for name in ("epochs", "layers", "calibration", "selective"):
        assert pq.read_metadata(tables / f"{name}.parquet").num_rows > len(runs)
    # every series keeps its test predictions; they give the reported accuracy back
    stored = predictions.load(ROOT / "results/demo/evaluation/bnn-snr/s0/imp/main" / PREDICTIONS)
    assert sorted(stored.levels) == list(range(e["levels"] + 1))
    snr = main[main.arm == "bnn-snr"].set_index("level")
    for level, pred in stored.levels.items():
        hits = pred.probs.float().argmax(2) == stored.labels
        assert float(hits.float().mean()) == pytest.approx(snr.acc_mean[level], abs=2e-3)
    assert (ROOT / "results/demo/report/accuracy_mace.svg").stat().st_size > 1000


@pytest.mark.demo
def test_second_run_has_nothing_to_do():
    assert "Nothing to be done" in dry_run()


def test_rewind_epoch_beyond_training_names_the_key(demo_config, tmp_path):
    config = with_config(
        demo_config, tmp_path, lambda e: e.setdefault("pruning", {}).update(rewind_epoch=8)
    )
    out = subprocess.run(
        [*SNAKEMAKE, "-n", "--configfile", config], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "experiments.demo.pruning.rewind_epoch: 8 must be below" in out.stdout + out.stderr


def test_results_without_snakemakes_record_are_warned_about(tmp_path):
    """A results/ tree copied without .snakemake/: config changes would rerun nothing."""
    final = tmp_path / "results/demo/runs/det/s0/imp/L0/main/final.safetensors"
    final.parent.mkdir(parents=True)
    final.write_bytes(b"")
    args = [*SNAKEMAKE, "-n", "--snakefile", str(ROOT / "workflow/Snakefile")]
    args += ["--configfile", str(ROOT / "config/demo.yaml"), "--directory", str(tmp_path)]
    out = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    assert "WARNING: results/demo/runs/det/s0/imp/L0/main and the rest of results/ have no " in (
        out.stderr
    )
    assert "was results/ copied without .snakemake/?" in out.stderr


@pytest.mark.slow
def test_late_rewinding_restarts_tickets_from_the_dense_runs_epoch(tmp_path):
    """rewind_epoch = 1: one rewind point per network kind; every IMP ticket, branch and the
    transplant start from it at epoch 2, while the dense runs and LRR train every epoch. The same
    small study checks the chains' weights: pruned entries stay zero, LRR continues from the
    previous level, reinit keeps the mask with fresh values."""
    work = copy_repo(tmp_path)
    config = yaml.safe_load((ROOT / "tests/data/slurm.yaml").read_text())
    study = config["experiments"].pop("slurm")
    study["train"]["epochs"] = 3
    study["pruning"] = {"rewind_epoch": 1}
    config["experiments"]["rewind"] = study
    (work / "rewind.yaml").write_text(yaml.safe_dump(config))
    tables = [f"results/rewind/tables/{name}.parquet" for name in ("runs", "epochs")]
    run_study(work, "--configfile", "rewind.yaml", "--", *tables)
    results = work / "results" / "rewind"
    assert sorted(p.relative_to(results).as_posix() for p in results.glob("rewind/*/*/*")) == [
        "rewind/bnn/s0/e1.safetensors",
        "rewind/det/s0/e1.safetensors",
    ]
    epochs = pq.read_table(results / "tables" / "epochs.parquet").to_pandas()
    first = epochs.groupby(["arm", "chain", "level", "branch"]).epoch.agg(["min", "max", "size"])
    dense_or_lrr = first.index.get_level_values("chain") == "lrr"
    dense_or_lrr |= first.index.get_level_values("level") == 0
    assert (first[dense_or_lrr]["min"] == 1).all() and (first[dense_or_lrr]["size"] == 3).all()
    assert (first[~dense_or_lrr]["min"] == 2).all() and (first[~dense_or_lrr]["size"] == 2).all()
    assert (first["max"] == 3).all()
    # a level-2 ticket starts from the rewind point under its mask, bit for bit
    from blth.lottery import masks

    rewind, _ = states.load_state(results / "rewind/det/s0/e1.safetensors")
    run = results / "runs/det/s0/imp/L2/main"
    start, _ = states.load_state(run / "init.safetensors")
    mask = masks.load_masks(run / "mask.safetensors")
    for name, keep in mask.items():
        np.testing.assert_array_equal(start[name], rewind[name] * keep)
    assert 0 < np.mean([m.mean() for m in mask.values()]) < 1
    # pruned entries are exactly zero in the trained weights, and stay pruned a level later
    final, _ = states.load_state(run / "final.safetensors")
    before = masks.load_masks(results / "runs/det/s0/imp/L1/main/mask.safetensors")
    for name, keep in mask.items():
        assert np.all(final[name][keep == 0] == 0)
        assert np.all(keep <= before[name])
    # LRR: level 2 starts from level 1's final weights under its own mask
    lrr = results / "runs/det/s0/lrr"
    previous, _ = states.load_state(lrr / "L1/main/final.safetensors")
    start, _ = states.load_state(lrr / "L2/main/init.safetensors")
    for name, keep in masks.load_masks(lrr / "L2/main/mask.safetensors").items():
        np.testing.assert_array_equal(start[name], previous[name] * keep)
    # reinit: the ticket's mask with fresh initial values
    reinit = results / "runs/det/s0/imp/L2/reinit"
    reinit_mask = masks.load_masks(reinit / "mask.safetensors")
    fresh, _ = states.load_state(reinit / "init.safetensors")
    ticket, _ = states.load_state(run / "init.safetensors")
    for name, keep in mask.items():
        np.testing.assert_array_equal(reinit_mask[name], keep)
        kept = keep != 0
        assert np.all(fresh[name][~kept] == 0) and np.all(fresh[name][kept] != ticket[name][kept])
