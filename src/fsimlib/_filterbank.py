"""The log-Gabor filter bank and the noise-model sums that depend on it.

Everything here depends only on the image shape, the parameters and the
working precision, so :func:`log_gabor_bank` caches its result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._frequency import frequency_grid
from ._parameters import PhaseCongruencyParameters
from .backends._cache import BoundedCache, register_cache


@dataclass(frozen=True, eq=False)
class LogGaborBank:
    """Frequency-domain filters and shape-only noise statistics.

    Attributes
    ----------
    filters : ndarray, shape (n_orientations, n_scales, rows, cols)
        The real filters ``H_so`` multiplied by ``1 / (rows * cols)``, so that
        an unnormalised inverse FFT of ``fft2(image) * filters[o, s]`` is the
        normalised complex response.  Read-only.
    smallest_scale_energy : ndarray, shape (n_orientations,)
        ``sum(H_0o ** 2)`` over the frequency grid (``EM_n``).
    sum_squares : ndarray, shape (n_orientations,)
        ``S2 = sum_s sum_pixels h_s ** 2`` of the spatial filters.
    sum_cross : ndarray, shape (n_orientations,)
        ``Sij = sum_{s<t} sum_pixels h_s * h_t``.
    """

    filters: NDArray[np.floating]
    smallest_scale_energy: NDArray[np.float64]
    sum_squares: NDArray[np.float64]
    sum_cross: NDArray[np.float64]

    @property
    def nbytes(self) -> int:
        """Bytes held by the bank's arrays."""
        return int(self.filters.nbytes) + 3 * int(self.sum_squares.nbytes)


def radial_components(
    radius: NDArray[np.float64],
    lowpass: NDArray[np.float64],
    params: PhaseCongruencyParameters,
) -> list[NDArray[np.float64]]:
    """Radial log-Gabor filters ``G_s``, one per scale, zero at DC."""
    denominator = 2 * math.log(params.sigma_onf) ** 2
    components = []
    for scale in range(params.n_scales):
        centre_frequency = 1.0 / (params.min_wavelength * params.mult**scale)
        radial = np.exp(-(np.log(radius / centre_frequency) ** 2) / denominator)
        radial *= lowpass
        radial[0, 0] = 0.0
        components.append(radial)
    return components


def angular_components(
    theta: NDArray[np.float64], params: PhaseCongruencyParameters
) -> list[NDArray[np.float64]]:
    """Angular Gaussian spreads, one per orientation."""
    theta_sigma = math.pi / params.n_orientations / params.dtheta_on_sigma
    sin_theta = np.sin(theta)
    cos_theta = np.cos(theta)
    spreads = []
    for orientation in range(params.n_orientations):
        angle = orientation * math.pi / params.n_orientations
        ds = sin_theta * math.cos(angle) - cos_theta * math.sin(angle)
        dc = cos_theta * math.cos(angle) + sin_theta * math.sin(angle)
        dtheta = np.abs(np.arctan2(ds, dc))
        spreads.append(np.exp(-(dtheta**2) / (2 * theta_sigma**2)))
    return spreads


def _point_reflection(array: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return ``array[-i mod rows, -j mod cols]``: the spectrum of ``x(-n)``."""
    return np.roll(array[::-1, ::-1], 1, axis=(0, 1))


def spatial_filter_sums(
    filters: list[NDArray[np.float64]],
) -> tuple[float, float]:
    """Noise-model sums ``S2`` and ``Sij`` of one orientation, by Parseval.

    The reference takes ``h_s = real(ifft2(H_s)) * sqrt(rows * cols)`` and sums
    ``h_s ** 2`` and ``h_s * h_t`` over the pixels.  The DFT of ``real(ifft2(H))``
    is the Hermitian part ``(H(k) + H(-k)) / 2`` (real, since ``H`` is real), so
    by Parseval the same sums are plain sums over the frequency grid, with no
    inverse FFTs.
    """
    hermitian = [(h + _point_reflection(h)) / 2 for h in filters]
    sum_squares = sum(float(np.sum(h * h)) for h in hermitian)
    sum_cross = 0.0
    for i, h_i in enumerate(hermitian):
        for h_j in hermitian[i + 1 :]:
            sum_cross += float(np.sum(h_i * h_j))
    return sum_squares, sum_cross


def build_log_gabor_bank(
    shape: tuple[int, int],
    params: PhaseCongruencyParameters,
    dtype: type[np.floating] = np.float64,
) -> LogGaborBank:
    """Build the filter bank for images of ``shape`` (uncached)."""
    rows, cols = shape
    grid = frequency_grid(
        shape, lowpass_cutoff=params.lowpass_cutoff, lowpass_order=params.lowpass_order
    )
    radials = radial_components(grid.radius, grid.lowpass, params)
    spreads = angular_components(grid.theta, params)
    n_pixels = rows * cols
    filters = np.empty((params.n_orientations, params.n_scales, rows, cols), dtype)
    energy = np.empty(params.n_orientations)
    sum_squares = np.empty(params.n_orientations)
    sum_cross = np.empty(params.n_orientations)
    for o, spread in enumerate(spreads):
        oriented = [radial * spread for radial in radials]
        energy[o] = np.sum(oriented[0] ** 2)
        sum_squares[o], sum_cross[o] = spatial_filter_sums(oriented)
        for s, h in enumerate(oriented):
            filters[o, s] = h / n_pixels
    filters.flags.writeable = False
    return LogGaborBank(filters, energy, sum_squares, sum_cross)


_BANK_CACHE: BoundedCache[LogGaborBank] = register_cache(
    "filter_banks",
    BoundedCache(
        max_entries=16, max_nbytes=512 * 2**20, size_of=lambda bank: bank.nbytes
    ),
)


def log_gabor_bank(
    shape: tuple[int, int],
    params: PhaseCongruencyParameters,
    dtype: type[np.floating] = np.float64,
) -> LogGaborBank:
    """Return the (cached) filter bank for ``shape``, ``params`` and ``dtype``.

    The cache holds at most 16 banks and 512 MiB; see
    :func:`fsimlib.backends.clear_caches`.
    """
    key = (shape, params, np.dtype(dtype).str)
    return _BANK_CACHE.get_or_build(
        key, lambda: build_log_gabor_bank(shape, params, dtype)
    )
