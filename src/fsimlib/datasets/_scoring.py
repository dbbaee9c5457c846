"""Scoring pairs of image files, on any executor: :func:`score_pairs`.

:func:`score_pairs` groups pairs by reference so that each reference is
prepared (:class:`fsimlib.Reference`) once per task and reused, runs the
tasks on any :class:`concurrent.futures.Executor` (a process pool, a
``dask.distributed`` client's executor), on threads or in this process, and
yields a :class:`ScoreRecord` per pair as soon as it is known; a pair that
cannot be scored gives a record with the reason, never an exception.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import inspect
import itertools
import numbers
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING

from fsimlib._io import LoadedImage, read_image
from fsimlib._options import (
    FileKeywords,
    FSIMOptions,
    document_options,
    options_from_keywords,
)
from fsimlib._reference import Reference
from fsimlib.backends._fft import resolve_workers
from fsimlib.backends._seam import carry_context

from ._chunks import group_by_reference, plan_tasks
from ._records import PairRecord, PathLike, ScoreRecord

if TYPE_CHECKING:
    from typing_extensions import Unpack

#: The most distorted images per task when an executor is used.
DEFAULT_CHUNK_SIZE = 64

# One task's outcome per pair: (position, fsim, fsimc, error).
_Outcome = tuple[int, float | None, float | None, str | None]
_Task = Callable[[str, Sequence[tuple[int, str]], FSIMOptions], list[_Outcome]]


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _load_reference(ref: str, options: FSIMOptions) -> tuple[Reference, int]:
    """Read and prepare a reference image; also return its bit depth."""
    image, data_range = read_image(ref)
    prepared = Reference(image, **options.keywords())
    return prepared, int(data_range).bit_length()


@functools.lru_cache(maxsize=4)
def _cached_reference(
    ref: str, stamp: tuple[int, int], options: FSIMOptions
) -> tuple[Reference, int]:
    # ``stamp`` (mtime, size) is in the key so that a changed file is
    # read again by a long-lived worker.
    del stamp
    return _load_reference(ref, options)


def _reference(ref: str, options: FSIMOptions) -> tuple[Reference, int]:
    """Return a prepared reference, reused across the tasks a worker process runs.

    Chunks of the same reference that land on the same worker (process or
    dask worker) then prepare it once, not once per chunk.
    """
    try:
        status = Path(ref).stat()
    except OSError:  # let the reader say what is wrong with the file
        return _load_reference(ref, options)
    try:
        return _cached_reference(ref, (status.st_mtime_ns, status.st_size), options)
    except TypeError:  # unhashable options (e.g. a custom kernel pair)
        return _load_reference(ref, options)


def score_group(
    ref: str, dists: Sequence[tuple[int, str]], options: FSIMOptions
) -> list[_Outcome]:
    """Score distorted image files against one reference file.

    The task that :func:`score_pairs` sends to executors: a picklable
    top-level function that reads the files where it runs.  The next
    images are decoded on a thread while the current one is scored (see
    :func:`_read_ahead`).

    Parameters
    ----------
    ref : str
        The reference image file.
    dists : sequence of (int, str)
        Position and path of each distorted image file.
    options : FSIMOptions
        The scoring options.

    Returns
    -------
    list of (int, float or None, float or None, str or None)
        ``(position, fsim, fsimc, error)`` per distorted image.
    """
    return list(_score_group(ref, dists, options))


def _score_group(
    ref: str, dists: Sequence[tuple[int, str]], options: FSIMOptions
) -> Iterator[_Outcome]:
    """:func:`score_group`'s outcomes, each yielded as soon as it is known."""
    if not ref:
        reason = "no reference image for this pair (empty ref)"
        yield from ((position, None, None, reason) for position, _ in dists)
        return
    # Reading starts before the reference is prepared, so that the first
    # distorted image is decoded meanwhile.
    with _read_ahead([dist for _, dist in dists]) as images:
        try:
            reference, ref_bits = _reference(ref, options)
        except Exception as error:
            reason = f"reference: {_one_line(error)}"
            yield from ((position, None, None, reason) for position, _ in dists)
            return
        for (position, _), image in zip(dists, images, strict=True):
            try:
                array, data_range = image.result()
                bits = int(data_range).bit_length()
                if options.data_range is None and bits != ref_bits:
                    msg = (
                        f"the reference is {ref_bits}-bit but the distorted image "
                        f"is {bits}-bit; expected the same bit depth"
                    )
                    raise ValueError(msg)
                scores = reference.scores(array)
            except Exception as error:
                outcome: _Outcome = (position, None, None, _one_line(error))
            else:
                outcome = (position, scores.fsim, scores.fsimc, None)
            yield outcome


#: Images decoded ahead of the one being scored, per task.
READ_AHEAD = 2


@contextlib.contextmanager
def _read_ahead(
    paths: Sequence[str], depth: int = READ_AHEAD
) -> Iterator[Iterator[Future[LoadedImage]]]:
    """Decode ``paths`` in order on one thread, at most ``depth`` ahead.

    Yields an iterator of futures, one per path in order; each next path
    is submitted when a future is taken, so at most ``depth`` decoded
    images wait in memory.  The decoders release the GIL (libpng through
    imagecodecs, Pillow), so decoding overlaps the scoring, whose FFTs and
    compiled loops release it too.  Reads not yet started when the caller
    leaves are cancelled.
    """
    # The reader runs in the caller's context (engine and loop choices).
    read = carry_context(read_image)
    with ThreadPoolExecutor(1, thread_name_prefix="fsimlib-read") as pool:
        pending: collections.deque[Future[LoadedImage]] = collections.deque()
        waiting = iter(paths)

        def futures() -> Iterator[Future[LoadedImage]]:
            while pending:
                future = pending.popleft()
                following = next(waiting, None)
                if following is not None:
                    pending.append(pool.submit(read, following))
                yield future

        pending.extend(
            pool.submit(read, path) for path in itertools.islice(waiting, depth)
        )
        try:
            yield futures()
        finally:
            for future in pending:
                future.cancel()


def _as_pair(item: object, position: int) -> PairRecord:
    if isinstance(item, PairRecord):
        pair = item
    elif isinstance(item, tuple) and len(item) == 2:
        pair = PairRecord(item[0], item[1])
    else:
        msg = (
            f"pair {position} must be a PairRecord or a (ref, dist) tuple of "
            f"paths, got {type(item).__name__} {item!r}"
        )
        raise TypeError(msg)
    for name in ("ref", "dist"):
        path: object = getattr(pair, name)
        if not isinstance(path, (str, os.PathLike)):
            msg = (
                f"pair {position}: {name} must be a str or os.PathLike path, "
                f"got {type(path).__name__} {path!r}"
            )
            raise TypeError(msg)
    return pair


@document_options(
    workers=(
        "Without an ``executor``, they score that many tasks at once, one "
        "thread per task; with one, the executor's workers do the work and "
        "this is ignored."
    ),
)
def score_pairs(
    pairs: Iterable[PairRecord | tuple[PathLike, PathLike]],
    /,
    *,
    executor: Executor | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    workers: int | None = None,
    **options: Unpack[FileKeywords],
) -> Iterator[ScoreRecord]:
    """Score pairs of image files, yielding each result as it is known.

    Pairs are grouped by reference file; the reference is read and prepared
    once (as :class:`fsimlib.Reference`) and all its distorted images are
    scored against it.  Scores equal :func:`fsimlib.fsim` (``fsim``) and
    ``fsimlib.fsim(..., chromatic=True)`` (``fsimc``) of the arrays
    :func:`fsimlib.read_image` returns, exactly.

    A pair that cannot be scored (missing or corrupt file, different sizes
    or bit depths, a worker that died) yields a record with ``error`` set;
    no exception escapes for one bad pair.

    Parameters
    ----------
    pairs : iterable of PairRecord or (ref, dist) tuples
        The pairs; consumed in full before scoring starts.
    executor : concurrent.futures.Executor, optional
        Where to run: e.g. a :class:`~concurrent.futures.ProcessPoolExecutor`
        or a ``dask.distributed`` client's ``client.get_executor()``.  Each
        task scores up to ``chunk_size`` distorted images of one reference,
        reading the files where it runs, so workers must see the same
        paths.  ``None`` (default) scores in this process, one pair at a
        time.  The executor is not shut down.
    chunk_size : int, optional
        The most distorted images of one reference per task with an
        executor (default 64).  Chunks shrink as the run nears its end: a
        chunk holds at most ``ceil(r / (2 * w))`` of the ``r`` pairs not
        yet planned, for an executor of ``w`` workers (a standard-library
        pool's ``max_workers``, a dask client's threads), so that the last
        tasks are short and no worker idles while another finishes a long
        one.  Big chunks cost less per pair; smaller ones give finer
        progress and lose less when a run is killed.  A worker process
        keeps its last few prepared references, so chunks of one reference
        that it runs in turn share the preparation.  Within a task the
        next images are decoded on a thread while the current one is
        scored.  Results do not depend on the chunk size nor on the
        number of workers.
    {options}

    Yields
    ------
    ScoreRecord
        One per pair, in the order they complete; ``record.index`` is the
        pair's position in ``pairs``, to restore the input order.

    Raises
    ------
    TypeError
        If an item of ``pairs`` is not a pair of paths (str or
        os.PathLike), or ``executor`` is not an Executor.
    ValueError
        If ``chunk_size`` is not a positive int (numpy's integers count),
        or (when the records are drawn) the executor is shut down and takes
        no tasks.

    See Also
    --------
    ScoreFile : the resumable CSV the command line writes records to.

    Notes
    -----
    Without ``data_range``, each file's bit depth sets it (255 or 65535),
    and a pair of different bit depths is an error.  With a process pool or
    dask, a custom ``gradient`` must be picklable.  ``channel_axis`` is
    there so that every entry point takes the same options; image files are
    read with their channels last, so it must be None.

    Examples
    --------
    >>> import tempfile
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from pathlib import Path
    >>> import imageio.v3 as iio
    >>> import numpy as np
    >>> import fsimlib
    >>> from skimage import data
    >>> folder = Path(tempfile.mkdtemp())
    >>> image = data.camera()[:128, :128]
    >>> iio.imwrite(folder / "ref.png", image)
    >>> rng = np.random.default_rng(0)
    >>> for sigma in (5, 20):
    ...     noise = rng.normal(0, sigma, image.shape)
    ...     noisy = np.clip(image + noise, 0, 255).astype(np.uint8)
    ...     iio.imwrite(folder / f"noise{sigma}.png", noisy)
    >>> pairs = [
    ...     (folder / "ref.png", folder / "noise5.png"),
    ...     (folder / "ref.png", folder / "noise20.png"),
    ...     (folder / "ref.png", folder / "missing.png"),
    ... ]
    >>> with ThreadPoolExecutor(2) as pool:
    ...     records = sorted(
    ...         fsimlib.datasets.score_pairs(pairs, executor=pool, chunk_size=1),
    ...         key=lambda record: record.index,
    ...     )
    >>> records[0].fsim > records[1].fsim
    True
    >>> records[2].error.startswith("no such image file")
    True
    """
    fsim_options = options_from_keywords("score_pairs", options, files=True)
    given: object = executor
    if given is not None and not isinstance(given, Executor):
        msg = (
            "executor must be a concurrent.futures.Executor (e.g. a "
            f"ProcessPoolExecutor or client.get_executor()), got "
            f"{type(given).__name__}"
        )
        raise TypeError(msg)
    chunk_count = _as_count(chunk_size)
    if chunk_count is None:
        msg = f"chunk_size must be a positive int, got {chunk_size!r}"
        raise ValueError(msg)
    threads = resolve_workers(workers)
    items = [_as_pair(item, position) for position, item in enumerate(pairs)]
    if executor is not None:
        return _score_on(items, fsim_options, executor, chunk_count)
    if threads > 1:
        # Each task runs in a copy of this thread's context, so that the FFT
        # engine and loops chosen here apply on every thread.
        task = carry_context(score_group)
        return _score_on_threads(items, fsim_options, threads, chunk_count, task)
    return _score_here(items, fsim_options)


def _records(
    items: Sequence[PairRecord], outcomes: Iterable[_Outcome]
) -> Iterator[ScoreRecord]:
    for position, fsim, fsimc, error in outcomes:
        yield ScoreRecord(position, items[position], fsim, fsimc, error)


def _score_here(
    items: Sequence[PairRecord], options: FSIMOptions
) -> Iterator[ScoreRecord]:
    for ref, members in group_by_reference(items):
        # Each record is yielded as soon as it is known.
        yield from _records(items, _score_group(ref, members, options))


def _workers_of(executor: Executor) -> int:
    """How many tasks ``executor`` runs at once, if it says; else 1.

    The standard library's pools keep it in ``_max_workers``; a
    ``dask.distributed`` executor's client counts its workers' threads.
    An executor that tells neither, or raises when asked (a closed client,
    an attribute that is a property of another kind of executor), is taken
    to have one worker, which gives chunks of ``chunk_size`` until the last
    few: the count is a hint, never an error.
    """
    try:
        return _counted_workers(executor)
    except Exception:
        return 1


def _counted_workers(executor: Executor) -> int:
    workers = _as_count(getattr(executor, "_max_workers", None))
    if workers is not None:
        return workers
    nthreads = getattr(getattr(executor, "_client", None), "nthreads", None)
    if callable(nthreads):
        counts = nthreads()
        if inspect.iscoroutine(counts):  # an asynchronous client: no count now
            counts.close()
            return 1
        return _as_count(sum(counts.values())) or 1
    return 1


def _as_count(value: object) -> int | None:
    """``value`` if it is a positive whole number (numpy's too, never a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return None
    count = int(value)
    return count if count > 0 else None


def _score_on_threads(
    items: Sequence[PairRecord],
    options: FSIMOptions,
    threads: int,
    chunk_size: int,
    task: _Task,
) -> Iterator[ScoreRecord]:
    with ThreadPoolExecutor(threads, thread_name_prefix="fsimlib-score") as pool:
        yield from _score_on(items, options, pool, chunk_size, task)


def _score_on(
    items: Sequence[PairRecord],
    options: FSIMOptions,
    executor: Executor,
    chunk_size: int,
    task: _Task = score_group,
) -> Iterator[ScoreRecord]:
    futures: dict[Future[list[_Outcome]], list[tuple[int, str]]] = {}
    try:
        for ref, members in plan_tasks(items, chunk_size, _workers_of(executor)):
            try:
                future = executor.submit(task, ref, members, options)
            except RuntimeError as error:  # shut down, or broken
                msg = f"the executor cannot take tasks: {_one_line(error)}"
                raise ValueError(msg) from error
            futures[future] = members
        for future in as_completed(futures):
            members = futures[future]
            try:
                outcomes = future.result()
            except Exception as error:
                reason = f"worker failed: {type(error).__name__}: {_one_line(error)}"
                outcomes = [(position, None, None, reason) for position, _ in members]
            yield from _records(items, outcomes)
    finally:
        # Reached early when the consumer stops (or is interrupted).
        for future in futures:
            future.cancel()
