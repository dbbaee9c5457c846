"""The caches are bounded, explicit and clearable."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import fsimlib
from fsimlib._fft import PLANS_PER_THREAD, get_engine

#: Every test here computes through the FFT engine: the session without
#: pyFFTW runs them again on scipy.fft.
pytestmark = pytest.mark.engine

ENGINES = [pytest.param("pyfftw", marks=pytest.mark.needs_pyfftw), "scipy"]


def test_filter_bank_cache_stays_bounded_over_many_shapes() -> None:
    fsimlib.clear_caches()
    rng = np.random.default_rng(3)
    for rows in range(8, 48):
        for cols in (9, 16, 23):
            fsimlib.phase_congruency(rng.random((rows, cols)))
    info = fsimlib.cache_info()
    assert info.misses == 40 * 3
    assert info.entries <= info.max_entries
    assert info.nbytes <= info.max_nbytes


def test_filter_bank_cache_is_reused_and_clearable() -> None:
    fsimlib.clear_caches()
    image = np.random.default_rng(4).random((30, 31))
    first = fsimlib.phase_congruency(image)
    second = fsimlib.phase_congruency(image)
    np.testing.assert_array_equal(first, second)
    assert fsimlib.cache_info()[:3] == (1, 1, 1)
    fsimlib.clear_caches()
    assert fsimlib.cache_info()[:3] == (0, 0, 0)


def test_filter_bank_cache_keys_on_parameters_and_precision() -> None:
    fsimlib.clear_caches()
    image = np.random.default_rng(5).random((24, 24))
    fsimlib.phase_congruency(image)
    fsimlib.phase_congruency(image, n_orientations=6)
    fsimlib.phase_congruency(image, precision="float32")
    assert fsimlib.cache_info().entries == 3


@pytest.mark.parametrize("engine", ENGINES)
def test_fft_plans_per_thread_stay_bounded(engine: str) -> None:
    counts: list[int] = []

    def run() -> None:
        with fsimlib.use_fft_engine(engine):
            for size in range(8, 8 + 3 * PLANS_PER_THREAD):
                fsimlib.phase_congruency(np.eye(size))
            counts.append(get_engine(engine).plan_count())

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert counts == [PLANS_PER_THREAD]


def test_large_banks_are_not_kept_beyond_the_byte_bound() -> None:
    # A bank for 1024 x 1024 holds 4 scales x n orientations filters of
    # 8 MiB: 192, 224 and 256 MiB for 6, 7 and 8 orientations, 672 MiB in
    # all.  The cache holds at most 512 MiB (and up to 16 banks), so the
    # byte bound alone must have dropped one.
    fsimlib.clear_caches()
    image = np.zeros((1024, 1024))
    image[:, 512:] = 1.0
    for n_orientations in (6, 7, 8):
        fsimlib.phase_congruency(image, n_orientations=n_orientations)
    info = fsimlib.cache_info()
    assert info.max_entries > 3
    assert info.nbytes <= info.max_nbytes
    assert info.entries < 3
    fsimlib.clear_caches()
