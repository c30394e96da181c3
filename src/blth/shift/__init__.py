"""Uncertainty under dataset shift: corrupted test sets and out-of-distribution detection.

The vocabulary (torch-free: the workflow checks configs with it). ``evaluation.shift`` in the
config selects corruptions of the test set at severities 1 (mild) to 5 (strong), in the spirit
of CIFAR-10-C (:mod:`blth.shift.corruptions`) or read from a folder in CIFAR-10-C's layout
(:mod:`blth.shift.files`), and out-of-distribution sets: uniform noise
images, or another dataset of the same image shape (:mod:`blth.shift.detection`).
"""

CORRUPTIONS = ("gaussian_noise", "gaussian_blur", "contrast", "rotation")
SEVERITIES = (1, 2, 3, 4, 5)
NOISE_IMAGES = "uniform_noise"  # an out-of-distribution set made of uniform noise images
# Scores of "this input is out of distribution", higher meaning more so; mutual information
# needs weight samples (Bayesian networks only).
SCORES = ("max_probability", "entropy", "mutual_information")
# evaluation.shift as the config schema defaults it: off (tests/config/test_vocabulary.py
# checks it).
DEFAULTS = {
    "corruptions": [],
    "folder": None,  # corrupted test sets read from files (blth.shift.files)
    "folder_corruptions": [],
    "severities": [1, 3, 5],
    "ood": [],
    "passes": 1,
}
