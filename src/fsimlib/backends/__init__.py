"""How fsimlib computes, not what: FFT engines, inner loops and caches.

None of these change a score beyond round-off (about 1e-15).

* :func:`use_fft_engine` and :func:`available_fft_engines`: FFTW through
  pyFFTW, or ``scipy.fft``;
* :func:`use_loops` and :func:`available_loops`: the compiled inner loops
  or their numpy equivalents;
* :func:`cache_info` and :func:`clear_caches`: the filter banks and FFT
  plans kept between calls (:class:`CacheInfo`).

Examples
--------
>>> from fsimlib import backends
>>> "scipy" in backends.available_fft_engines()
True
"""

from ._cache import CacheInfo, cache_info, clear_caches
from ._fft import available_fft_engines, use_fft_engine
from ._loops import available_loops, use_loops

__all__ = [
    "CacheInfo",
    "available_fft_engines",
    "available_loops",
    "cache_info",
    "clear_caches",
    "use_fft_engine",
    "use_loops",
]
