"""The float32 working precision stays close to the float64 reference path."""

from __future__ import annotations

import pytest
from corpus import load_pair, one_case_per_shape

import fsimlib

#: Every test here computes through the FFT engine: the session without
#: pyFFTW runs them again on scipy.fft.
pytestmark = pytest.mark.engine

#: Bound on how far precision="float32" moves a score from float64: well under
#: any perceptible difference, with room for other FFT libraries and CPUs
#: (docs/guide/options.rst).  Measured on the corpus: about
#: 2e-7 (complex64 FFTs carry ~1e-7 relative error into PC, and the pooled
#: score averages it down).
FLOAT32_TOL = 1e-5


@pytest.mark.parametrize("row", one_case_per_shape(), ids=lambda row: row["case_id"])
def test_float32_precision_is_within_bound(row: dict[str, str]) -> None:
    ref, dist = load_pair(row)
    for chromatic in (False, True):
        exact = fsimlib.fsim(ref, dist, chromatic=chromatic)
        fast = fsimlib.fsim(ref, dist, chromatic=chromatic, precision="float32")
        assert isinstance(fast, float)
        assert abs(fast - exact) < FLOAT32_TOL, (row["case_id"], chromatic)


def test_float32_identity_is_exactly_one() -> None:
    ref, _ = load_pair(one_case_per_shape()[0])
    assert fsimlib.fsim(ref, ref.copy(), precision="float32") == 1.0


def test_float32_phase_congruency_returns_float64() -> None:
    ref, _ = load_pair(one_case_per_shape()[0])
    pc = fsimlib.phase_congruency(ref.astype(float)[:64, :64], precision="float32")
    assert pc.dtype == "float64"
