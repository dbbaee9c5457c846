"""Colour conversion: RGB to the NTSC YIQ space used by FSIMc."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

#: Rows of the RGB -> YIQ matrix, as in the reference ``FeatureSIM.m``.
Y_WEIGHTS = (0.299, 0.587, 0.114)
I_WEIGHTS = (0.596, -0.274, -0.322)
Q_WEIGHTS = (0.211, -0.523, 0.312)


def _read_only(array: NDArray[np.float64]) -> NDArray[np.float64]:
    array.flags.writeable = False
    return array


#: The three rows as one (3, 3) array: Y, I, Q.
YIQ_MATRIX = _read_only(np.array([Y_WEIGHTS, I_WEIGHTS, Q_WEIGHTS]))


class YIQ(NamedTuple):
    """Luminance ``y`` and chrominance ``i``, ``q`` planes.

    Examples
    --------
    >>> import numpy as np
    >>> from fsimlib import YIQ, rgb_to_yiq
    >>> red, zero = np.full((2, 2), 200.0), np.zeros((2, 2))
    >>> planes = rgb_to_yiq(red, zero, zero)
    >>> isinstance(planes, YIQ), planes.y.shape
    (True, (2, 2))
    >>> y, i, q = planes
    >>> bool(i[0, 0] > 0 and q[0, 0] > 0)
    True
    """

    y: NDArray[np.float64]
    i: NDArray[np.float64]
    q: NDArray[np.float64]


def weighted_sum(
    weights: tuple[float, float, float],
    red: NDArray[np.float64],
    green: NDArray[np.float64],
    blue: NDArray[np.float64],
) -> NDArray[np.float64]:
    """``w0 * red + w1 * green + w2 * blue``, in the reference's order."""
    return weights[0] * red + weights[1] * green + weights[2] * blue


def luminance(
    red: NDArray[np.float64], green: NDArray[np.float64], blue: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Luma ``Y = 0.299 R + 0.587 G + 0.114 B``."""
    return weighted_sum(Y_WEIGHTS, red, green, blue)


def rgb_to_yiq(
    red: NDArray[np.float64], green: NDArray[np.float64], blue: NDArray[np.float64]
) -> YIQ:
    """Convert three channel planes to YIQ with the reference's coefficients.

    Parameters
    ----------
    red, green, blue : ndarray
        Channel planes of equal shape.

    Returns
    -------
    YIQ
        Named tuple of the ``y``, ``i`` and ``q`` planes.

    Examples
    --------
    >>> import numpy as np
    >>> from fsimlib import rgb_to_yiq
    >>> grey = np.full((2, 2), 100.0)
    >>> y, i, q = rgb_to_yiq(grey, grey, grey)
    >>> float(y[0, 0]), abs(float(i[0, 0])) < 1e-12, abs(float(q[0, 0])) < 1e-12
    (100.0, True, True)
    """
    return YIQ(
        luminance(red, green, blue),
        weighted_sum(I_WEIGHTS, red, green, blue),
        weighted_sum(Q_WEIGHTS, red, green, blue),
    )
