"""FFT engines: pyFFTW (the default) and ``scipy.fft`` (the fallback).

An engine answers two requests, both on stacks of 2-D arrays transformed over
the last two axes:

* :meth:`FFTEngine.plan` returns a :class:`Transform` for a given shape,
  precision, direction and thread count: a scratch ``input`` buffer that the
  caller fills, and :meth:`Transform.execute`, which transforms it without
  normalisation and returns the result (valid until the next ``execute``).

pyFFTW plans are made on the engine's own scratch buffers (planning may
overwrite its input), never on a caller's arrays.  Plans are not shared
between threads: every thread keeps its own bounded set, and planning itself
is serialised by a lock, since FFTW's planner is not thread-safe.  Engines
are registered by name in :data:`FFT_ENGINES` (a :class:`~fsimlib.backends._seam.Seam`)
and chosen for a block of code with :func:`use_fft_engine`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import Any, Literal, Protocol

import numpy as np
import scipy.fft
from numpy.typing import NDArray

from ._cache import PerThreadCache, register_cache
from ._seam import Seam

Direction = Literal["forward", "backward"]

#: Most plans a thread keeps per engine.
PLANS_PER_THREAD = 16
#: Extra bytes at the end of each row of pyFFTW's scratch buffers.
ROW_PADDING_BYTES = 64


class Transform(Protocol):
    """A planned, unnormalised 2-D FFT over the last two axes of ``input``."""

    @property
    def input(self) -> NDArray[np.complexfloating]:
        """Scratch buffer to fill before :meth:`execute`."""

    def execute(self, *, contiguous: bool = True) -> NDArray[np.complexfloating]:
        """Transform ``input``; the result is valid until the next call.

        With ``contiguous=False`` the result may be a view with padded rows
        (contiguous columns), which saves a copy for readers that accept it.
        """


class FFTEngine(Protocol):
    """What fsimlib needs of an FFT library."""

    name: str

    def plan(
        self,
        shape: tuple[int, ...],
        dtype: np.dtype[np.complexfloating],
        direction: Direction,
        threads: int,
    ) -> Transform:
        """Return a transform for arrays of ``shape`` and ``dtype``."""


class _ScipyTransform:
    def __init__(
        self,
        shape: tuple[int, ...],
        dtype: np.dtype[np.complexfloating],
        direction: Direction,
        threads: int,
    ) -> None:
        self._buffer: NDArray[np.complexfloating] = np.empty(shape, dtype)
        self._forward = direction == "forward"
        self._threads = threads

    @property
    def input(self) -> NDArray[np.complexfloating]:
        return self._buffer

    def execute(self, *, contiguous: bool = True) -> NDArray[np.complexfloating]:
        del contiguous  # the result is always contiguous
        if self._forward:
            out = scipy.fft.fft2(self._buffer, norm="backward", workers=self._threads)
        else:
            out = scipy.fft.ifft2(self._buffer, norm="forward", workers=self._threads)
        return np.asarray(out)


class _PyFFTWTransform:
    """In-place FFTW plan on a row-padded buffer.

    FFTW needs padded rows (see :meth:`PyFFTWEngine._padded_scratch`), and
    transforming in place halves the memory a transform touches (4 x 256 x
    256: 1.57 ms in place against 1.81 ms out of place here).  The compiled
    loops read the padded result directly; numpy's elementwise passes over a
    padded array ran about twice as slow as over a contiguous one, so for
    them the result is copied out (0.1 ms for 4 x 256 x 256).
    """

    def __init__(self, fftw: Any) -> None:  # noqa: ANN401 (pyFFTW is untyped)
        self._fftw = fftw
        self._result = np.empty(fftw.output_array.shape, fftw.output_array.dtype)

    @property
    def input(self) -> NDArray[np.complexfloating]:
        return self._fftw.input_array  # type: ignore[no-any-return]

    def execute(self, *, contiguous: bool = True) -> NDArray[np.complexfloating]:
        self._fftw.execute()
        if not contiguous:
            return self._fftw.output_array  # type: ignore[no-any-return]
        np.copyto(self._result, self._fftw.output_array)
        return self._result


#: Every thread's FFT plans, of all engines.
PLANS: PerThreadCache[Transform] = register_cache(
    "fft_plans", PerThreadCache(max_entries=PLANS_PER_THREAD)
)


class _PlanCachingEngine:
    """Shared plan cache of the engines: each thread keeps its own plans."""

    name: str

    def _build(
        self,
        shape: tuple[int, ...],
        dtype: np.dtype[np.complexfloating],
        direction: Direction,
        threads: int,
    ) -> Transform:
        raise NotImplementedError

    def plan(
        self,
        shape: tuple[int, ...],
        dtype: np.dtype[np.complexfloating],
        direction: Direction,
        threads: int,
    ) -> Transform:
        """Return this thread's transform for the request, planning it once."""
        key = (self.name, shape, dtype.str, direction, threads)
        return PLANS.get_or_build(
            key, lambda: self._build(shape, dtype, direction, threads)
        )


class ScipyEngine(_PlanCachingEngine):
    """``scipy.fft`` (pocketfft): always available."""

    name = "scipy"

    def _build(
        self,
        shape: tuple[int, ...],
        dtype: np.dtype[np.complexfloating],
        direction: Direction,
        threads: int,
    ) -> Transform:
        return _ScipyTransform(shape, dtype, direction, threads)


def is_smooth(n: int, largest_factor: int = 7) -> bool:
    """Whether ``n`` has no prime factor above ``largest_factor``."""
    for factor in range(2, largest_factor + 1):
        while n % factor == 0:
            n //= factor
    return n == 1


class PyFFTWEngine(_PlanCachingEngine):
    """FFTW through pyFFTW, planned with ``FFTW_ESTIMATE`` on padded buffers.

    ``FFTW_ESTIMATE`` plans in about a millisecond, so a cold first call
    costs little more than a warm one, no wisdom is kept on disk, and every
    call of every process gives the same bits: estimated plans are chosen
    by rules, not by timing.  The ``"pyfftw-measure"`` engine plans with
    ``FFTW_MEASURE`` instead: 130 to 370 ms per new shape and thread, then
    the batched inverse FFTs run 1.3 to 2.1 times faster (4 x 256 x 256:
    1.46 -> 1.09 ms; 4 x 192 x 256, a 512 x 384 image: 1.53 -> 0.71 ms),
    but the plan is
    chosen by timing, so scores may differ between processes (and threads,
    which plan apart) in the last bits (about 1e-16).  It is worth it for
    long data-set runs.  What measuring teaches FFTW (its wisdom) is put
    back as it was after each plan, so the default engine's plans never
    change; wisdom that other code in the process makes with
    ``FFTW_MEASURE`` would, since FFTW also uses it for estimated plans.

    Shapes with a prime factor above 7 (383 x 500, 255 x 255, 301 x 457, ...)
    go to pocketfft instead: there FFTW's estimated plans ran 1.2 to 1.7
    times slower than pocketfft here, while on 7-smooth sizes FFTW was up
    to 1.8 times faster.  Both agree to about 1e-15.
    """

    name = "pyfftw"
    _planner_lock = threading.Lock()

    def __init__(self, pyfftw: Any, *, measure: bool = False) -> None:  # noqa: ANN401
        self._pyfftw = pyfftw
        self._measure = measure
        if measure:
            self.name = "pyfftw-measure"

    def _build(
        self,
        shape: tuple[int, ...],
        dtype: np.dtype[np.complexfloating],
        direction: Direction,
        threads: int,
    ) -> Transform:
        if not all(is_smooth(n) for n in shape[-2:]):
            return _ScipyTransform(shape, dtype, direction, threads)
        with self._planner_lock:
            # FFTW keeps what measured planning learns as process-wide wisdom
            # and uses it even for estimated plans: put the wisdom back as it
            # was, so that measuring never changes the bits of a later
            # default plan (nor the wisdom the caller's own code keeps).
            wisdom = self._pyfftw.export_wisdom() if self._measure else None
            buffer = self._padded_scratch(shape, dtype)
            fftw = self._pyfftw.FFTW(
                buffer,
                buffer,
                axes=(-2, -1),
                direction="FFTW_FORWARD" if direction == "forward" else "FFTW_BACKWARD",
                flags=("FFTW_MEASURE",) if self._measure else ("FFTW_ESTIMATE",),
                threads=threads,
            )
            if wisdom is not None:
                self._pyfftw.forget_wisdom()
                self._pyfftw.import_wisdom(wisdom)
        return _PyFFTWTransform(fftw)

    def _padded_scratch(
        self, shape: tuple[int, ...], dtype: np.dtype[np.complexfloating]
    ) -> NDArray[np.complexfloating]:
        """Aligned scratch array whose rows are padded by 64 bytes.

        With rows of a power-of-two length, the column passes of a 2-D FFT
        stride through memory at a power of two and keep evicting each
        other from the cache: FFTW_ESTIMATE plans then ran 5 to 10 times
        slower than FFTW_MEASURE plans here (4 x 256 x 256: 10.5 ms against
        1.2 ms).  Padding each row breaks the aliasing, and ESTIMATE plans
        on padded buffers match or beat MEASURE plans, with planning in
        about a millisecond instead of hundreds.
        """
        pad = ROW_PADDING_BYTES // dtype.itemsize
        padded = (*shape[:-1], shape[-1] + pad)
        buffer = self._pyfftw.empty_aligned(padded, dtype=dtype)
        return buffer[..., : shape[-1]]  # type: ignore[no-any-return]


def _load_pyfftw() -> Any:  # noqa: ANN401 (pyFFTW is untyped)
    """Import pyFFTW, or return ``None`` if it is missing or broken."""
    try:
        import pyfftw
    except (ImportError, OSError):
        return None
    return pyfftw


def _pyfftw_engine(*, measure: bool) -> Callable[[], PyFFTWEngine | None]:
    def load() -> PyFFTWEngine | None:
        pyfftw = _load_pyfftw()
        return None if pyfftw is None else PyFFTWEngine(pyfftw, measure=measure)

    return load


#: The FFT engines by name, best first; the choice in force.
FFT_ENGINES: Seam[ScipyEngine | PyFFTWEngine] = Seam(
    "FFT engine",
    {
        "pyfftw": _pyfftw_engine(measure=False),
        "pyfftw-measure": _pyfftw_engine(measure=True),
        "scipy": ScipyEngine,
    },
    requirements={"pyfftw": "pyFFTW", "pyfftw-measure": "pyFFTW"},
)
ENGINE_NAMES = FFT_ENGINES.names


def available_fft_engines() -> tuple[str, ...]:
    """Names of the FFT engines that work in this environment, best first.

    Returns
    -------
    tuple of str
        ``("pyfftw", "pyfftw-measure", "scipy")`` when pyFFTW imports, else
        ``("scipy",)``.  The first is the default.

    Examples
    --------
    >>> import fsimlib
    >>> engines = fsimlib.backends.available_fft_engines()
    >>> "scipy" in engines, engines[-1]
    (True, 'scipy')
    """
    return FFT_ENGINES.available()


def get_engine(name: str | None = None) -> ScipyEngine | PyFFTWEngine:
    """Return the engine called ``name``, or the one in force.

    The engine in force is the innermost :func:`use_fft_engine`, else pyFFTW
    when it imports, else scipy.
    """
    return FFT_ENGINES.get(name)


def use_fft_engine(name: str) -> contextlib.AbstractContextManager[None]:
    """Use the FFT engine ``name`` inside a ``with`` block.

    The choice holds in the current thread (and context), as
    ``scipy.fft.set_backend``'s does, and in the threads fsimlib starts for
    the calls made inside the block (``workers=2``, :func:`fsim_batch`).
    All engines give the same scores to about 1e-15.

    Parameters
    ----------
    name : {"pyfftw", "pyfftw-measure", "scipy"}
        The engine: FFTW with estimated plans (the default: plans in a
        millisecond, the same bits in every process), FFTW with measured
        plans (each new shape costs each thread 130 to 370 ms of planning,
        after which the FFTs run 1.3 to 2 times faster; the bits may differ
        between processes and threads by about 1e-16), or ``scipy.fft``.

    Returns
    -------
    context manager
        Selects the engine while the ``with`` block runs.

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    ValueError
        If the name is unknown or the engine cannot be loaded (checked
        when called, before the block runs).

    See Also
    --------
    available_fft_engines : the engines that work here.

    Examples
    --------
    Two images on two threads, both transformed by ``scipy.fft``:

    >>> import numpy as np
    >>> import fsimlib
    >>> rng = np.random.default_rng(0)
    >>> a = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    >>> b = rng.integers(0, 256, (64, 64), dtype=np.uint8)
    >>> with fsimlib.backends.use_fft_engine("scipy"):
    ...     with_scipy = fsimlib.fsim(a, b, workers=2)
    >>> abs(with_scipy - fsimlib.fsim(a, b)) < 1e-12
    True
    """
    return FFT_ENGINES.use(name)


#: Most threads one call may use.  More gains nothing on any machine the
#: library targets, and made ``workers=100000`` take half a minute; from
#: about 80 threads on, the FFTs were also measured to split finely enough
#: to change the score's last bit.
MAX_WORKERS = 64


def resolve_workers(workers: int | None) -> int:
    """Turn scipy's ``workers`` convention into a positive thread count.

    ``None`` means 1; a negative value counts back from the number of CPUs
    (``-1`` is all of them).  At most :data:`MAX_WORKERS` (64).
    """
    if workers is None:
        return 1
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)):
        msg = f"workers must be an int or None, got {type(workers).__name__}"
        raise TypeError(msg)
    workers = int(workers)
    cpus = os.cpu_count() or 1
    if workers == 0:
        msg = "workers must not be 0; use None for the default or -1 for all CPUs"
        raise ValueError(msg)
    if workers < 0:
        resolved = cpus + 1 + workers
        if resolved < 1:
            msg = f"workers={workers} asks for fewer than 1 of the {cpus} CPUs"
            raise ValueError(msg)
        return min(resolved, MAX_WORKERS)
    if workers > MAX_WORKERS:
        msg = f"workers must be at most {MAX_WORKERS}, got {workers}"
        raise ValueError(msg)
    return workers
