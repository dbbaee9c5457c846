"""The caches are bounded, explicit and clearable."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import fsimlib
from fsimlib._fft import PLANS, PLANS_PER_THREAD

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
    info = fsimlib.cache_info()["filter_banks"]
    assert info.misses == 40 * 3
    assert info.entries <= info.max_entries
    assert info.nbytes is not None
    assert info.max_nbytes is not None
    assert info.nbytes <= info.max_nbytes


def test_filter_bank_cache_is_reused_and_clearable() -> None:
    fsimlib.clear_caches()
    image = np.random.default_rng(4).random((30, 31))
    first = fsimlib.phase_congruency(image)
    second = fsimlib.phase_congruency(image)
    np.testing.assert_array_equal(first, second)
    assert fsimlib.cache_info()["filter_banks"][:3] == (1, 1, 1)
    fsimlib.clear_caches()
    assert fsimlib.cache_info()["filter_banks"][:3] == (0, 0, 0)


def test_filter_bank_cache_keys_on_parameters_and_precision() -> None:
    fsimlib.clear_caches()
    image = np.random.default_rng(5).random((24, 24))
    fsimlib.phase_congruency(image)
    fsimlib.phase_congruency(image, n_orientations=6)
    fsimlib.phase_congruency(image, precision="float32")
    assert fsimlib.cache_info()["filter_banks"].entries == 3


@pytest.mark.parametrize("engine", ENGINES)
def test_fft_plans_per_thread_stay_bounded(engine: str) -> None:
    counts: list[int] = []

    def run() -> None:
        with fsimlib.use_fft_engine(engine):
            for size in range(8, 8 + 3 * PLANS_PER_THREAD):
                fsimlib.phase_congruency(np.eye(size))
            counts.append(PLANS.thread_entries())

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
    info = fsimlib.cache_info()["filter_banks"]
    assert info.nbytes is not None
    assert info.max_nbytes is not None
    assert info.max_entries > 3
    assert info.nbytes <= info.max_nbytes
    assert info.entries < 3
    fsimlib.clear_caches()


def test_cache_info_reports_every_cache_that_clear_caches_clears() -> None:
    fsimlib.clear_caches()
    image = np.random.default_rng(6).random((40, 48))
    fsimlib.phase_congruency(image)
    fsimlib.phase_congruency(image[::-1])
    info = fsimlib.cache_info()
    assert sorted(info) == ["fft_plans", "filter_banks"]
    # One bank; a forward and an inverse plan, each planned once and reused.
    assert info["filter_banks"][:3] == (1, 1, 1)
    assert info["fft_plans"] == fsimlib.CacheInfo(
        hits=2,
        misses=2,
        entries=2,
        nbytes=None,
        max_entries=PLANS_PER_THREAD,
        max_nbytes=None,
    )
    fsimlib.clear_caches()
    for name, cleared in fsimlib.cache_info().items():
        assert cleared[:3] == (0, 0, 0), name


def test_fft_plans_are_counted_over_every_thread() -> None:
    fsimlib.clear_caches()
    shapes = [(24, 24), (24, 32), (32, 40)]
    # The threads and this one meet once every thread holds its plans; the
    # threads then wait until the plans are counted.
    planned = threading.Barrier(len(shapes) + 1, timeout=120)
    counted = threading.Event()

    def plan_and_wait(shape: tuple[int, int]) -> None:
        fsimlib.phase_congruency(np.eye(*shape))
        planned.wait()
        counted.wait(timeout=120)

    threads = [threading.Thread(target=plan_and_wait, args=(s,)) for s in shapes]
    for thread in threads:
        thread.start()
    try:
        planned.wait()
        info = fsimlib.cache_info()["fft_plans"]
    finally:
        counted.set()
        for thread in threads:
            thread.join()
    assert info.misses == 2 * len(shapes)
    assert info.entries == 2 * len(shapes)
    assert info.max_entries == PLANS_PER_THREAD * len(shapes)
