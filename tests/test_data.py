"""Dataset caches and the device-resident loader."""

import torch

from blth import data


def test_digits_cache_roundtrip(tmp_path):
    images = data.prepare("digits", tmp_path, tmp_path / "digits.safetensors")
    again = data.load(tmp_path / "digits.safetensors")
    assert images.train_x.dtype == torch.uint8 and images.input_shape == (1, 8, 8)
    assert len(again.train_y) + len(again.test_y) == 1797 and again.classes == 10
    assert torch.equal(images.test_x, again.test_x)


def test_idx_folder_is_read(tmp_path):
    import gzip

    import numpy as np

    def idx(path, array):
        header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, ">i4").tobytes()
        with gzip.open(path, "wb") as f:
            f.write(header + array.astype(np.uint8).tobytes())

    rng = np.random.default_rng(0)
    for split, n in (("train", 20), ("t10k", 10)):
        idx(tmp_path / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 255, (n, 28, 28)))
        idx(tmp_path / f"{split}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    images = data.prepare("fashion_mnist", tmp_path, tmp_path / "fm.safetensors")
    assert images.train_x.shape == (20, 1, 28, 28) and images.test_y.tolist()[:3] == [0, 1, 2]


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
