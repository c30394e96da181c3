"""Uncertainty under dataset shift: corrupted test sets and out-of-distribution detection.

The vocabulary (torch-free: the workflow checks configs with it). ``evaluation.shift`` in the
config selects corruptions of the test set at severities 1 (mild) to 5 (strong), in the spirit
of CIFAR-10-C (:mod:`blth.shift.corruptions`) or read from a folder in CIFAR-10-C's layout
(:mod:`blth.shift.files`), and out-of-distribution sets: uniform noise
images, or another dataset of the same image shape (:mod:`blth.shift.detection`).
"""

from __future__ import annotations

from dataclasses import dataclass

CORRUPTIONS = ("gaussian_noise", "gaussian_blur", "contrast", "rotation")
SEVERITIES = (1, 2, 3, 4, 5)
NOISE_IMAGES = "uniform_noise"  # an out-of-distribution set made of uniform noise images
# Scores of "this input is out of distribution", higher meaning more so; mutual information
# needs weight samples (Bayesian networks only).
SCORES = ("max_probability", "entropy", "mutual_information")


@dataclass(frozen=True)
class ShiftHparams:
    """``evaluation.shift``: which shifted sets an evaluation adds, with the config schema's
    defaults (off; tests/config/test_vocabulary.py checks them)."""

    corruptions: tuple[str, ...] = ()  # computed from the test set (blth.shift.corruptions)
    folder: str | None = None  # corrupted test sets read from files (blth.shift.files)
    folder_corruptions: tuple[str, ...] = ()
    severities: tuple[int, ...] = (1, 3, 5)
    ood: tuple[str, ...] = ()  # out-of-distribution sets: NOISE_IMAGES or dataset names
    passes: int = 1  # predictive passes per set
