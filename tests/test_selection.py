"""Exact selection helpers of the fast path against numpy's median."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fsimlib._phase_congruency import squared_median
from fsimlib.backends._fft import is_smooth


@given(
    n=st.sampled_from([1, 2, 3, 4095, 4096, 4097, 65536, 65537]),
    kind=st.sampled_from(["uniform", "heavy-tail", "zeros", "few-values", "sorted"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_squared_median_equals_numpy_median_of_squares(
    n: int, kind: str, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    values = {
        "uniform": lambda: rng.random(n),
        "heavy-tail": lambda: np.abs(rng.standard_cauchy(n)),
        "zeros": lambda: np.zeros(n),
        "few-values": lambda: np.round(rng.random(n) * 3),
        "sorted": lambda: np.sort(rng.random(n)),
    }[kind]()
    # Exact equality: the selection picks the same elements and averages
    # their squares as numpy does.
    assert squared_median(values) == float(np.median(values**2))


def test_squared_median_falls_back_when_the_sample_misleads() -> None:
    # A strided sample of a periodic array sees one phase only: the bracket
    # misses the middle and the full partition must take over.
    values = np.tile(np.array([0.0, 10.0, 10.0, 10.0]), 4096)
    values[::4] = np.arange(4096) / 4096
    assert squared_median(values) == float(np.median(values**2))


@pytest.mark.parametrize(
    ("n", "smooth"),
    [
        (1, True),
        (256, True),
        (250, True),
        (1000, True),
        (343, True),
        (255, False),
        (383, False),
        (457, False),
        (22, False),
    ],
)
def test_is_smooth(n: int, smooth: bool) -> None:
    assert is_smooth(n) is smooth
