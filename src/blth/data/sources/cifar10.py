"""torchvision's CIFAR-10: 50,000 train and 10,000 test 32x32 colour images of 10 classes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from blth.data.sources._download import downloading
from blth.io.safefiles import damaged

if TYPE_CHECKING:  # torchvision is imported when the source runs
    from torchvision.datasets import CIFAR10

AUGMENT = True
SHAPE = (3, 32, 32)  # (C, H, W) of its images
TEST_SIZE = (10_000, 10)  # (test images, classes)


def read(root: Path, **_: object) -> tuple[np.ndarray, ...]:
    """Its extracted folder in ``root``, else its archive, else a download: [N, 3, 32, 32]."""
    from torchvision.datasets import CIFAR10

    _check(root, CIFAR10)
    splits = downloading(
        "CIFAR-10",
        root,
        [CIFAR10.base_folder, CIFAR10.filename],
        f"Check the network, or put {CIFAR10.filename} or its extracted {CIFAR10.base_folder}/ "
        "into data_root.",
        lambda: [CIFAR10(str(root), train=t, download=True) for t in (True, False)],
    )
    return tuple(a for s in splits for a in (s.data.transpose(0, 3, 1, 2), np.asarray(s.targets)))


def _check(root: Path, cls: type[CIFAR10]) -> None:
    """Name a local file that fails torchvision's md5 check (torchvision says only 'corrupted')."""
    from torchvision.datasets.utils import check_integrity

    folder, archive = root / cls.base_folder, root / cls.filename
    files = [*cls.train_list, *cls.test_list, (cls.meta["filename"], cls.meta["md5"])]
    present = [(folder / name, md5) for name, md5 in files if (folder / name).is_file()]
    for path, md5 in present:
        if not check_integrity(path, md5):
            remedy = f"Delete {folder} and rerun: torchvision extracts it again from {archive}"
            raise damaged(path, "fails its md5 check", f"{remedy} or downloads it.")
    extracting = len(present) < len(files) and archive.is_file()  # torchvision would extract it
    if extracting and not check_integrity(archive, cls.tgz_md5):
        raise damaged(archive, "fails its md5 check", "Delete it and rerun to download it again.")
