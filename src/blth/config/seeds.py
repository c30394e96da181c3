"""Every random stream of a run, derived from its replicate seed (``seeds`` in the config) by one
named rule each: the streams of one run never coincide, and a result depends on nothing but its
spec. Changing a rule here changes results: the code fingerprint of every job that uses it
changes with it (blth.config.fingerprint), so they rerun.
"""

from __future__ import annotations

import zlib

EPOCH_TEST_STRIDE = 1_000_003  # prime, above any epoch count: no two (seed, epoch) pairs meet
PASS_STRIDE = 10_007  # prime, above any number of passes plus set salts' spread in practice


def data_order(seed: int) -> int:
    """Shuffling and augmentation of a training's batches."""
    return seed


def weight_noise(seed: int) -> int:
    """The weight noise ε a Bayesian network draws while training."""
    return seed + 1


def epoch_test(seed: int, epoch: int) -> int:
    """The weight samples of the test pass after ``epoch`` (0-based) of a training: a stream of
    its own, so that testing leaves the training's draws as they are."""
    return seed * EPOCH_TEST_STRIDE + epoch


def evaluation_pass(seed: int, index: int, salt: int = 0) -> int:
    """The weight samples of an evaluation's predictive pass ``index`` over one set; ``salt``
    (:func:`named`) tells a run's sets apart."""
    return PASS_STRIDE * seed + index + salt


def named(name: str) -> int:
    """A seed fixed by a name (a shifted set, ``corruption:severity``): the same in every run,
    level and config order."""
    return zlib.crc32(name.encode())
