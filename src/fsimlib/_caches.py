"""One switch for every cache fsimlib keeps."""

from __future__ import annotations

from ._fft import clear_plans
from ._filterbank import clear_bank_cache


def clear_caches() -> None:
    """Drop the cached filter banks and every thread's FFT plans.

    fsimlib caches the log-Gabor filter bank of each (shape, parameters,
    precision), at most 16 banks and 512 MiB, and each thread's FFT plans,
    at most 16 per thread.  Nothing else is kept between calls.

    Examples
    --------
    >>> import fsimlib
    >>> fsimlib.clear_caches()
    """
    clear_bank_cache()
    clear_plans()
