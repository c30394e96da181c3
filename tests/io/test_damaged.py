"""Damaged artefacts are named with what is wrong and what to do; writes are reproducible."""

import hashlib
import io
import logging
import os

import numpy as np
import pytest
import torch

from blth.config.hparams import TrainHparams
from blth.data import prepared as data
from blth.io import safefiles, states
from blth.lottery import masks
from blth.models.registry import build
from blth.training import train

META = {"layers": ["fc"], "classifier": "fc", "bayesian": False}
STATE = {"fc.weight": np.ones((3, 2), np.float32), "fc.bias": np.zeros(3, np.float32)}


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def artefacts(tmp_path):
    """One good file of each kind the workflow reads: a state, masks and a data cache."""
    states.save_state(STATE, tmp_path / "final.safetensors", META)
    masks.save_masks({"fc.weight": np.ones((3, 2), bool)}, tmp_path / "mask.safetensors")
    data.prepare("synthetic", tmp_path, tmp_path / "data.safetensors", train=20, test=10)
    return {
        "final.safetensors": states.load_state,
        "mask.safetensors": masks.load_masks,
        "data.safetensors": data.load,
    }


DAMAGE = {
    "truncated": (lambda raw: raw[: len(raw) // 2], "is truncated"),
    "header only": (lambda raw: raw[:40], "is truncated"),
    "empty": (lambda raw: b"", "is truncated (0 bytes"),
    "garbage": (lambda raw: b"<html>Not Found</html>" * 4, "is not a safetensors file"),
    "trailing bytes": (lambda raw: raw + b"\0\0\0", "is garbled"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_damaged_artefacts_are_named(tmp_path, artefacts, damage):
    cut, problem = DAMAGE[damage]
    for name, reader in artefacts.items():
        path = tmp_path / name
        path.write_bytes(cut(path.read_bytes()))
        with pytest.raises(safefiles.DamagedFile) as caught:
            reader(path)
        message = str(caught.value)
        assert message.startswith(f"{path}: {problem}"), message
        assert message.endswith(
            f"Delete it and run `snakemake --cores N --forcerun {path}` with the study's "
            "--configfile: Snakemake recomputes it and everything that depends on it."
        )


def test_artefacts_lacking_what_readers_expect_are_named(tmp_path):
    path = tmp_path / "x.safetensors"
    safefiles.write(path, STATE, {k: v for k, v in META.items() if k != "bayesian"})
    with pytest.raises(safefiles.DamagedFile, match="x.safetensors: lacks bayesian"):
        states.load_state(path)
    safefiles.write(path, {"fc.bias": STATE["fc.bias"]}, META)
    with pytest.raises(safefiles.DamagedFile, match="lacks the weights fc.weight its metadata"):
        states.load_state(path)
    safefiles.write(path, {"fc.weight": np.ones(3, np.uint8)}, {"order": ["fc.weight"]})
    with pytest.raises(safefiles.DamagedFile, match="non-boolean masks fc.weight"):
        masks.load_masks(path)
    safefiles.write(path, {"fc.weight": np.ones(3, bool)}, {"order": ["fc.weight", "c.weight"]})
    with pytest.raises(safefiles.DamagedFile, match="holds masks"):
        masks.load_masks(path)


def _cache(**changes):
    arrays = {
        "train_x": np.zeros((4, 1, 2, 2), np.uint8),
        "train_y": np.arange(4),
        "test_x": np.zeros((2, 1, 2, 2), np.uint8),
        "test_y": np.arange(2),
    }
    return {**arrays, **changes}


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"train_y": np.arange(3)}, "train split has 4 images but 3 labels"),
        ({"test_x": np.zeros((2, 1, 2, 2), np.float32)}, "test split is not uint8"),
        ({"train_y": np.array([0, 1, 2, 9])}, "train labels leave 0..3"),
        ({"test_y": np.array([0, -1])}, "test labels leave 0..3"),
        ({"test_x": np.zeros((2, 1, 3, 3), np.uint8)}, "train and test images differ"),
    ],
)
def test_inconsistent_data_caches_are_named(tmp_path, changes, problem):
    path = tmp_path / "data.safetensors"
    safefiles.write(path, _cache(**changes), {"name": "t", "augment": False, "classes": 4})
    with pytest.raises(safefiles.DamagedFile, match=f"data.safetensors: {problem}"):
        data.load(path)
    missing = {k: v for k, v in _cache().items() if k != "test_y"}
    safefiles.write(path, missing, {"name": "t", "augment": False, "classes": 4})
    with pytest.raises(safefiles.DamagedFile, match="lacks test_y"):
        data.load(path)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_writes_are_byte_reproducible_atomic_and_umask_mode(tmp_path, umask_022):
    many = {f"key{i}": [i, "v"] for i in range(16)}  # hash order would differ between writes
    first, second = tmp_path / "a.safetensors", tmp_path / "b.safetensors"
    for path in (first, second):
        safefiles.write(path, STATE, many)
    assert _digest(first) == _digest(second)
    assert safefiles.read(first)[1] == many
    writers = {
        "state": lambda p: states.save_state(STATE, p, META),
        "masks": lambda p: masks.save_masks({"b": np.ones(2, bool), "a": np.zeros(3, bool)}, p),
        "data": lambda p: data.prepare("synthetic", tmp_path, p, train=8, test=4),
    }
    for kind, write in writers.items():
        paths = [tmp_path / kind / f"{i}.safetensors" for i in range(2)]
        for path in paths:
            write(path)
        assert _digest(paths[0]) == _digest(paths[1]), kind
        assert all(p.stat().st_mode & 0o777 == 0o644 for p in paths), kind
        assert sorted(os.listdir(tmp_path / kind)) == ["0.safetensors", "1.safetensors"]


def test_an_interrupted_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "mask.safetensors"
    masks.save_masks({"a": np.ones(2, bool)}, path)
    before = _digest(path)
    with pytest.raises(KeyboardInterrupt), safefiles.replacing(path) as f:
        f.write(b"half a file")
        raise KeyboardInterrupt
    assert _digest(path) == before and os.listdir(tmp_path) == ["mask.safetensors"]


def _foreign_checkpoint(raw: bytes) -> bytes:
    buffer = io.BytesIO()
    torch.save({"model": torch.zeros(2)}, buffer)
    return buffer.getvalue()


CHECKPOINT_DAMAGE = {
    "garbage": (lambda raw: b"not a checkpoint\n" * 8, "unreadable, UnpicklingError"),
    "truncated": (lambda raw: raw[: len(raw) // 2], "unreadable, "),
    "empty": (lambda raw: b"", "unreadable, EOFError"),
    "foreign": (_foreign_checkpoint, "not a training checkpoint"),
}


@pytest.mark.parametrize("damage", CHECKPOINT_DAMAGE)
def test_a_damaged_checkpoint_is_set_aside_and_training_starts_over(tmp_path, caplog, damage):
    images = data.prepare(
        "synthetic", tmp_path, tmp_path / "d.safetensors", train=64, test=32, shape=(1, 8, 8)
    )
    hp = TrainHparams(epochs=2, batch_size=32)
    ckpt = tmp_path / "checkpoints" / "run.pt"

    def run():
        net = build("lenet_300_100", images.input_shape, images.classes, seed=0)
        return train.train(net, images, hp, None, seed=0, checkpoint=ckpt, run_key="k")

    run()
    cut, reason = CHECKPOINT_DAMAGE[damage]
    bad = cut(ckpt.read_bytes())
    ckpt.write_bytes(bad)
    with caplog.at_level(logging.WARNING, logger="blth.training.train"):
        result = run()
    assert result.resumed_from == 0 and [r["epoch"] for r in result.epochs] == [1, 2]
    assert f"discarding damaged checkpoint {ckpt} ({reason}" in caplog.text
    assert (ckpt.parent / "run.pt.damaged").read_bytes() == bad  # kept for a post-mortem
    assert run().resumed_from == 2  # and a good checkpoint replaced it


def test_same_size_damage_fails_the_checksum(tmp_path, artefacts):
    """A flipped byte inside the data, which keeps the file's size and structure, is named."""
    for name, reader in artefacts.items():
        path = tmp_path / name
        raw = bytearray(path.read_bytes())
        raw[-3] ^= 0x40
        path.write_bytes(bytes(raw))
        with pytest.raises(safefiles.DamagedFile, match="fails its checksum"):
            reader(path)


def test_a_changed_table_fails_its_checksum(tmp_path):
    from blth.io import artefacts as tables

    path = tmp_path / "runs.parquet"
    rows = [
        {"level": i, "ood": "noise", "score": "entropy", "auroc": 0.5, "aupr": 0.5}
        for i in range(40)
    ]
    tables.write_table(rows, path, tables.evaluation_table("ood"))
    raw = path.read_bytes()
    caught = 0
    for i in range(
        4, len(raw) - 8
    ):  # every single-byte change is named or leaves the content as it was
        damaged = bytearray(raw)
        damaged[i] ^= 0x55
        path.write_bytes(bytes(damaged))
        try:
            assert tables.read_rows(path, tables.evaluation_table("ood")) == rows
        except ValueError as err:
            assert str(err).startswith(f"{path}: ") and "--forcerun" in str(err)
            caught += 1
    assert caught > len(raw) // 2


def test_non_finite_weights_are_refused_naming_the_tensor(tmp_path):
    import numpy as np

    path = tmp_path / "final.safetensors"
    state = {"fc.weight": np.array([[1.0, np.nan]], dtype=np.float32)}
    states.save_state(state, path, {"layers": ["fc"], "classifier": "fc", "bayesian": False})
    with pytest.raises(safefiles.DamagedFile, match="holds non-finite values in fc.weight. If the"):
        states.load_state(path)


def test_a_chain_mask_that_revives_a_pruned_weight_is_named(tmp_path):
    """IMP only removes weights: a later level's mask that keeps one its predecessor pruned
    (hand-edited, rewritten without a checksum) is refused, naming both files."""
    dense, pruned, revived = (tmp_path / f"L{k}.safetensors" for k in range(3))
    masks.save_masks({"fc.weight": np.ones((3, 2), bool)}, dense)
    masks.save_masks({"fc.weight": np.array([[1, 0], [1, 0], [0, 0]], bool)}, pruned)
    masks.save_masks({"fc.weight": np.array([[1, 1], [0, 0], [0, 1]], bool)}, revived)
    masks.check_nested([dense, pruned])
    with pytest.raises(safefiles.DamagedFile) as caught:
        masks.check_nested([dense, pruned, revived])
    assert str(caught.value).startswith(
        f"{revived}: keeps 2 weights that the level before ({pruned}) pruned. Delete it and run "
        f"`snakemake --cores N --forcerun {revived}`"
    )
