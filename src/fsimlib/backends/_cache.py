"""fsimlib's caches: explicit, bounded and thread-safe, and one switch for all.

Two things are worth keeping between calls:

* the log-Gabor filter bank of each image shape, parameters and precision,
  in a :class:`BoundedCache` shared by all threads, bounded by entry count
  and by bytes, so that a process that sees thousands of shapes never grows
  without limit;
* FFT plans, in a :class:`PerThreadCache`: plans and their scratch buffers
  are not shared between threads, so each thread keeps its own few.

Each cache is registered by name with :func:`register_cache` where it is
made; :func:`cache_info` reports on every registered cache and
:func:`clear_caches` empties them all.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, NamedTuple, Protocol, TypeVar

V = TypeVar("V")


class CacheInfo(NamedTuple):
    """Statistics of one cache, as :func:`fsimlib.backends.cache_info` reports them.

    Attributes
    ----------
    hits, misses : int
        Lookups that found a value, and those that had to build one, since
        the cache was last cleared.
    entries : int
        Values held now (for FFT plans: by all threads together).
    nbytes : int or None
        Bytes held now; ``None`` for a cache bounded by count alone.
    max_entries : int
        Most values held at once (for FFT plans: 16 per thread, times the
        threads that hold plans).
    max_nbytes : int or None
        Most bytes held at once; ``None`` for a cache bounded by count alone.

    Examples
    --------
    >>> import fsimlib
    >>> banks = fsimlib.backends.cache_info()["filter_banks"]
    >>> isinstance(banks, fsimlib.backends.CacheInfo)
    True
    >>> banks.entries <= banks.max_entries
    True
    """

    hits: int
    misses: int
    entries: int
    nbytes: int | None
    max_entries: int
    max_nbytes: int | None


class BoundedCache(Generic[V]):
    """Least-recently-used mapping bounded by entry count and total bytes.

    Values are built outside the lock (two threads may build the same value
    at once; both results are equal and one is kept), so a slow build never
    blocks lookups of other keys.

    Parameters
    ----------
    max_entries : int
        Most entries kept at once.
    max_nbytes : int
        Most bytes kept at once, as reported by ``size_of``.  A single value
        larger than this is returned but not kept.
    size_of : callable
        Returns the size in bytes of a value.
    """

    def __init__(
        self, *, max_entries: int, max_nbytes: int, size_of: Callable[[V], int]
    ) -> None:
        self._max_entries = max_entries
        self._max_nbytes = max_nbytes
        self._size_of = size_of
        self._entries: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._nbytes = 0
        self._hits = 0
        self._misses = 0
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> V:
        """Return the value for ``key``, building and keeping it if absent."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self._hits += 1
                return found[0]
            self._misses += 1
        value = build()
        size = self._size_of(value)
        if size > self._max_nbytes:
            return value
        with self._lock:
            if key not in self._entries:
                self._entries[key] = (value, size)
                self._nbytes += size
                self._evict()
            return self._entries[key][0] if key in self._entries else value

    def _evict(self) -> None:
        while self._entries and (
            len(self._entries) > self._max_entries or self._nbytes > self._max_nbytes
        ):
            _, (_, size) = self._entries.popitem(last=False)
            self._nbytes -= size

    def clear(self) -> None:
        """Drop every entry and reset the statistics."""
        with self._lock:
            self._entries.clear()
            self._nbytes = 0
            self._hits = 0
            self._misses = 0

    def info(self) -> CacheInfo:
        """Return hit/miss counts and the current size."""
        with self._lock:
            return CacheInfo(
                self._hits,
                self._misses,
                len(self._entries),
                self._nbytes,
                self._max_entries,
                self._max_nbytes,
            )


class _ThreadEntries(Generic[V]):
    """One thread's entries; weakly referenced, so they go with the thread."""

    __slots__ = ("__weakref__", "values")

    def __init__(self) -> None:
        self.values: OrderedDict[Hashable, V] = OrderedDict()


class PerThreadCache(Generic[V]):
    """Each thread's own least-recently-used mapping, bounded by count.

    For values a thread must not share (FFT plans write to their own
    buffers).  A thread's entries are dropped when it ends; hit and miss
    counts cover all threads.

    Parameters
    ----------
    max_entries : int
        Most entries each thread keeps at once.
    """

    def __init__(self, *, max_entries: int) -> None:
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._local = threading.local()
        self._threads: weakref.WeakSet[_ThreadEntries[V]] = weakref.WeakSet()
        self._hits = 0
        self._misses = 0

    def _thread_entries(self) -> _ThreadEntries[V]:
        entries: _ThreadEntries[V] | None = getattr(self._local, "entries", None)
        if entries is None:
            entries = _ThreadEntries()
            with self._lock:
                self._local.entries = entries
                self._threads.add(entries)
        return entries

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> V:
        """Return this thread's value for ``key``, building it if absent."""
        entries = self._thread_entries().values
        value = entries.get(key)
        if value is not None:
            entries.move_to_end(key)
            with self._lock:
                self._hits += 1
            return value
        value = build()
        entries[key] = value
        while len(entries) > self._max_entries:
            entries.popitem(last=False)
        with self._lock:
            self._misses += 1
        return value

    def thread_entries(self) -> int:
        """Return how many entries the calling thread holds."""
        entries: _ThreadEntries[V] | None = getattr(self._local, "entries", None)
        return 0 if entries is None else len(entries.values)

    def clear(self) -> None:
        """Drop every thread's entries and reset the statistics."""
        with self._lock:
            self._local = threading.local()
            self._threads = weakref.WeakSet()
            self._hits = 0
            self._misses = 0

    def info(self) -> CacheInfo:
        """Return hit/miss counts and the entries of all threads."""
        with self._lock:
            counts = [len(entries.values) for entries in self._threads]
            return CacheInfo(
                self._hits,
                self._misses,
                sum(counts),
                None,
                self._max_entries * len(counts),
                None,
            )


class Cache(Protocol):
    """What :func:`cache_info` and :func:`clear_caches` need of a cache."""

    def clear(self) -> None:
        """Drop every entry and reset the statistics."""

    def info(self) -> CacheInfo:
        """Return the statistics."""


_REGISTERED: dict[str, Cache] = {}
_REGISTERED_LOCK = threading.Lock()

C = TypeVar("C", bound=Cache)


def register_cache(name: str, cache: C) -> C:
    """Make ``cache`` known to :func:`cache_info` and :func:`clear_caches`."""
    with _REGISTERED_LOCK:
        _REGISTERED[name] = cache
    return cache


def _registered() -> list[tuple[str, Cache]]:
    with _REGISTERED_LOCK:
        return sorted(_REGISTERED.items())


def clear_caches() -> None:
    """Drop the cached filter banks and every thread's FFT plans.

    fsimlib caches the log-Gabor filter bank of each (shape, parameters,
    precision), at most 16 banks and 512 MiB, and each thread's FFT plans,
    at most 16 per thread.  Nothing else is kept between calls.

    See Also
    --------
    cache_info : what the caches hold.

    Examples
    --------
    >>> import fsimlib
    >>> fsimlib.backends.clear_caches()
    >>> [info.entries for info in fsimlib.backends.cache_info().values()]
    [0, 0]
    """
    for _, cache in _registered():
        cache.clear()


def cache_info() -> dict[str, CacheInfo]:
    """Hits, misses and size of every cache :func:`clear_caches` clears.

    Returns
    -------
    dict of str to CacheInfo
        ``"fft_plans"``: the FFT plans of all threads (each thread keeps
        its own); ``"filter_banks"``: the log-Gabor filter banks.  Each
        :class:`CacheInfo` is a named tuple ``(hits, misses, entries,
        nbytes, max_entries, max_nbytes)``; FFT plans are bounded by count
        alone, so their byte fields are ``None``.

    Examples
    --------
    Two images of one size share a filter bank and their FFT plans (a
    forward and an inverse plan):

    >>> import numpy as np
    >>> import fsimlib
    >>> fsimlib.backends.clear_caches()
    >>> _ = fsimlib.phase_congruency(np.eye(16))
    >>> _ = fsimlib.phase_congruency(np.eye(16)[::-1])
    >>> info = fsimlib.backends.cache_info()
    >>> sorted(info)
    ['fft_plans', 'filter_banks']
    >>> banks = info["filter_banks"]
    >>> banks.hits, banks.misses, banks.entries
    (1, 1, 1)
    >>> plans = info["fft_plans"]
    >>> plans.hits, plans.misses, plans.entries
    (2, 2, 2)
    """
    return {name: cache.info() for name, cache in _registered()}
