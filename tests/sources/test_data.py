"""Dataset sources, their checks, caches and the device-resident loader."""

import gzip
import hashlib
import os
import pickle
import shutil
import tarfile
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from blth.data import prepared as data
from blth.data import sources
from blth.data.sources import _idx as idx_reader
from blth.io import safefiles

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def test_digits_cache_roundtrip(tmp_path):
    images = data.prepare("digits", tmp_path, tmp_path / "digits.safetensors")
    again = data.load(tmp_path / "digits.safetensors")
    assert images.train_x.dtype == torch.uint8 and images.input_shape == (1, 8, 8)
    assert len(again.train_y) + len(again.test_y) == 1797 and again.classes == 10
    assert torch.equal(images.test_x, again.test_x)


def _idx(path, array, magic=None):
    """Write ``array`` as an IDX file of unsigned bytes (gzipped if ``path`` ends in .gz)."""
    magic = 0x800 + array.ndim if magic is None else magic
    raw = magic.to_bytes(4, "big") + np.array(array.shape, ">i4").tobytes()
    raw += array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw, mtime=0) if path.suffix == ".gz" else raw)


@pytest.fixture
def idx_folder(tmp_path, monkeypatch):
    """A tiny Fashion-MNIST IDX folder (20 train / 10 test images) and the sizes to expect."""
    monkeypatch.setattr(idx_reader, "SPLITS", {"train": 20, "t10k": 10})
    folder = tmp_path / "fashion-mnist"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for split, n in (("train", 20), ("t10k", 10)):
        _idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 255, (n, 28, 28)))
        _idx(folder / f"{split}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return folder


@pytest.mark.parametrize("name", ["fashion_mnist", "mnist"])
def test_idx_folder_is_read(idx_folder, tmp_path, name):
    images = data.prepare(name, idx_folder, tmp_path / "fm.safetensors")
    assert images.train_x.shape == (20, 1, 28, 28) and images.test_y.tolist()[:3] == [0, 1, 2]
    assert images.classes == 10


def test_a_damaged_mnist_file_names_mnist(idx_folder, tmp_path):
    _truncate(idx_folder / "t10k-images-idx3-ubyte.gz")
    with pytest.raises(ValueError, match="a copy of the four IDX files") as caught:
        data.prepare("mnist", idx_folder, tmp_path / "m.safetensors")
    assert "to let torchvision download MNIST" in str(caught.value)


def _truncate(path):
    path.write_bytes(path.read_bytes()[:-30])


def _plain_and_truncated(path):
    plain = path.with_suffix("")  # the uncompressed file is read when both exist
    plain.write_bytes(gzip.decompress(path.read_bytes())[:-100])
    return plain


def _copy_test_over_train(path):
    path.write_bytes(path.with_name(path.name.replace("train", "t10k")).read_bytes())


IDX_DAMAGE = {
    "truncated gzip": (
        "train-images-idx3-ubyte.gz",
        _truncate,
        "is a truncated or damaged gzip file (Compressed file ended",
    ),
    "truncated file": (
        "t10k-images-idx3-ubyte.gz",
        _plain_and_truncated,
        "is truncated (7740 bytes of images, its header says 7840)",
    ),
    "wrong magic": (
        "t10k-labels-idx1-ubyte.gz",
        lambda p: _idx(p, np.zeros((10, 28, 28))),
        "is not an IDX labels file (magic 0x00000803, not 0x00000801)",
    ),
    "test over train": (
        "train-images-idx3-ubyte.gz",
        _copy_test_over_train,
        "holds 10 images of 28x28; Fashion-MNIST's train split has 20 of 28x28 "
        "(is it the t10k file?)",
    ),
    "labels and images disagree": (
        "train-labels-idx1-ubyte.gz",
        lambda p: _idx(p, np.arange(19) % 10),
        "holds 19 labels; Fashion-MNIST's train split has 20",
    ),
    "labels out of range": (
        "t10k-labels-idx1-ubyte.gz",
        lambda p: _idx(p, np.arange(10) + 3),
        "has labels up to 12, not 0..9",
    ),
}


@pytest.mark.parametrize("damage", IDX_DAMAGE)
def test_damaged_idx_files_are_named(idx_folder, tmp_path, damage):
    name, spoil, problem = IDX_DAMAGE[damage]
    path = spoil(idx_folder / name) or idx_folder / name
    with pytest.raises(safefiles.DamagedFile) as caught:
        data.prepare("fashion_mnist", idx_folder, tmp_path / "fm.safetensors")
    assert str(caught.value).startswith(f"{path}: {problem}")
    assert "apt-get install --reinstall dataset-fashion-mnist" in str(caught.value)
    assert not (tmp_path / "fm.safetensors").exists()


def test_an_incomplete_idx_folder_names_what_is_missing(idx_folder, tmp_path):
    (idx_folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="fashion-mnist lacks t10k-labels-idx1-ubyte "):
        data.prepare("fashion_mnist", idx_folder, tmp_path / "fm.safetensors")


@pytest.mark.skipif(not DEBIAN_FASHION_MNIST.is_dir(), reason="dataset-fashion-mnist not installed")
def test_the_real_fashion_mnist_passes_and_a_swapped_copy_does_not(tmp_path):
    xtr, ytr, xte, yte = sources.get("fashion_mnist").read(DEBIAN_FASHION_MNIST)
    assert xtr.shape == (60_000, 1, 28, 28) and len(yte) == 10_000 and ytr.max() == 9
    for f in DEBIAN_FASHION_MNIST.iterdir():
        (tmp_path / f.name).symlink_to(f)
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    (tmp_path / "train-images-idx3-ubyte.gz").symlink_to(
        DEBIAN_FASHION_MNIST / "t10k-images-idx3-ubyte.gz"
    )
    with pytest.raises(safefiles.DamagedFile, match="has 60000 of 28x28 \\(is it the t10k file"):
        sources.get("fashion_mnist").read(tmp_path)


@pytest.fixture
def tiny_cifar(tmp_path, monkeypatch):
    """A 24-image CIFAR-10 in torchvision's layout (archive and extracted folder, under made/).

    torchvision checks every file against its hard-coded md5s, which a fake cannot match: the
    lists are set to the fake's md5s, so the check runs and a damaged file still fails it.
    """
    from torchvision.datasets import CIFAR10

    made = tmp_path / "made"
    folder = made / CIFAR10.base_folder
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for i, name in enumerate(names):
        # torchvision unpickles with encoding="latin1": the originals' Python 2 str keys are str
        batch = {
            "data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
            "labels": [i, i + 1, 2, 3],
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    meta = {"label_names": [f"class{c}" for c in range(10)], "num_cases_per_batch": 4}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    with tarfile.open(made / CIFAR10.filename, "w:gz") as tar:
        tar.add(folder, arcname=CIFAR10.base_folder)

    def md5(path):
        return hashlib.md5(path.read_bytes()).hexdigest()

    monkeypatch.setattr(CIFAR10, "train_list", [[n, md5(folder / n)] for n in names[:5]])
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5(folder / "test_batch")]])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5(folder / "batches.meta")})
    monkeypatch.setattr(CIFAR10, "tgz_md5", md5(made / CIFAR10.filename))
    return made


@pytest.mark.parametrize("layout", ["cifar-10-python.tar.gz", "cifar-10-batches-py"])
def test_a_local_cifar10_loads_without_the_network(tiny_cifar, tmp_path, offline, layout):
    root = tmp_path / "data"
    root.mkdir()
    copy = shutil.copytree if (tiny_cifar / layout).is_dir() else shutil.copy
    copy(tiny_cifar / layout, root / layout)
    images = data.prepare("cifar10", root, tmp_path / "cifar10.safetensors")
    assert offline == []
    assert images.train_x.shape == (20, 3, 32, 32) and images.test_x.shape == (4, 3, 32, 32)
    assert images.augment and images.classes == 7  # test_batch holds the largest label
    first = pickle.loads((tiny_cifar / "cifar-10-batches-py" / "data_batch_1").read_bytes())
    assert torch.equal(images.train_x[0], torch.from_numpy(first["data"][0].reshape(3, 32, 32)))
    assert images.train_y[:4].tolist() == [0, 1, 2, 3] and images.test_y.tolist() == [5, 6, 2, 3]
    assert (root / "cifar-10-batches-py" / "test_batch").is_file()  # extracted from the archive


def test_a_damaged_cifar10_file_is_named(tiny_cifar, tmp_path, offline):
    root = tmp_path / "data"
    shutil.copytree(tiny_cifar, root)
    batch = root / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[:100])
    with pytest.raises(safefiles.DamagedFile) as caught:
        data.prepare("cifar10", root, tmp_path / "cifar10.safetensors")
    assert str(caught.value) == (
        f"{batch}: fails its md5 check. Delete {batch.parent} and rerun: torchvision extracts "
        f"it again from {root / 'cifar-10-python.tar.gz'} or downloads it."
    )
    shutil.rmtree(batch.parent)
    archive = root / "cifar-10-python.tar.gz"
    archive.write_bytes(archive.read_bytes()[:-10])
    with pytest.raises(safefiles.DamagedFile, match="tar.gz: fails its md5 check. Delete it"):
        data.prepare("cifar10", root, tmp_path / "cifar10.safetensors")
    assert offline == []


@pytest.fixture
def failing_download(monkeypatch):
    """Every download writes a partial file, then the connection drops."""
    from torchvision.datasets import utils

    def partial(url, path, *args, **kwargs):
        Path(path).write_bytes(b"the first bytes")
        raise urllib.error.URLError("connection reset")

    monkeypatch.setattr(utils, "_get_redirect_url", lambda url, max_hops: url)
    monkeypatch.setattr(utils, "_urlretrieve", partial)


@pytest.mark.parametrize(
    ("name", "folder", "what"),
    [
        ("cifar10", "cifar-10-batches-py", "CIFAR-10"),
        ("fashion_mnist", "FashionMNIST", "Fashion-MNIST"),
        ("mnist", "MNIST", "MNIST"),
        ("svhn", "train_32x32.mat", "SVHN"),
    ],
)
@pytest.mark.parametrize("root_existed", [False, True])
def test_a_failed_download_leaves_nothing_behind(
    tmp_path, failing_download, name, folder, what, root_existed
):
    root = tmp_path / "data"
    if root_existed:
        root.mkdir()
        (root / "notes.txt").write_text("the user's")
    with pytest.raises(sources.DownloadFailed) as caught:
        data.prepare(name, root, tmp_path / "out.safetensors")
    assert str(caught.value).startswith(
        f"could not download {what} into {root / folder} (data_root is {root}): "
    )
    assert "Check the network" in str(caught.value)
    assert sorted(os.listdir(root)) == ["notes.txt"] if root_existed else not root.exists()


def test_loader_shuffles_augments_and_normalises():
    x = torch.randint(0, 256, (50, 3, 8, 8), dtype=torch.uint8)
    y = torch.arange(50)
    mean, std = torch.full((3,), 0.5), torch.full((3,), 0.25)
    g = torch.Generator().manual_seed(0)
    loader = data.DeviceLoader(
        x, y, 16, mean, std, torch.device("cpu"), train=True, augment=True, generator=g
    )
    batches = list(loader)
    assert len(batches) == len(loader) == 4
    labels = torch.cat([b[1] for b in batches])
    assert sorted(labels.tolist()) == list(range(50)) and labels.tolist() != list(range(50))
    assert batches[0][0].shape == (16, 3, 8, 8)
    plain = data.DeviceLoader(x, y, 50, mean, std, torch.device("cpu"))
    xb, _ = next(iter(plain))
    torch.testing.assert_close(xb, (x.float() / 255 - 0.5) / 0.25)


def test_crop_and_flip_move_pixels_consistently():
    x = torch.arange(64, dtype=torch.uint8).view(1, 1, 8, 8).repeat(64, 1, 1, 1)
    loader = data.DeviceLoader(
        x,
        torch.zeros(64, dtype=torch.long),
        64,
        torch.zeros(1),
        torch.ones(1),
        torch.device("cpu"),
        train=True,
        augment=True,
        generator=torch.Generator().manual_seed(1),
    )
    out, _ = next(iter(loader))
    out = (out * 255).round()
    # every output is a shifted (and maybe mirrored) window of the zero-padded image
    assert not torch.all(out == out[0])
    centre = out[:, 0, 4, 4]
    assert torch.all((centre >= 0) & (centre <= 63))
