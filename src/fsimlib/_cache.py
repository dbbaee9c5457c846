"""A small, explicit, bounded and thread-safe LRU cache for derived arrays.

The filter bank and the noise-model sums depend only on the image shape and
the phase-congruency parameters, so they are computed once and reused.  The
cache is bounded both by entry count and by the bytes it holds, so a process
that sees thousands of different shapes never grows without limit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, NamedTuple, TypeVar

V = TypeVar("V")


class CacheInfo(NamedTuple):
    """Statistics of a :class:`BoundedCache`, as :func:`fsimlib.cache_info` reports.

    Examples
    --------
    >>> import fsimlib
    >>> info = fsimlib.cache_info()
    >>> isinstance(info, fsimlib.CacheInfo), info.entries <= info.max_entries
    (True, True)
    """

    hits: int
    misses: int
    entries: int
    nbytes: int
    max_entries: int
    max_nbytes: int


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
