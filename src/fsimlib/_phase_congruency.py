"""Kovesi's phase congruency with log-Gabor filters (``phasecong2``)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._fft import get_engine
from ._filterbank import LogGaborBank, log_gabor_bank
from ._kernels import get_kernels
from ._parameters import PhaseCongruencyParameters
from ._validation import MAX_GREY_LEVEL, check_plane, check_precision

Precision = Literal["float64", "float32"]

_COMPLEX: dict[str, np.dtype[np.complexfloating]] = {
    "float64": np.dtype(np.complex128),
    "float32": np.dtype(np.complex64),
}
_REAL: dict[str, type[np.floating]] = {"float64": np.float64, "float32": np.float32}


def noise_threshold(
    median_energy: float,
    bank: LogGaborBank,
    orientation: int,
    params: PhaseCongruencyParameters,
) -> float:
    """Noise threshold ``T`` of one orientation, as ``phasecong2`` sets it.

    The smallest-scale amplitude of pure noise is Rayleigh distributed, so
    its median energy gives the noise power; the filters' energies
    (``EM_n``, ``S2``, ``Sij``) carry it to the energy summed over all
    scales, whose Rayleigh mean plus ``k`` standard deviations, divided by
    the noise divisor, is the threshold.

    Parameters
    ----------
    median_energy : float
        Median over the pixels of the squared amplitude of the smallest-scale
        response of this orientation.
    bank : LogGaborBank
        The filter bank, which supplies ``EM_n``, ``S2`` and ``Sij``.
    orientation : int
        Index of the orientation.
    params : PhaseCongruencyParameters
        Supplies ``k`` and the noise divisor.
    """
    mean_noise_energy = -median_energy / math.log(0.5)
    noise_power = mean_noise_energy / bank.smallest_scale_energy[orientation]
    noise_energy2 = (
        2 * noise_power * bank.sum_squares[orientation]
        + 4 * noise_power * bank.sum_cross[orientation]
    )
    tau = math.sqrt(noise_energy2 / 2)
    mean = tau * math.sqrt(math.pi / 2)
    sigma = math.sqrt((2 - math.pi / 2) * tau**2)
    return (mean + params.k * sigma) / params.noise_divisor


#: Arrays at least this long are bracketed from a sample before selecting.
_BRACKET_MIN_SIZE = 4096
#: Size of the evenly strided sample that brackets the middle elements.
_BRACKET_SAMPLE = 1024


def middle_elements(values: NDArray[np.floating]) -> tuple[float, float]:
    """Return the ``(n - 1) // 2``-th and ``n // 2``-th smallest values, exactly.

    Selecting among all the values was a third of the per-orientation work,
    so for large arrays the middle is first bracketed between two values of
    a sorted strided sample (the sample's middle +- 4 standard deviations of
    its rank spread); only the few elements inside the bracket are then
    searched.  The stride is coprime with the row length, so the sample
    walks across columns instead of repeating a few of them.  If the
    bracket misses the middle (an unlucky sample), all the values are
    searched, with the same answer.
    """
    kernels = get_kernels()
    flat = values.ravel()
    n = flat.size
    low_rank, high_rank = (n - 1) // 2, n // 2
    scratch = np.empty_like(flat)
    if n >= _BRACKET_MIN_SIZE:
        stride = n // _BRACKET_SAMPLE
        while math.gcd(stride, values.shape[-1]) != 1:
            stride += 1
        sample = np.sort(flat[::stride])
        middle = sample.size // 2
        margin = 2 * int(math.sqrt(sample.size)) + 2
        low = sample[max(middle - margin, 0)]
        high = sample[min(middle + margin, sample.size - 1)]
        below, count = kernels.count_and_collect(flat, low, high, scratch)
        if below <= low_rank and high_rank - below < count:
            return kernels.select_ranks(
                scratch[:count], low_rank - below, high_rank - below
            )
    np.copyto(scratch, flat)
    return kernels.select_ranks(scratch, low_rank, high_rank)


def squared_median(values: NDArray[np.floating]) -> float:
    """``median(values ** 2)`` for non-negative ``values``, without squaring all.

    Squaring is monotonic on non-negative numbers, so the middle elements of
    ``values`` are those of ``values ** 2``; for an even count the median is
    the mean of the two middle squares, as MATLAB's and numpy's are.
    """
    lower, upper = middle_elements(values)
    if lower == upper:
        return upper * upper
    return (lower * lower + upper * upper) / 2


def check_filters_reach_image(
    bank: LogGaborBank, shape: tuple[int, int], params: PhaseCongruencyParameters
) -> None:
    """Raise if a smallest-scale filter is zero at every frequency of ``shape``.

    The noise model divides by that filter's energy.  It vanishes when the
    filter's pass band lies far from every frequency the image has (a
    ``min_wavelength`` much longer than the image, say, with a narrow band
    from ``sigma_onf`` near 1).
    """
    if np.all(bank.smallest_scale_energy > 0):
        return
    msg = (
        f"the smallest-scale log-Gabor filters (min_wavelength="
        f"{params.min_wavelength!r}, sigma_onf={params.sigma_onf!r}, "
        f"dtheta_on_sigma={params.dtheta_on_sigma!r}, lowpass_cutoff="
        f"{params.lowpass_cutoff!r}, lowpass_order={params.lowpass_order!r}) "
        f"are zero at every frequency of a {shape[0]} x {shape[1]} image; "
        "use a min_wavelength between 2 pixels and the image's size, or a "
        "smaller sigma_onf"
    )
    raise ValueError(msg)


def phase_congruency_map(
    plane: NDArray[np.float64],
    params: PhaseCongruencyParameters,
    precision: Precision = "float64",
    threads: int = 1,
) -> NDArray[np.float64]:
    """Phase congruency of a validated 2-D float64 array (no checks)."""
    shape = (plane.shape[0], plane.shape[1])
    if np.ptp(plane) == 0:
        # A constant image has no features: every response is zero, and the
        # reference's 0/0 would give NaN.
        return np.zeros(shape)
    complex_dtype = _COMPLEX[precision]
    real_dtype = _REAL[precision]
    bank = log_gabor_bank(shape, params, real_dtype)
    check_filters_reach_image(bank, shape, params)
    kernels = get_kernels()
    engine = get_engine()
    forward = engine.plan(shape, complex_dtype, "forward", threads)
    forward.input[...] = plane
    # Valid until this thread's next forward FFT of this shape.
    spectrum = forward.execute(contiguous=kernels.needs_contiguous)
    inverse = engine.plan((params.n_scales, *shape), complex_dtype, "backward", threads)
    energies = np.empty((params.n_orientations, *shape), real_dtype)
    magnitude = np.empty(shape, real_dtype)
    amplitude = np.zeros(shape, real_dtype)
    thresholds = []
    for o, energy in enumerate(energies):
        kernels.filter_product(spectrum, bank.filters[o], inverse.input)
        responses = inverse.execute(contiguous=kernels.needs_contiguous)
        kernels.oriented_energy(responses, params.epsilon, energy, amplitude, magnitude)
        thresholds.append(noise_threshold(squared_median(magnitude), bank, o, params))
    # One pass over every orientation's energy, instead of one per orientation.
    phase_congruency = np.empty(shape)
    kernels.combine_energy(energies, thresholds, amplitude, phase_congruency)
    return phase_congruency


def phase_congruency(
    image: ArrayLike,
    /,
    *,
    n_scales: int = 4,
    n_orientations: int = 4,
    min_wavelength: float = 6.0,
    mult: float = 2.0,
    sigma_onf: float = 0.55,
    dtheta_on_sigma: float = 1.2,
    k: float = 2.0,
    epsilon: float = 1e-4,
    noise_divisor: float = 1.7,
    lowpass_cutoff: float = 0.45,
    lowpass_order: int = 15,
    precision: Precision = "float64",
) -> NDArray[np.float64]:
    """Phase congruency map of a 2-D image (Kovesi's ``phasecong2``).

    Phase congruency is a dimensionless measure of feature significance,
    from 0 (no feature) to 1, invariant to contrast.  This is the measure
    FSIM uses, computed exactly as the authors' reference does, with
    log-Gabor filters in the frequency domain and Kovesi's noise
    compensation.

    Parameters
    ----------
    image : array_like, shape (rows, cols)
        A real, finite 2-D array, at least 2 x 2, with values at most 1e100
        in magnitude.  FSIM applies this to the
        luminance in grey levels 0..255; the map is unchanged by scaling
        the image, except for the tiny effect of ``epsilon``.
    n_scales : int, optional
        Number of wavelet scales.  The ranges of this and every other
        parameter are those of :class:`fsimlib.PhaseCongruencyParameters`.
    n_orientations : int, optional
        Number of filter orientations.
    min_wavelength : float, optional
        Wavelength of the smallest-scale filter, in pixels.
    mult : float, optional
        Scaling factor between successive filter wavelengths.
    sigma_onf : float, optional
        Ratio of the log-Gabor standard deviation to its centre frequency.
    dtheta_on_sigma : float, optional
        Ratio of the angular interval between filter orientations to the
        standard deviation of the angular Gaussian spread.
    k : float, optional
        Noise threshold in standard deviations above the mean noise energy.
    epsilon : float, optional
        Constant that avoids division by zero when normalising energy.
    noise_divisor : float, optional
        Empirical divisor the reference applies to the noise threshold.
    lowpass_cutoff : float, optional
        Cutoff (0 to 0.5) of the Butterworth low-pass filter.
    lowpass_order : int, optional
        Order of the Butterworth low-pass filter.
    precision : {"float64", "float32"}, optional
        Precision of the FFTs.  ``"float32"`` is faster and deviates from
        the float64 result by about 1e-6.

    Returns
    -------
    ndarray of float64, shape (rows, cols)
        Phase congruency, in [0, 1].  A constant image has no features:
        its map is all zeros (the reference would divide 0 by 0).

    Raises
    ------
    TypeError
        If ``image`` is not a real numeric array, or a parameter has the
        wrong type.
    ValueError
        If ``image`` is not 2-D, smaller than 2 x 2, not finite or has
        values above 1e100 in magnitude; if a parameter is out of range;
        or if the smallest-scale filters miss every frequency of the image.

    See Also
    --------
    fsim : the metric that weights similarity by phase congruency.

    References
    ----------
    .. [1] P. Kovesi, "Image Features From Phase Congruency", Videre:
       Journal of Computer Vision Research 1(3), 1999.

    Examples
    --------
    >>> import numpy as np
    >>> import fsimlib
    >>> image = np.zeros((64, 64))
    >>> image[:, 24:40] = 255.0  # a vertical bar: two step edges
    >>> pc = fsimlib.phase_congruency(image)
    >>> pc.shape
    (64, 64)
    >>> bool(pc[32, 24] > 0.5 and pc[32, 8] < 0.1)  # high on edges only
    True
    """
    params = PhaseCongruencyParameters(
        n_scales=n_scales,
        n_orientations=n_orientations,
        min_wavelength=min_wavelength,
        mult=mult,
        sigma_onf=sigma_onf,
        dtheta_on_sigma=dtheta_on_sigma,
        k=k,
        epsilon=epsilon,
        noise_divisor=noise_divisor,
        lowpass_cutoff=lowpass_cutoff,
        lowpass_order=lowpass_order,
    )
    check_precision(precision)
    plane = check_plane(image, "image")
    largest = float(np.max(np.abs(plane)))
    if largest > MAX_GREY_LEVEL:
        msg = (
            f"image values reach {largest:.4g} in magnitude; at most "
            f"{MAX_GREY_LEVEL:g} keeps the squared filter responses finite "
            "(phase congruency does not depend on the scale: divide the image "
            "by a constant first)"
        )
        raise ValueError(msg)
    return phase_congruency_map(plane, params, precision)
