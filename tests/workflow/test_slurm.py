"""The workflow on a real SLURM cluster through workflow/profiles/slurm.

Needs a running cluster on this machine (CI: ``.ci/slurm.sh`` starts a single-node one with
``../shared/ci/slurm-ci.sh up`` and sets ``BLTH_SLURM_TESTS=1``). Each test works in a copy of
the repository under pytest's tmp folder, so nothing under ``results/`` is touched.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from workdir import REPO, copy_repo, env_for

pytestmark = [
    pytest.mark.slurm,
    pytest.mark.skipif(
        os.environ.get("BLTH_SLURM_TESTS") != "1",
        reason="needs a SLURM cluster: set BLTH_SLURM_TESTS=1 (see .ci/slurm.sh)",
    ),
]

CONFIG = REPO / "tests" / "data" / "slurm.yaml"
EXPERIMENT = "slurm"
TABLES = [f"results/{EXPERIMENT}/tables/{t}.parquet" for t in ("runs", "epochs")]
# the repository's profile, plus what only a test wants: an early first status check (the
# plugin's default waits 40 s) and the SLURM logs of successful jobs kept for the assertions
SLURM = [
    "--profile",
    "workflow/profiles/slurm",
    "--slurm-init-seconds-before-status-checks",
    "1",
    "--slurm-keep-successful-logs",
]
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+) \(log: (\S+)\)")
TIMEOUT = 600


def snakemake(workdir: Path, *args: str, log: Path, background: bool = False):
    """Run snakemake in ``workdir``, output to ``log``; the exit code, or the process."""
    cmd = [sys.executable, "-m", "snakemake", *args]
    with open(log, "w") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            cmd, cwd=workdir, env=env_for(workdir), stdout=out, stderr=subprocess.STDOUT
        )
    if background:
        return proc
    try:
        return proc.wait(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()


def submitted(log: Path) -> dict[str, list[str]]:
    """SLURM job ids by rule (or ``group_<name>_<rules>``), from Snakemake's submission lines.

    The plugin writes each job's SLURM log to .snakemake/slurm_logs/rule_<rule>/... or
    .snakemake/slurm_logs/group_<group>_<rules>/...
    """
    jobs: dict[str, list[str]] = {}
    for job_id, slurm_log in SUBMITTED.findall(log.read_text()):
        parts = Path(slurm_log).parts
        name = parts[parts.index("slurm_logs") + 1].removeprefix("rule_")
        jobs.setdefault(name, []).append(job_id)
    return jobs


def sacct_states(job_ids: list[str]) -> dict[str, str]:
    """Final SLURM state of each job (allocation line only), as the accounting database has it."""
    states: dict[str, str] = {}
    for _ in range(20):  # records reach slurmdbd asynchronously
        out = subprocess.run(
            ["sacct", "-n", "-X", "-P", "-o", "JobID,State", "-j", ",".join(job_ids)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        states = dict(line.split("|", 1) for line in out.splitlines() if "|" in line)
        if set(job_ids) <= set(states):
            break
        time.sleep(0.5)
    return {j: states.get(j, "MISSING").split()[0] for j in job_ids}


def fail(message: str, *logs: Path) -> None:
    tails = "\n".join(f"--- {p} ---\n{p.read_text()[-6000:]}" for p in logs if p.exists())
    pytest.fail(f"{message}\n{tails}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The small study once through SLURM and once locally (at the same time)."""
    cluster = copy_repo(tmp_path_factory.mktemp("slurm"))
    local = copy_repo(tmp_path_factory.mktemp("local"))
    config = ["--configfile", str(CONFIG)]
    local_log = local / "snakemake.log"
    started = time.monotonic()
    local_proc = snakemake(local, *TABLES, "--cores", "2", *config, log=local_log, background=True)
    slurm_log = cluster / "snakemake.log"
    rc = snakemake(cluster, *TABLES, *SLURM, *config, log=slurm_log)
    slurm_s = time.monotonic() - started
    local_rc = local_proc.wait(timeout=TIMEOUT)
    print(f"SLURM run {slurm_s:.0f} s, both runs {time.monotonic() - started:.0f} s")
    if rc != 0:
        fail(f"snakemake through SLURM failed ({rc})", slurm_log)
    if local_rc != 0:
        fail(f"local snakemake failed ({local_rc})", local_log)
    return cluster, local, slurm_log


def test_every_training_job_went_through_sbatch(runs):
    cluster, _, log = runs
    trainings = sorted((cluster / "results" / EXPERIMENT / "runs").rglob("epochs.parquet"))
    assert len(trainings) == 11  # 2 arms × 3 levels + 2 LRR + 2 branches + 1 transplant
    jobs = submitted(log)
    assert len(jobs.get("train", [])) == len(trainings), jobs
    for rule in ("init_weights", "evaluate"):
        assert rule in jobs, f"{rule} did not go to SLURM: {jobs}"
    # localrules; the mask steps run on the submit host: no queue wait per mask
    for rule in ("prepare_data", "ticket_mask", "branch_mask", "transplant_init", "aggregate"):
        assert rule not in jobs, f"{rule} went to SLURM: {jobs}"
        assert f"localrule {rule}:" in log.read_text(), f"{rule} did not run locally"
    ids = [j for ids in jobs.values() for j in ids]
    assert len(set(ids)) == len(ids)
    states = sacct_states(ids)
    assert set(states.values()) == {"COMPLETED"}, states
    # the SLURM log of every training job exists (kept with --slurm-keep-successful-logs)
    train_logs = list((cluster / ".snakemake" / "slurm_logs" / "rule_train").rglob("*.log"))
    assert sorted(p.stem for p in train_logs) == sorted(jobs["train"])


def test_tables_match_a_local_run(runs):
    cluster, local, _ = runs
    for table in TABLES:
        a = pd.read_parquet(cluster / table)
        b = pd.read_parquet(local / table)
        assert a.shape == b.shape, table
        assert list(a.columns) == list(b.columns), table
        assert (a.dtypes == b.dtypes).all(), table
    keys = ["arm", "chain", "branch", "seed", "level"]
    a = pd.read_parquet(cluster / TABLES[0])[keys].sort_values(keys).reset_index(drop=True)
    b = pd.read_parquet(local / TABLES[0])[keys].sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def wait_for(predicate, timeout: float, what: str, *logs: Path, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            fail(f"snakemake ended ({proc.returncode}) before {what}", *logs)
        time.sleep(0.2)
    fail(f"timed out waiting for {what}", *logs)


def det_only(work: Path, name: str, levels: int, **train) -> str:
    """tests/data/slurm.yaml cut down to the det arm's IMP chain, as ``work/<name>.yaml``."""
    config = yaml.safe_load(CONFIG.read_text())
    exp = config["experiments"].pop(EXPERIMENT)
    exp.update(arms=["det"], levels=levels, lrr={}, branches={}, transplant={})
    exp["train"].update(train)
    config["experiments"][name] = exp
    (work / f"{name}.yaml").write_text(yaml.safe_dump(config))
    return f"{name}.yaml"


def test_grouped_profile_runs_a_seed_in_one_slurm_job(tmp_path):
    """workflow/profiles/slurm-grouped: every lottery and training job of a seed, one sbatch."""
    work = copy_repo(tmp_path)
    config = det_only(work, "grouped", levels=1)
    runs = [f"results/grouped/runs/det/s0/imp/L{level}/main" for level in (0, 1)]
    log = work / "snakemake.log"
    args = [f"{r}/epochs.parquet" for r in runs] + [
        "--profile",
        "workflow/profiles/slurm-grouped",
        *SLURM[2:],
        "--configfile",
        config,
        # the CI node has 2 CPUs: the profile's cores: 4 would never be scheduled
        "--cores",
        "2",
        "--resources",
        "mem_mb=4000",
        "gpu=1",
    ]
    if snakemake(work, *args, log=log) != 0:
        fail("snakemake with the grouped profile failed", log)
    jobs = submitted(log)
    # ticket_mask is a localrule, but a grouped rule never is: it runs inside the group job
    assert list(jobs) == ["group_study_init_weights_ticket_mask_train"], jobs
    (job_id,) = jobs["group_study_init_weights_ticket_mask_train"]
    assert sacct_states([job_id]) == {job_id: "COMPLETED"}
    for r in runs:
        assert (work / r / "epochs.parquet").exists()


def test_cancelled_training_resumes_from_its_checkpoint(tmp_path):
    """scancel a training job mid-run; the next snakemake call resumes it after its last epoch."""
    work = copy_repo(tmp_path)
    epochs = 30
    config = det_only(work, "resume", levels=0, epochs=epochs, batch_size=4)  # ~0.5 s an epoch
    run = "results/resume/runs/det/s0/imp/L0/main"
    train_log = work / "results/resume/logs/train/det/s0/imp/L0/main.log"
    checkpoint = work / "results/resume/checkpoints/runs/det/s0/imp/L0/main/final.pt"
    args = [f"{run}/epochs.parquet", *SLURM, "--configfile", config]

    first_log = work / "first.log"
    proc = snakemake(work, *args, "--retries", "0", log=first_log, background=True)
    try:

        def train_job():
            return submitted(first_log).get("train")

        job_id = wait_for(train_job, 300, "the train job's submission", first_log, proc=proc)[0]

        def two_epochs():  # epoch 2 logged: epoch 1's checkpoint is on disk
            return train_log.exists() and f"epoch 2/{epochs}" in train_log.read_text()

        wait_for(two_epochs, 300, "two finished epochs", first_log, train_log, proc=proc)
        subprocess.run(["scancel", job_id], check=True)
        rc = proc.wait(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = train_log.read_text()
    done = [int(n) for n in re.findall(rf"epoch (\d+)/{epochs}", text)]
    if rc == 0 or max(done) >= epochs:
        fail("the training job finished before it was cancelled", first_log, train_log)
    assert checkpoint.exists()
    assert not (work / run / "epochs.parquet").exists()
    assert sacct_states([job_id])[job_id] == "CANCELLED"

    second_log = work / "second.log"
    if snakemake(work, *args, log=second_log) != 0:
        fail("the rerun failed", second_log, train_log)
    text = train_log.read_text()
    match = re.search(r"resuming after epoch (\d+)", text)
    assert match, text
    assert 1 <= int(match.group(1)) < epochs
    resumed = text[match.end() :]
    assert f"epoch {int(match.group(1)) + 1}/{epochs}" in resumed  # continued, not restarted
    assert "epoch 1/" not in resumed
    # Snakemake deletes the log of a job it reruns: the restored epochs are logged again
    assert f"epoch 1/{epochs}" in text[: match.start()]
    table = pd.read_parquet(work / run / "epochs.parquet")
    assert table["epoch"].tolist() == list(range(1, epochs + 1))
    assert not checkpoint.exists()  # outputs complete: the scratch copy is gone
    assert submitted(second_log).get("train"), "the rerun did not go through SLURM"
