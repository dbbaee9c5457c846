"""The frequency grid on which the log-Gabor filters are defined.

This follows the reference (Kovesi's ``phasecong2`` and ``lowpassfilter``)
exactly, including its odd-length convention of dividing by ``n - 1``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray


class FrequencyGrid(NamedTuple):
    """Polar coordinates of the 2-D DFT grid, zero frequency at ``[0, 0]``.

    Attributes
    ----------
    radius : ndarray
        Normalised radial frequency; ``radius[0, 0]`` is set to 1 so that
        the logarithm in the log-Gabor filter is defined there.
    theta : ndarray
        Angle ``atan2(-y, x)`` of each frequency.
    lowpass : ndarray
        Butterworth low-pass filter evaluated on the unmodified radius.
    """

    radius: NDArray[np.float64]
    theta: NDArray[np.float64]
    lowpass: NDArray[np.float64]


def axis_frequencies(n: int) -> NDArray[np.float64]:
    """Normalised frequencies along one axis of length ``n``, centred.

    For odd ``n`` the values ``-(n-1)/2 .. (n-1)/2`` are divided by ``n - 1``
    (not ``n``), as the reference does; for even ``n`` the values
    ``-n/2 .. n/2 - 1`` are divided by ``n``.
    """
    if n % 2:
        return (np.arange(n) - (n - 1) / 2) / (n - 1)
    return (np.arange(n) - n // 2) / n


def butterworth_lowpass(
    radius: NDArray[np.float64], cutoff: float, order: int
) -> NDArray[np.float64]:
    """Butterworth low-pass ``1 / (1 + (radius / cutoff) ** (2 * order))``."""
    return 1.0 / (1.0 + (radius / cutoff) ** (2 * order))


def frequency_grid(
    shape: tuple[int, int], *, lowpass_cutoff: float, lowpass_order: int
) -> FrequencyGrid:
    """Build the ``ifftshift``-ed polar frequency grid for ``shape``.

    Parameters
    ----------
    shape : tuple of int
        ``(rows, cols)``; both at least 2.
    lowpass_cutoff, lowpass_order : float, int
        Parameters of the Butterworth low-pass filter.

    Returns
    -------
    FrequencyGrid
    """
    rows, cols = shape
    x = axis_frequencies(cols)[np.newaxis, :]
    y = axis_frequencies(rows)[:, np.newaxis]
    radius = np.sqrt(x**2 + y**2)
    theta = np.arctan2(-y, x)
    lowpass = np.fft.ifftshift(
        butterworth_lowpass(radius, lowpass_cutoff, lowpass_order)
    )
    radius = np.fft.ifftshift(radius)
    theta = np.fft.ifftshift(theta)
    radius[0, 0] = 1.0
    return FrequencyGrid(radius, theta, lowpass)
