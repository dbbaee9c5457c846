"""The two images of a pair, processed at once on two threads.

``fsim(..., workers=2)`` spends almost all its time on per-image work (the
phase congruency and gradient of each image), which is independent between
the two images.  Running them on two threads nearly halves a call; giving
each image's small FFTs two threads instead gained far less (see
``docs/performance.rst``).

The second image runs on a thread of a small executor that lives for the
rest of the process.  A lasting thread keeps its FFT plans and scratch
buffers between calls (they are per thread); a thread made per call would
plan again every time.  The executor is made on first use, holds at most
one thread per CPU, and is never used unless ``workers`` is 2 or more.
Work runs there in a copy of the caller's context, so that the FFT engine
and loops chosen by the caller (:func:`fsimlib.backends.use_fft_engine`,
:func:`fsimlib.backends.use_loops`) apply to both images.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from .backends._seam import carry_context

T = TypeVar("T")
R = TypeVar("R")

_EXECUTOR: ThreadPoolExecutor | None = None
_EXECUTOR_LOCK = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _EXECUTOR  # noqa: PLW0603 (one lazily made executor per process)
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            _EXECUTOR = ThreadPoolExecutor(
                max_workers=os.cpu_count() or 1, thread_name_prefix="fsimlib-pair"
            )
        return _EXECUTOR


_IN_EXECUTOR = threading.local()


def _in_executor(function: Callable[[T], R], argument: T) -> R:
    _IN_EXECUTOR.active = True
    try:
        return function(argument)
    finally:
        _IN_EXECUTOR.active = False


def map_pair(
    function: Callable[[T], R], first: T, second: T, *, parallel: bool
) -> tuple[R, R]:
    """Return ``(function(first), function(second))``, at once if ``parallel``.

    ``first`` runs on the calling thread and ``second`` on the executor's.
    If either raises, the other is still waited for, and the first error in
    argument order is raised.
    """
    if not parallel or getattr(_IN_EXECUTOR, "active", False):
        # Serially from inside the executor (a callable gradient that calls
        # fsim with workers, say), so that no task waits on one queued
        # behind it.
        return function(first), function(second)
    future = _executor().submit(carry_context(_in_executor), function, second)
    try:
        result = function(first)
    except BaseException:
        future.exception()  # wait, so no work outlives the call
        raise
    return result, future.result()
