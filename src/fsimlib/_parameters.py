"""Parameters of Kovesi's phase congruency, as used by FSIM."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np


@dataclass(frozen=True)
class PhaseCongruencyParameters:
    """The parameters of the log-Gabor phase-congruency measure.

    Defaults are those of the reference implementation used by FSIM
    (Kovesi's ``phasecong2`` as shipped in the authors' ``FeatureSIM.m``).

    Parameters
    ----------
    n_scales : int
        Number of wavelet scales.
    n_orientations : int
        Number of filter orientations, spread evenly over ``[0, pi)``.
    min_wavelength : float
        Wavelength, in pixels, of the smallest-scale filter.
    mult : float
        Ratio between the wavelengths of successive scales.
    sigma_onf : float
        Ratio of the log-Gabor's standard deviation to its centre frequency.
    dtheta_on_sigma : float
        Ratio of the angular spacing of the orientations to the angular
        standard deviation of each filter.
    k : float
        Number of noise standard deviations above the mean noise energy
        at which the noise threshold is set.
    epsilon : float
        Small constant that keeps the normalised mean energy vector finite.
    noise_divisor : float
        The reference divides the noise threshold by this empirical
        correction factor.
    lowpass_cutoff : float
        Cutoff frequency (0 to 0.5) of the Butterworth low-pass filter that
        multiplies every log-Gabor filter.
    lowpass_order : int
        Order of that Butterworth filter.

    Examples
    --------
    >>> from fsimlib import PhaseCongruencyParameters
    >>> params = PhaseCongruencyParameters(n_scales=5)
    >>> params.n_scales, params.n_orientations
    (5, 4)
    >>> PhaseCongruencyParameters(sigma_onf=1.5)
    Traceback (most recent call last):
        ...
    ValueError: sigma_onf must lie strictly between 0 and 1, got 1.5
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
        for name in ("n_scales", "n_orientations", "lowpass_order"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                msg = f"{name} must be an int, got {type(value).__name__} {value!r}"
                raise TypeError(msg)
            if value < 1:
                msg = f"{name} must be at least 1, got {value}"
                raise ValueError(msg)
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                msg = (
                    f"{field.name} must be a real number, "
                    f"got {type(value).__name__} {value!r}"
                )
                raise TypeError(msg)
            if not math.isfinite(value):
                msg = f"{field.name} must be finite, got {value!r}"
                raise ValueError(msg)
        positive = ("min_wavelength", "mult", "dtheta_on_sigma", "noise_divisor")
        for name in positive:
            if getattr(self, name) <= 0:
                msg = f"{name} must be positive, got {getattr(self, name)!r}"
                raise ValueError(msg)
        if not 0 < self.sigma_onf < 1:
            msg = f"sigma_onf must lie strictly between 0 and 1, got {self.sigma_onf!r}"
            raise ValueError(msg)
        if self.epsilon < 0 or self.k < 0:
            msg = (
                "k and epsilon must be non-negative, "
                f"got k={self.k!r}, epsilon={self.epsilon!r}"
            )
            raise ValueError(msg)
        if not 0 < self.lowpass_cutoff <= 0.5:
            msg = f"lowpass_cutoff must lie in (0, 0.5], got {self.lowpass_cutoff!r}"
            raise ValueError(msg)
