"""Parameters of Kovesi's phase congruency, as used by FSIM."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class PhaseCongruencyParameters:
    """The parameters of the log-Gabor phase-congruency measure.

    Defaults are those of the reference implementation used by FSIM
    (Kovesi's ``phasecong2`` as shipped in the authors' ``FeatureSIM.m``).

    Every parameter has a range, both ends included and given below, that
    holds every setting used in practice with a wide margin and keeps the
    computation finite; values outside it raise a ValueError naming the
    parameter and its range.

    Parameters
    ----------
    n_scales : int
        Number of wavelet scales, 1 to 16.
    n_orientations : int
        Number of filter orientations, spread evenly over ``[0, pi)``;
        1 to 32.
    min_wavelength : float
        Wavelength, in pixels, of the smallest-scale filter; 1 to 1e4.
    mult : float
        Ratio between the wavelengths of successive scales; 1 to 10.  The
        longest wavelength, ``min_wavelength * mult ** (n_scales - 1)``,
        must be at most 1e6 pixels.
    sigma_onf : float
        Ratio of the log-Gabor's standard deviation to its centre
        frequency; 0.05 to 0.95.
    dtheta_on_sigma : float
        Ratio of the angular spacing of the orientations to the angular
        standard deviation of each filter; 0.1 to 10.
    k : float
        Number of noise standard deviations above the mean noise energy
        at which the noise threshold is set; 0 to 1000.
    epsilon : float
        Small constant that keeps the normalised mean energy vector finite;
        0 to 100.
    noise_divisor : float
        The reference divides the noise threshold by this empirical
        correction factor; 0.01 to 100.
    lowpass_cutoff : float
        Cutoff frequency of the Butterworth low-pass filter that
        multiplies every log-Gabor filter; 0.05 to 0.5.
    lowpass_order : int
        Order of that Butterworth filter; 1 to 100.

    Raises
    ------
    TypeError
        If an integer parameter is not an int, or another is not a number.
    ValueError
        If a parameter is outside its range.

    Examples
    --------
    >>> from fsimlib import PhaseCongruencyParameters
    >>> params = PhaseCongruencyParameters(n_scales=5)
    >>> params.n_scales, params.n_orientations
    (5, 4)
    >>> PhaseCongruencyParameters(sigma_onf=1.5)
    Traceback (most recent call last):
        ...
    ValueError: sigma_onf must be from 0.05 to 0.95, got 1.5
    """

    n_scales: int = 4
    n_orientations: int = 4
    min_wavelength: float = 6.0
    mult: float = 2.0
    sigma_onf: float = 0.55
    dtheta_on_sigma: float = 1.2
    k: float = 2.0
    epsilon: float = 1e-4
    noise_divisor: float = 1.7
    lowpass_cutoff: float = 0.45
    lowpass_order: int = 15

    def _unwrap_numpy_scalars(self) -> None:
        """Store numpy scalars (``np.int64(4)``) as Python numbers."""
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, (np.integer, np.floating)):
                object.__setattr__(self, field.name, value.item())

    def __post_init__(self) -> None:
        self._unwrap_numpy_scalars()
        for field in fields(self):
            _check_in_range(field.name, getattr(self, field.name))
        longest = self.min_wavelength * self.mult ** (self.n_scales - 1)
        if longest > MAX_WAVELENGTH:
            msg = (
                f"the longest filter wavelength, min_wavelength * mult ** "
                f"(n_scales - 1) = {self.min_wavelength!r} * {self.mult!r} ** "
                f"{self.n_scales - 1} = {longest:.4g} pixels, must be at most "
                f"{MAX_WAVELENGTH:g}; use fewer scales or a smaller mult"
            )
            raise ValueError(msg)


#: Largest wavelength, in pixels, of the largest-scale filter: some 60 times
#: the side of the largest image :func:`fsimlib.read_image` reads by default.
MAX_WAVELENGTH = 1e6

#: Allowed values of each parameter, both ends included.  The ranges hold
#: every setting used in the phase-congruency literature with a wide margin,
#: and keep every intermediate value of the computation finite: the filter
#: frequencies stay normal numbers, the Butterworth term
#: ``(radius / lowpass_cutoff) ** (2 * lowpass_order)`` stays below
#: ``(0.71 / 0.05) ** 200 ~ 1e230`` and the angular spread's ``theta_sigma``
#: above ``pi / 32 / 10 ~ 0.01``.  The filter bank holds ``n_orientations *
#: n_scales`` (at most 512) planes of the image's size.
PARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "n_scales": (1, 16),
    "n_orientations": (1, 32),
    "min_wavelength": (1.0, 1e4),
    "mult": (1.0, 10.0),
    "sigma_onf": (0.05, 0.95),
    "dtheta_on_sigma": (0.1, 10.0),
    "k": (0.0, 1000.0),
    "epsilon": (0.0, 100.0),
    "noise_divisor": (0.01, 100.0),
    "lowpass_cutoff": (0.05, 0.5),
    "lowpass_order": (1, 100),
}
_INTEGER_PARAMETERS = ("n_scales", "n_orientations", "lowpass_order")


def _check_in_range(name: str, value: object) -> None:
    """Raise unless ``value`` is a number (an int where needed) in its range."""
    if name in _INTEGER_PARAMETERS:
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"{name} must be an int, got {type(value).__name__} {value!r}"
            raise TypeError(msg)
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = f"{name} must be a real number, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    low, high = PARAMETER_RANGES[name]
    # An int too large for a float (10**400) is compared exactly, as an int.
    if not (low <= value <= high):  # NaN fails too
        msg = f"{name} must be from {low:g} to {high:g}, got {value!r}"
        raise ValueError(msg)


def check_pc_parameters(value: object) -> PhaseCongruencyParameters:
    """Return ``value`` if it is a :class:`PhaseCongruencyParameters`."""
    if not isinstance(value, PhaseCongruencyParameters):
        msg = (
            "pc_parameters must be a fsimlib.PhaseCongruencyParameters, got "
            f"{type(value).__name__} {value!r}"
        )
        raise TypeError(msg)
    return value
