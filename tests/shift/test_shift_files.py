"""Corrupted test sets read from a folder in CIFAR-10-C's layout (blth.shift.files): the
reader, the evaluation that uses it, and the checks of evaluation.shift.folder*."""

from __future__ import annotations

import numpy as np
import pytest
from bad_configs import demo, problems
from shift_evaluation import evaluate

from blth.data import prepared as data
from blth.shift import files

TEST_SHAPE = (4, 3, 2, 2)  # N, C, H, W


def cifar10_c_style(n: int, channels: int, height: int, width: int) -> np.ndarray:
    """[5·N, H, W, C] uint8: pixel value 10·severity + image index, so each block is known."""
    blocks = [np.full((n, height, width, channels), 0, np.uint8) for _ in range(5)]
    for severity, block in enumerate(blocks, start=1):
        block += (10 * severity + np.arange(n, dtype=np.uint8)).reshape(n, 1, 1, 1)
    return np.concatenate(blocks)


def test_each_severity_is_its_block_of_the_test_set_channels_first(tmp_path):
    path = tmp_path / "fog.npy"
    stacked = cifar10_c_style(4, 3, 2, 2)
    stacked[2 * 4 + 1, 0, 1, 2] = 255  # severity 3, image 1, row 0, column 1, channel 2
    np.save(path, stacked)
    images = files.read(path, 3, TEST_SHAPE)
    assert images.shape == TEST_SHAPE and images.dtype == np.uint8
    assert images[1, 2, 0, 1] == 255
    assert images[0, 0, 0, 0] == 30 and images[3, 1, 1, 1] == 33
    assert files.read(path, 1, TEST_SHAPE)[2].max() == 12


def test_one_channel_files_may_leave_the_channel_out(tmp_path):
    path = tmp_path / "blur.npy"
    np.save(path, cifar10_c_style(4, 1, 2, 2)[..., 0])  # [5N, H, W]
    assert files.read(path, 5, (4, 1, 2, 2))[:, 0, 0, 0].tolist() == [50, 51, 52, 53]


def test_files_of_another_test_set_or_damaged_files_are_named(tmp_path):
    path = tmp_path / "fog.npy"
    np.save(path, cifar10_c_style(3, 3, 2, 2))  # 3 images per severity, not 4
    with pytest.raises(ValueError, match=r"fog.npy: uint8 images of shape \[15, 2, 2, 3\]; "):
        files.read(path, 1, TEST_SHAPE)
    np.save(path, cifar10_c_style(4, 3, 2, 2).astype(np.float32))
    with pytest.raises(ValueError, match=r"float32 images .* expected uint8 \[20, 2, 2, 3\]"):
        files.read(path, 1, TEST_SHAPE)
    path.write_bytes(path.read_bytes()[:60])
    with pytest.raises(ValueError, match=r"fog.npy: not a readable .npy file .*copy it again"):
        files.read(path, 1, TEST_SHAPE)
    labels = tmp_path / "labels.npy"
    np.save(labels, np.tile([0, 1, 2, 1], 5))
    files.check_labels(labels, np.array([0, 1, 2, 1]))
    with pytest.raises(ValueError, match="labels.npy: 20 labels that are not the test set's 4"):
        files.check_labels(labels, np.array([0, 1, 1, 2]))


def test_the_evaluation_reads_the_folder_beside_computed_corruptions(
    tiny_data, tiny_inits, tmp_path
):
    images = data.load(tiny_data)
    n, channels, height, width = images.test_x.shape
    folder = tmp_path / "c10c"
    folder.mkdir()
    stacked = np.concatenate([images.test_x.permute(0, 2, 3, 1).numpy()] * 5)
    np.save(folder / "identity.npy", stacked)  # every severity: the clean test set
    np.save(folder / "labels.npy", np.tile(images.test_y.numpy(), 5))
    paths = {name: str(folder / f"{name}.npy") for name in ("identity", "labels")}
    shift = {"corruptions": ["rotation"], "severities": [1, 5], "ood": [], "passes": 1}
    shift |= {"folder": str(folder), "folder_corruptions": ["identity"]}
    rows = evaluate(tiny_data, tiny_inits, tmp_path, "det", shift, folder_paths=paths)["shift"]
    assert {(r["corruption"], r["severity"]) for r in rows} == {
        (c, s) for c in ("rotation", "identity") for s in (1, 5)
    }
    runs = [r for r in rows if r["corruption"] == "identity"]
    assert len({(r["level"], r["acc"], r["nll"]) for r in runs}) == 2  # same set at 1 and 5
    np.save(folder / "labels.npy", np.tile(images.test_y.numpy()[::-1], 5))
    with pytest.raises(ValueError, match="labels that are not the test set's"):
        evaluate(tiny_data, tiny_inits, tmp_path, "det", shift, folder_paths=paths)


def test_names_read_from_the_folder_are_checked_against_it(tmp_path):
    folder = tmp_path / "c10c"
    folder.mkdir()
    for name in ("rotation", "labels"):
        np.save(folder / f"{name}.npy", np.zeros(1, np.uint8))
    shift = {"corruptions": ["rotation"], "folder": str(folder)}
    shift["folder_corruptions"] = ["rotation", "labels"]
    message = problems(tmp_path, demo(lambda e: e["evaluation"]["shift"].update(shift)))
    at = "experiments.demo.evaluation.shift"
    assert f"{at}.folder_corruptions[0]: 'rotation' is computed too ({at}.corruptions)" in message
    assert f"{at}.folder_corruptions[1]: 'labels' is the folder's labels" in message
