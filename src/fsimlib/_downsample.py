"""The reference's automatic downsampling: a zero-padded box mean, decimated."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from skimage.measure import block_reduce

#: Images are brought to about this many pixels on their shorter side.
TARGET_SIDE = 256


def automatic_factor(shape: tuple[int, int]) -> int:
    """Return the reference's factor ``max(1, round(min(rows, cols) / 256))``.

    Rounding is half away from zero, as MATLAB's ``round`` does (Python's
    ``round`` would give 2 instead of 3 for a shorter side of 640).

    Examples
    --------
    >>> from fsimlib import automatic_factor
    >>> automatic_factor((512, 384)), automatic_factor((640, 1000))
    (2, 3)
    """
    return max(1, math.floor(min(shape) / TARGET_SIDE + 0.5))


def downsampled_shape(shape: tuple[int, int], factor: int) -> tuple[int, int]:
    """Shape after keeping every ``factor``-th row and column."""
    return (-(-shape[0] // factor), -(-shape[1] // factor))


def box_downsample(plane: NDArray[np.number], factor: int) -> NDArray[np.float64]:
    """Mean over ``factor x factor`` boxes, then keep rows/cols ``0, F, 2F, ...``.

    This equals the reference's ``conv2(x, ones(F) / F^2, 'same')`` (zeros
    outside the image, the alignment of a full convolution cropped at offset
    ``F // 2``) followed by ``x(1:F:end, 1:F:end)``, but computes only the
    kept outputs: output ``[i, j]`` is the mean of input rows
    ``i F - (F - 1 - F // 2) .. i F + F // 2`` (and likewise for columns),
    with rows outside the image counting as zero.

    Integer input is summed exactly in int64 without a full-size float copy.

    Parameters
    ----------
    plane : ndarray, shape (rows, cols)
        Real 2-D array; never modified.
    factor : int
        Downsampling factor, at least 1.

    Returns
    -------
    ndarray of float64, shape ``(ceil(rows / F), ceil(cols / F))``
        A new array when ``factor > 1``; for ``factor == 1`` the input as
        float64 (no copy when it already is float64).
    """
    if factor == 1:
        return np.asarray(plane, dtype=np.float64)
    rows, cols = plane.shape
    out_rows, out_cols = downsampled_shape((rows, cols), factor)
    lead = factor - 1 - factor // 2
    keep_rows = min(rows, out_rows * factor - lead)
    keep_cols = min(cols, out_cols * factor - lead)
    padded = np.pad(
        plane[:keep_rows, :keep_cols], ((lead, 0), (lead, 0)), mode="constant"
    )
    integer = np.issubdtype(plane.dtype, np.integer)
    sums = block_reduce(  # type: ignore[no-untyped-call]
        padded,
        block_size=(factor, factor),
        func=np.sum,
        cval=0,
        func_kwargs={"dtype": np.int64 if integer else np.float64},
    )
    return np.asarray(sums, dtype=np.float64) / (factor * factor)
