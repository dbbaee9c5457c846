"""Large images are downsampled before anything is converted to float.

tracemalloc counts numpy's allocations, so this measures what fsimlib
allocates (deterministically, unlike RSS); the inputs themselves are made
before tracing starts.
"""

from __future__ import annotations

import tracemalloc

import numpy as np

import fsimlib


def test_large_colour_pair_is_scored_without_full_size_float_copies() -> None:
    rng = np.random.default_rng(8)
    side = 3000  # automatic factor 12: processed at 250 x 250
    ref = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    dist = ref.copy()
    dist[::7] //= 2
    # Build the filter bank for the processing size first: it is cached, and
    # its size depends on the processing size only.
    fsimlib.fsim(ref[:250, :250], dist[:250, :250], downsample=False)
    tracemalloc.start()
    try:
        score = fsimlib.fsim(ref, dist, chromatic=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 0 < score < 1
    # One full-size float64 channel alone would be side**2 * 8 = 72 MB; the
    # row sums of a colour image at F = 12 take 250 x 3000 x 3 x 8 = 18 MB.
    full_size_float_channel = side * side * 8
    assert peak < full_size_float_channel / 2, peak
