"""The reference's automatic downsampling: a zero-padded box mean, decimated."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

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


def _block_sums(
    array: NDArray[np.number], factor: int, axis: int, n_out: int
) -> NDArray[np.float64]:
    """Sum ``factor`` consecutive entries along ``axis``, aligned as the reference.

    Output ``k`` sums input entries ``k F - lead .. k F - lead + F - 1`` with
    ``lead = F - 1 - F // 2``; entries outside the array count as zero.  It
    adds ``F`` strided slices, each converted to float64 as it is added, so
    the input is read once and never copied at full size (integer sums are
    exact).  This is 3 to 5 times faster here than ``skimage.measure.
    block_reduce`` or ``np.add.reduceat`` on strided channel views.
    """
    lead = factor - 1 - factor // 2
    shape = list(array.shape)
    shape[axis] = n_out
    sums = np.zeros(shape)
    for offset in range(factor):
        start = offset - lead
        first = 0
        if start < 0:
            start += factor
            first = 1
        index: list[slice] = [slice(None)] * array.ndim
        index[axis] = slice(start, None, factor)
        rows = array[tuple(index)]
        count = min(rows.shape[axis], n_out - first)
        index[axis] = slice(None, count)
        rows = rows[tuple(index)]
        index[axis] = slice(first, first + count)
        sums[tuple(index)] += rows  # type: ignore[arg-type]
    return sums


def box_downsample(image: NDArray[np.number], factor: int) -> NDArray[np.float64]:
    """Mean over ``factor x factor`` boxes, then keep rows/cols ``0, F, 2F, ...``.

    This equals the reference's ``conv2(x, ones(F) / F^2, 'same')`` (zeros
    outside the image, the alignment of a full convolution cropped at offset
    ``F // 2``) followed by ``x(1:F:end, 1:F:end)``, but computes only the
    kept outputs: output ``[i, j]`` is the mean of input rows
    ``i F - (F - 1 - F // 2) .. i F + F // 2`` (and likewise for columns),
    with rows outside the image counting as zero.  The result differs from
    the reference's by floating-point round-off only.

    Parameters
    ----------
    image : ndarray, shape (rows, cols, ...)
        Real array, downsampled along its first two axes (trailing axes,
        such as colour channels, are carried along).  Never modified, and
        never converted to float at full size.
    factor : int
        Downsampling factor, at least 1.

    Returns
    -------
    ndarray of float64, shape ``(ceil(rows / F), ceil(cols / F), ...)``
        A new array when ``factor > 1``; for ``factor == 1`` the input as
        float64 (no copy when it already is float64).

    Examples
    --------
    >>> import numpy as np
    >>> from fsimlib import box_downsample
    >>> x = np.arange(16.0).reshape(4, 4)
    >>> box_downsample(x, 2)  # means of x[0:2, 0:2], x[0:2, 2:4], ...
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    >>> box_downsample(np.ones((3, 3)), 3)  # the border box reaches outside
    array([[0.44444444]])
    """
    if isinstance(factor, bool) or not isinstance(factor, (int, np.integer)):
        msg = f"factor must be an int, got {type(factor).__name__}"
        raise TypeError(msg)
    if factor < 1:
        msg = f"factor must be at least 1, got {factor}"
        raise ValueError(msg)
    if np.ndim(image) < 2:
        msg = (
            f"image must have at least 2 dimensions (rows, cols), got "
            f"{np.ndim(image)}-D input of shape {np.shape(image)}"
        )
        raise ValueError(msg)
    if factor == 1:
        return np.asarray(image, dtype=np.float64)
    out_rows, out_cols = downsampled_shape((image.shape[0], image.shape[1]), factor)
    row_sums = _block_sums(image, factor, 0, out_rows)
    sums = _block_sums(row_sums, factor, 1, out_cols)
    sums /= factor * factor
    return sums
