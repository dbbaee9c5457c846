"""Shared test configuration: reproducible Hypothesis runs, data, read-only arrays."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis_profiles import register_and_load
from numpy.typing import ArrayLike, NDArray

#: The reference corpus copied into the repository (see data/README.md).
DATA_DIR = Path(__file__).resolve().parent / "data"

# Reproducible Hypothesis runs by default; HYPOTHESIS_PROFILE=explore searches
# (see hypothesis_profiles.py and docs/contributing.rst).
register_and_load()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Directory of the copied reference corpus, located from this file."""
    return DATA_DIR


@pytest.fixture(scope="session")
def read_only() -> Callable[[ArrayLike], NDArray[np.generic]]:
    """Return a function making a read-only copy of an array.

    Passing read-only arrays to the library proves it never writes to its
    input: any in-place write raises ``ValueError: assignment destination is
    read-only``.  Session-scoped (it holds no state) so that Hypothesis tests
    may use it.
    """

    def make(array: ArrayLike) -> NDArray[np.generic]:
        copy = np.array(array, copy=True)
        copy.flags.writeable = False
        return copy

    return make
