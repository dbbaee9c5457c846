"""One switch for every cache fsimlib keeps."""

from __future__ import annotations

from ._cache import CacheInfo
from ._fft import clear_plans
from ._filterbank import bank_cache_info, clear_bank_cache


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


def cache_info() -> CacheInfo:
    """Hits, misses and size of the filter-bank cache.

    Returns
    -------
    CacheInfo
        Named tuple ``(hits, misses, entries, nbytes, max_entries,
        max_nbytes)``.

    Examples
    --------
    >>> import numpy as np
    >>> import fsimlib
    >>> fsimlib.clear_caches()
    >>> _ = fsimlib.phase_congruency(np.eye(16))
    >>> _ = fsimlib.phase_congruency(np.eye(16)[::-1])
    >>> info = fsimlib.cache_info()
    >>> info.hits, info.misses, info.entries
    (1, 1, 1)
    """
    return bank_cache_info()
