"""Lock-file GPU claims (blth.platform.gpus): distinct devices, release on exit and crash,
sharing."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
import time
from collections import Counter

import pytest

from blth.platform import gpus

CTX = mp.get_context("spawn")  # a fresh interpreter per holder, like separate Snakemake jobs


def _hold(lock_dir, n_gpus, jobs_per_gpu, barrier, hold_s, out):
    """Claim a slot, wait until every holder has one, hold it, report the device."""
    with gpus.claim_gpu(lock_dir, n_gpus, jobs_per_gpu, timeout=30, poll=0.05) as index:
        out.put((os.getpid(), index, time.monotonic()))
        if barrier is not None:
            barrier.wait(timeout=30)
        time.sleep(hold_s)


def _claim_and_report(lock_dir, n_gpus, out, then):
    """Claim a slot, report it, then crash (os._exit) or sleep until killed."""
    with gpus.claim_gpu(lock_dir, n_gpus, timeout=30, poll=0.05) as index:
        out.put(index)
        out.close()
        out.join_thread()  # the index has reached the pipe before the crash below
        if then == "exit":
            os._exit(3)  # no cleanup code runs: the kernel must drop the flock
        time.sleep(60)


def _run_holders(lock_dir, n_gpus, jobs_per_gpu, k, hold_s=0.3, barrier=True):
    out = CTX.Queue()
    bar = CTX.Barrier(k) if barrier else None
    procs = [
        CTX.Process(target=_hold, args=(lock_dir, n_gpus, jobs_per_gpu, bar, hold_s, out))
        for _ in range(k)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


@pytest.mark.parametrize(("n_gpus", "jobs_per_gpu"), [(4, 1), (2, 2), (3, 2)])
def test_concurrent_holders_get_distinct_slots(tmp_path, n_gpus, jobs_per_gpu):
    # as many holders as slots, all holding at the same time (barrier): every device is used
    # exactly jobs_per_gpu times
    k = n_gpus * jobs_per_gpu
    results = _run_holders(tmp_path, n_gpus, jobs_per_gpu, k)
    counts = Counter(index for _, index, _ in results)
    assert counts == {i: jobs_per_gpu for i in range(n_gpus)}


def test_more_jobs_than_slots_wait_for_a_free_device(tmp_path):
    # 6 holders, 2 GPUs: never more than one holder per device at any time
    n_gpus, k, hold_s = 2, 6, 0.3
    results = _run_holders(tmp_path, n_gpus, 1, k, hold_s=hold_s, barrier=False)
    by_device: dict[int, list[float]] = {}
    for _, index, start in results:
        by_device.setdefault(index, []).append(start)
    assert set(by_device) == {0, 1}
    for starts in by_device.values():
        starts.sort()
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        assert all(g >= hold_s * 0.9 for g in gaps), gaps  # the previous holder had finished


def test_threads_in_one_process_get_distinct_devices(tmp_path):
    n = 3
    barrier = threading.Barrier(n)
    seen: list[int] = []

    def worker():
        with gpus.claim_gpu(tmp_path, n, timeout=10, poll=0.05) as index:
            seen.append(index)
            barrier.wait(timeout=10)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(n))


def test_slot_is_released_on_exit_and_on_exception(tmp_path):
    with gpus.claim_gpu(tmp_path, 1, timeout=0) as index:
        assert index == 0
        with pytest.raises(gpus.GpuClaimTimeout), gpus.claim_gpu(tmp_path, 1, timeout=0.2):
            pass
    with gpus.claim_gpu(tmp_path, 1, timeout=0) as index:  # free again
        assert index == 0
    with pytest.raises(RuntimeError), gpus.claim_gpu(tmp_path, 1, timeout=0):
        raise RuntimeError("training failed")
    with gpus.claim_gpu(tmp_path, 1, timeout=0) as index:
        assert index == 0


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_slot_is_released_when_the_holder_dies(tmp_path, how):
    out = CTX.Queue()
    p = CTX.Process(target=_claim_and_report, args=(tmp_path, 1, out, how))
    p.start()
    assert out.get(timeout=60) == 0
    if how == "kill":
        with pytest.raises(gpus.GpuClaimTimeout), gpus.claim_gpu(tmp_path, 1, timeout=0.2):
            pass  # still held while the process lives
        os.kill(p.pid, signal.SIGKILL)
    p.join(timeout=30)
    assert p.exitcode in (3, -signal.SIGKILL)
    with gpus.claim_gpu(tmp_path, 1, timeout=5, poll=0.05) as index:
        assert index == 0


def test_two_jobs_per_gpu_share_and_a_third_waits(tmp_path):
    with (
        gpus.claim_gpu(tmp_path, 1, jobs_per_gpu=2, timeout=0) as a,
        gpus.claim_gpu(tmp_path, 1, jobs_per_gpu=2, timeout=0) as b,
    ):
        assert a == b == 0
        with pytest.raises(gpus.GpuClaimTimeout), gpus.claim_gpu(tmp_path, 1, 2, timeout=0.2):
            pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gpu0.0.lock", "gpu0.1.lock"]


def test_spreads_over_devices_before_sharing(tmp_path):
    with (
        gpus.claim_gpu(tmp_path, 2, jobs_per_gpu=2, timeout=0) as a,
        gpus.claim_gpu(tmp_path, 2, jobs_per_gpu=2, timeout=0) as b,
    ):
        assert {a, b} == {0, 1}


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError), gpus.claim_gpu(tmp_path, 0):
        pass
    with pytest.raises(ValueError), gpus.claim_gpu(tmp_path, 1, jobs_per_gpu=0):
        pass


def test_jobs_per_gpu_from_environment(monkeypatch):
    monkeypatch.delenv(gpus.JOBS_PER_GPU_ENV, raising=False)
    assert gpus.jobs_per_gpu() == 1
    monkeypatch.setenv(gpus.JOBS_PER_GPU_ENV, "3")
    assert gpus.jobs_per_gpu() == 3
    monkeypatch.setenv(gpus.JOBS_PER_GPU_ENV, "0")
    with pytest.raises(ValueError, match=gpus.JOBS_PER_GPU_ENV):
        gpus.jobs_per_gpu()


def _clear_slurm(monkeypatch):
    for var in ("SLURM_JOB_ID", "CUDA_VISIBLE_DEVICES"):
        monkeypatch.delenv(var, raising=False)


def test_device_for_job_claims_only_with_several_gpus(tmp_path, monkeypatch):
    _clear_slurm(monkeypatch)
    monkeypatch.setenv(gpus.LOCK_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(gpus, "_visible_cuda_devices", lambda: 4)
    with gpus.device_for_job("cpu") as d:
        assert d == "cpu"
    with gpus.device_for_job("cuda:2") as d:  # an explicit device is left alone
        assert d == "cuda:2"
    with gpus.device_for_job("cuda") as a, gpus.device_for_job("cuda") as b:
        assert {a, b} == {"cuda:0", "cuda:1"}
    assert (tmp_path / gpus._safe(gpus.socket.gethostname()) / "gpu0.0.lock").exists()
    monkeypatch.setattr(gpus, "_visible_cuda_devices", lambda: 1)
    with gpus.device_for_job("cuda") as a, gpus.device_for_job("cuda") as b:
        assert a == b == "cuda"  # one GPU: nothing to choose, no locks


def test_physical_names_outside_slurm_and_per_job_folder_inside(tmp_path, monkeypatch):
    _clear_slurm(monkeypatch)
    monkeypatch.setenv(gpus.LOCK_DIR_ENV, str(tmp_path))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    assert gpus.device_names(2) == ["2", "3"]
    assert gpus.lock_dir().parent == tmp_path
    monkeypatch.setenv("SLURM_JOB_ID", "4711")
    assert gpus.in_slurm_allocation()
    assert gpus.device_names(2) == ["0", "1"]  # SLURM renumbers the job's own GPUs
    assert gpus.lock_dir().name.endswith("-slurm4711")
