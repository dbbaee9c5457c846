"""Calls from many threads at once give exactly the serial results.

Filter banks are built, and FFT plans made, concurrently here: the caches are
cleared first so that the threads race to fill them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from corpus import load_pair, one_case_per_shape

import fsimlib

#: Every test here computes through the FFT engine: the session without
#: pyFFTW runs them again on scipy.fft.
pytestmark = pytest.mark.engine

ENGINES = [
    pytest.param("pyfftw", marks=pytest.mark.needs_pyfftw),
    "scipy",
]


def _jobs() -> list[tuple[np.ndarray, np.ndarray]]:
    """Pairs of 13 shapes: ten corpus shapes (grey and colour) and three odd."""
    jobs = [load_pair(row) for row in one_case_per_shape()[:10]]
    rng = np.random.default_rng(20261125)
    for shape in [(37, 53), (64, 64), (33, 90, 3)]:
        a = rng.integers(0, 256, shape, dtype=np.uint8)
        b = rng.integers(0, 256, shape, dtype=np.uint8)
        jobs.append((a, b))
    return jobs


@pytest.mark.parametrize("engine", ENGINES)
def test_eight_threads_over_mixed_shapes_match_serial(engine: str) -> None:
    jobs = _jobs() * 2  # every shape scored by several threads at once

    def score(job: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
        # compare() gives FSIM and FSIMc from one pass, bit for bit the
        # scores of fsim() (test_kernels.py).
        ref, dist = job
        with fsimlib.use_fft_engine(engine):
            result = fsimlib.compare(ref, dist)
            return result.fsim, result.fsimc

    fsimlib.clear_caches()
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(score, jobs))
    fsimlib.clear_caches()
    serial = [score(job) for job in jobs]
    assert concurrent == serial


def test_threaded_reference_reuse_matches_serial() -> None:
    row = one_case_per_shape()[0]
    ref, dist = load_pair(row)
    rng = np.random.default_rng(7)
    distorted = [
        np.clip(dist.astype(int) + rng.integers(-9, 10, dist.shape), 0, 255).astype(
            np.uint8
        )
        for _ in range(12)
    ]
    reference = fsimlib.Reference(ref)
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(reference.fsim, distorted))
    assert concurrent == [fsimlib.fsim(ref, d) for d in distorted]


@pytest.mark.parametrize("workers", [2, 8, -1])
def test_fsim_batch_workers_do_not_change_scores(workers: int) -> None:
    rng = np.random.default_rng(11)
    clean = rng.integers(0, 256, (6, 40, 52, 3), dtype=np.uint8)
    noisy = np.clip(clean + rng.integers(-25, 26, clean.shape), 0, 255).astype(np.uint8)
    serial = fsimlib.fsim_batch(clean, noisy, chromatic=True)
    parallel = fsimlib.fsim_batch(clean, noisy, chromatic=True, workers=workers)
    np.testing.assert_array_equal(parallel, serial)


def test_fft_threads_within_one_call_agree() -> None:
    # Multi-threaded FFTW may split the transform differently, which can move
    # the last bits: 1e-12 is far below any algorithmic difference.
    ref, dist = load_pair(one_case_per_shape()[0])
    one = fsimlib.fsim(ref, dist, chromatic=True)
    two = fsimlib.fsim(ref, dist, chromatic=True, workers=2)
    assert abs(one - two) < 1e-12
