"""Scoring tables of image-file pairs, on any executor, into a resumable CSV.

:func:`score_pairs` groups pairs by reference so that each reference is
prepared (:class:`fsimlib.Reference`) once per task and reused, runs the
tasks on any :class:`concurrent.futures.Executor` (a process pool, a
``dask.distributed`` client's executor) or in this process, and yields a
:class:`ScoreRecord` per pair as soon as it is known; a pair that cannot be
scored gives a record with the reason, never an exception.

:class:`ScoreFile` is the CSV those records are appended to: each row is
written out when it is known (and synced to disk about once a second), a
run that is killed loses nothing, and a run started again skips the rows
already there.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import errno
import functools
import io
import itertools
import math
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from ._fft import get_engine
from ._gradient import GradientSpec
from ._io import LoadedImage, read_image
from ._kernels import get_kernels
from ._phase_congruency import Precision
from ._reference import Reference
from ._scorefile import (
    default_file_mode,
    differences,
    neutralise_cell,
    parse_provenance,
    provenance_line,
    read_head,
    restore_cell,
    skip_provenance,
)
from ._seam import carry_context

PathLike = Union[str, "os.PathLike[str]"]
#: Columns every score table ends with, after the pair table's own.
SCORE_COLUMNS = ("fsim", "fsimc", "error")
#: Columns a pair table must have.
PAIR_COLUMNS = ("ref", "dist")
#: Most seconds between two syncs of a score file's appended rows to disk.
SYNC_INTERVAL = 1.0
#: Distorted images per task when an executor is used.
DEFAULT_CHUNK_SIZE = 4

# One task's outcome per pair: (position, fsim, fsimc, error).
_Outcome = tuple[int, float | None, float | None, str | None]


@dataclass(frozen=True)
class PairRecord:
    """A reference and a distorted image file to score.

    Attributes
    ----------
    ref, dist : str or os.PathLike
        The two files.  Relative paths are relative to the worker's
        current directory: resolve them first (as :func:`read_pairs_csv`
        does) when workers may run elsewhere.
    fields : Mapping[str, str]
        Anything to carry through to the result (MOS, distortion labels,
        the row of a CSV as read).

    Examples
    --------
    >>> import fsimlib
    >>> pair = fsimlib.PairRecord("ref.png", "dist.png", {"mos": "4.2"})
    >>> pair.fields["mos"]
    '4.2'
    """

    ref: PathLike
    dist: PathLike
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreRecord:
    """The scores of one pair, or why it has none.

    Attributes
    ----------
    index : int
        Position of the pair in the iterable given to :func:`score_pairs`.
    pair : PairRecord
        The pair.
    fsim, fsimc : float or None
        FSIM and FSIMc (equal for greyscale images), or None on failure.
    error : str or None
        One line saying why the pair could not be scored, or None.

    Examples
    --------
    >>> import fsimlib
    >>> pair = fsimlib.PairRecord("ref.png", "gone.png")
    >>> record = fsimlib.ScoreRecord(0, pair, None, None, "no such image file")
    >>> record.ok
    False
    """

    index: int
    pair: PairRecord
    fsim: float | None
    fsimc: float | None
    error: str | None

    @property
    def ok(self) -> bool:
        """True if the pair was scored."""
        return self.error is None


@dataclass(frozen=True)
class ScoringOptions:
    """The options of :func:`fsimlib.fsim` that apply to a whole batch."""

    data_range: float | None = None
    downsample: bool | int = True
    gradient: GradientSpec = "scharr"
    precision: Precision = "float64"


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _load_reference(ref: str, options: ScoringOptions) -> tuple[Reference, int]:
    """Read and prepare a reference image; also return its bit depth."""
    image, data_range = read_image(ref)
    prepared = Reference(
        image,
        data_range=options.data_range,
        downsample=options.downsample,
        gradient=options.gradient,
        precision=options.precision,
    )
    return prepared, int(data_range).bit_length()


@functools.lru_cache(maxsize=4)
def _cached_reference(
    ref: str, stamp: tuple[int, int], options: ScoringOptions
) -> tuple[Reference, int]:
    # ``stamp`` (mtime, size) is in the key so that a changed file is
    # read again by a long-lived worker.
    del stamp
    return _load_reference(ref, options)


def _reference(ref: str, options: ScoringOptions) -> tuple[Reference, int]:
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
    ref: str, dists: Sequence[tuple[int, str]], options: ScoringOptions
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
    options : ScoringOptions
        The scoring options.

    Returns
    -------
    list of (int, float or None, float or None, str or None)
        ``(position, fsim, fsimc, error)`` per distorted image.
    """
    return list(_score_group(ref, dists, options))


def _score_group(
    ref: str, dists: Sequence[tuple[int, str]], options: ScoringOptions
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
        return item
    if isinstance(item, tuple) and len(item) == 2:
        return PairRecord(item[0], item[1])
    msg = (
        f"pair {position} must be a PairRecord or a (ref, dist) tuple of paths, "
        f"got {type(item).__name__} {item!r}"
    )
    raise TypeError(msg)


def _groups(
    pairs: Sequence[PairRecord], chunk_size: int | None, workers: int = 1
) -> list[tuple[str, list[tuple[int, str]]]]:
    """Pairs grouped by reference (in order of first appearance), chunked.

    A reference's pairs are cut into chunks of at most ``chunk_size``, and
    of at most ``ceil(pairs / workers)``, so that a reference with few
    pairs is still shared by every worker rather than left to one while
    the others idle.
    """
    by_reference: dict[str, list[tuple[int, str]]] = {}
    for position, pair in enumerate(pairs):
        by_reference.setdefault(os.fspath(pair.ref), []).append(
            (position, os.fspath(pair.dist))
        )
    tasks: list[tuple[str, list[tuple[int, str]]]] = []
    for ref, members in by_reference.items():
        step = len(members)
        if chunk_size is not None:
            step = min(chunk_size, -(-len(members) // max(1, workers)))
        tasks.extend(
            (ref, members[start : start + step])
            for start in range(0, len(members), step)
        )
    return tasks


def score_pairs(
    pairs: Iterable[PairRecord | tuple[PathLike, PathLike]],
    /,
    *,
    executor: Executor | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    data_range: float | None = None,
    downsample: bool | int = True,
    gradient: GradientSpec = "scharr",
    precision: Precision = "float64",
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
        Distorted images per task with an executor (default 4); with a
        standard-library pool of ``w`` workers, a reference's ``n`` images
        go in chunks of at most ``ceil(n / w)`` too, so that every worker
        gets a share.  Smaller chunks give finer progress and lose less
        when a run is killed; a worker process keeps its last few prepared
        references, so chunks of one reference that it runs in turn share
        the preparation.  Within a task the next images are decoded on a
        thread while the current one is scored.  Results do not depend on
        the chunk size nor on the number of workers.
    data_range : float, optional
        Data range for every image.  By default each file's bit depth sets
        it (255 or 65535), and a pair of different bit depths is an error.
    downsample, gradient, precision
        As for :func:`fsimlib.fsim`.  With a process pool or dask, a custom
        ``gradient`` must be picklable.

    Yields
    ------
    ScoreRecord
        One per pair, in the order they complete; ``record.index`` is the
        pair's position in ``pairs``, to restore the input order.

    Raises
    ------
    TypeError
        If an item of ``pairs`` is not a pair, or ``executor`` is not an
        Executor.
    ValueError
        If ``chunk_size`` is not a positive int, or (when the records are
        drawn) the executor is shut down and takes no tasks.

    See Also
    --------
    ScoreFile : the resumable CSV the command line writes records to.

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
    ...         fsimlib.score_pairs(pairs, executor=pool, chunk_size=1),
    ...         key=lambda record: record.index,
    ...     )
    >>> records[0].fsim > records[1].fsim
    True
    >>> records[2].error.startswith("no such image file")
    True
    """
    given: object = executor
    if given is not None and not isinstance(given, Executor):
        msg = (
            "executor must be a concurrent.futures.Executor (e.g. a "
            f"ProcessPoolExecutor or client.get_executor()), got "
            f"{type(given).__name__}"
        )
        raise TypeError(msg)
    if (
        isinstance(chunk_size, bool)
        or not isinstance(chunk_size, int)
        or chunk_size < 1
    ):
        msg = f"chunk_size must be a positive int, got {chunk_size!r}"
        raise ValueError(msg)
    items = [_as_pair(item, position) for position, item in enumerate(pairs)]
    options = ScoringOptions(data_range, downsample, gradient, precision)
    if executor is None:
        return _score_here(items, options)
    return _score_on(items, options, executor, chunk_size)


def _records(
    items: Sequence[PairRecord], outcomes: Iterable[_Outcome]
) -> Iterator[ScoreRecord]:
    for position, fsim, fsimc, error in outcomes:
        yield ScoreRecord(position, items[position], fsim, fsimc, error)


def _score_here(
    items: Sequence[PairRecord], options: ScoringOptions
) -> Iterator[ScoreRecord]:
    for ref, members in _groups(items, None):
        # Each record is yielded as soon as it is known.
        yield from _records(items, _score_group(ref, members, options))


def _workers_of(executor: Executor) -> int:
    """How many tasks ``executor`` runs at once, if it says; else 1.

    The standard library's pools keep it in ``_max_workers``; other
    executors (dask's) give no number, and chunks are then not narrowed.
    """
    workers = getattr(executor, "_max_workers", None)
    return workers if isinstance(workers, int) and workers > 0 else 1


def _score_on(
    items: Sequence[PairRecord],
    options: ScoringOptions,
    executor: Executor,
    chunk_size: int,
) -> Iterator[ScoreRecord]:
    futures: dict[Future[list[_Outcome]], list[tuple[int, str]]] = {}
    try:
        for ref, members in _groups(items, chunk_size, _workers_of(executor)):
            try:
                future = executor.submit(score_group, ref, members, options)
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


def read_pairs_csv(path: PathLike, /) -> tuple[list[str], list[PairRecord]]:
    r"""Read a table of pairs: columns ``ref`` and ``dist`` and any others.

    Parameters
    ----------
    path : str or os.PathLike
        A CSV file with a header row naming at least ``ref`` and ``dist``.
        Relative image paths are relative to the CSV's folder.

    Returns
    -------
    columns : list of str
        The header.
    pairs : list of PairRecord
        One per row, with absolute paths, and the row as read (verbatim) in
        ``fields``.

    Raises
    ------
    ValueError
        If the file is not such a table, or cannot be read (a folder, a
        path too long, no permission).
    FileNotFoundError
        If there is no file at ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import fsimlib
    >>> table = Path(tempfile.mkdtemp()) / "pairs.csv"
    >>> _ = table.write_text("ref,dist,mos\nr.png,d.png,4.5\n")
    >>> columns, pairs = fsimlib.read_pairs_csv(table)
    >>> columns, pairs[0].fields["mos"], Path(pairs[0].dist).parent == table.parent
    (['ref', 'dist', 'mos'], '4.5', True)
    """
    table = Path(path)
    try:
        with table.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = list(reader.fieldnames or [])
            rows = list(reader)
    except UnicodeDecodeError as error:
        msg = f"{table} is not a UTF-8 text CSV file: {error}"
        raise ValueError(msg) from error
    except FileNotFoundError:
        raise
    except OSError as error:  # a folder, a name too long, no permission
        shown = printable(os.fspath(table))
        if len(shown) > 200:
            shown = f"{shown[:100]}...{shown[-60:]} ({len(shown)} characters)"
        msg = f"cannot read the pairs table {shown}: {error.strerror or error}"
        raise ValueError(msg) from None
    except csv.Error as error:
        msg = f"{table} is not a valid CSV file: {error}"
        raise ValueError(msg) from error
    missing = [name for name in PAIR_COLUMNS if name not in columns]
    if missing:
        msg = (
            f"{table} must have columns 'ref' and 'dist' in its header row; "
            f"missing {', '.join(map(repr, missing))} (header: {columns})"
        )
        raise ValueError(msg)
    clash = [name for name in SCORE_COLUMNS if name in columns]
    if clash:
        msg = (
            f"{table} already has column(s) {', '.join(map(repr, clash))}, which "
            "the scores are written to; rename them"
        )
        raise ValueError(msg)
    if len(set(columns)) != len(columns):
        msg = f"{table} has repeated column names: {columns}"
        raise ValueError(msg)
    for number, row in enumerate(rows, start=2):
        if None in row or any(value is None for value in row.values()):
            msg = f"{table}, line {number}: expected {len(columns)} fields"
            raise ValueError(msg)
    base = table.resolve().parent
    pairs = [
        PairRecord(_resolve(row["ref"], base), _resolve(row["dist"], base), dict(row))
        for row in rows
    ]
    return columns, pairs


#: File name extensions :func:`pair_folders` takes for images.
IMAGE_SUFFIXES = frozenset(
    {".bmp", ".gif", ".jpeg", ".jpg", ".pbm", ".pgm", ".png", ".pnm", ".ppm"}
    | {".tif", ".tiff", ".webp"}
)
_SEPARATORS = ("_", "-", ".")


def pair_folders(
    ref_dir: PathLike, dist_dir: PathLike, /, *, relative_to: PathLike | None = None
) -> list[PairRecord]:
    """Pair distorted images with references by file name, as datasets do.

    The naming rule: a distorted image belongs to the reference whose file
    name without extension (its stem) begins the distorted image's stem,
    compared case-insensitively, followed by ``_``, ``-`` or ``.`` or by
    nothing; if several references match, the longest stem wins.  This
    covers TID2013 and KADID-10k (``I01.BMP`` and ``i01_08_3.bmp``), CSIQ
    (``1600.png`` and ``awgn/1600.AWGN.1.png``) and folders of
    ``name.png`` / ``name_jpeg_q10.png``.

    References are the image files directly in ``ref_dir``; distorted
    images are the image files anywhere under ``dist_dir`` (subfolders
    included), other than the references themselves.  When both are the
    same folder, an image whose name matches another's by the rule is a
    distorted image, not a reference.  Image files are
    those with the extensions in :data:`IMAGE_SUFFIXES` (any case).

    Parameters
    ----------
    ref_dir : str or os.PathLike
        Folder of reference images.
    dist_dir : str or os.PathLike
        Folder of distorted images (may be ``ref_dir``).
    relative_to : str or os.PathLike, optional
        Folder to write the ``ref`` and ``dist`` fields relative to (e.g.
        the output CSV's); absolute paths by default.

    Returns
    -------
    list of PairRecord
        One per distorted image, sorted by path, with fields ``ref`` and
        ``dist``.  A distorted image that matches no reference has
        ``ref == ""`` (scoring it gives an error record).

    Raises
    ------
    ValueError
        If a folder does not exist, or two references have the same stem.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import fsimlib
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ["refs/I01.BMP", "dist/i01_01_1.bmp", "dist/i02_01_1.bmp"]:
    ...     (root / name).parent.mkdir(exist_ok=True)
    ...     (root / name).touch()
    >>> pairs = fsimlib.pair_folders(root / "refs", root / "dist", relative_to=root)
    >>> [(pair.fields["ref"], pair.fields["dist"]) for pair in pairs]
    [('refs/I01.BMP', 'dist/i01_01_1.bmp'), ('', 'dist/i02_01_1.bmp')]
    """
    folders = []
    for name, folder in (("reference", ref_dir), ("distorted", dist_dir)):
        resolved = Path(folder).resolve()
        if not resolved.is_dir():
            msg = f"{name} folder {folder} does not exist or is not a folder"
            raise ValueError(msg)
        folders.append(resolved)
    refs_folder, dists_folder = folders
    candidates = [
        path
        for path in sorted(refs_folder.iterdir())
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
    ]
    if refs_folder == dists_folder:
        names = {path.stem.lower() for path in candidates}
        candidates = [
            path
            for path in candidates
            if not any(
                stem != path.stem.lower() and _matches(path.stem.lower(), stem)
                for stem in names
            )
        ]
    references: dict[str, Path] = {}
    for path in candidates:
        stem = path.stem.lower()
        if stem in references:
            msg = (
                f"references {references[stem].name} and {path.name} have the "
                "same name; the naming rule needs one reference per name"
            )
            raise ValueError(msg)
        references[stem] = path
    # Longest first, so that "img1" does not take the images of "img10".
    stems = sorted(references, key=len, reverse=True)
    reference_paths = set(references.values())
    base = None if relative_to is None else Path(relative_to).resolve()
    pairs = []
    for path in sorted(dists_folder.rglob("*")):
        if (
            not path.is_file()
            or path.suffix.lower() not in IMAGE_SUFFIXES
            or path in reference_paths
        ):
            continue
        name = path.stem.lower()
        match = next((references[stem] for stem in stems if _matches(name, stem)), None)
        ref = "" if match is None else os.fspath(match)
        fields = {"ref": _shown(match, base), "dist": _shown(path, base)}
        pairs.append(PairRecord(ref, os.fspath(path), fields))
    return pairs


def _matches(name: str, stem: str) -> bool:
    """Whether a distorted image's lower-case stem belongs to reference ``stem``."""
    if name == stem:
        return True
    return name.startswith(stem) and name[len(stem)] in _SEPARATORS


def _shown(path: Path | None, base: Path | None) -> str:
    r"""``path`` as written in a table: relative to ``base`` where it can be.

    Bytes of a file name that are not UTF-8 are shown as ``\xNN``: the
    table stays UTF-8 text and names the file readably.
    """
    if path is None:
        return ""
    shown = path.as_posix()
    if base is not None:
        with contextlib.suppress(ValueError):  # another drive, on Windows
            shown = Path(os.path.relpath(path, base)).as_posix()
    return printable(shown)


def printable(text: str) -> str:
    r"""Return ``text`` with undecodable file-name bytes written as ``\xNN``."""
    try:
        raw = text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # surrogates that are not escaped bytes
        return text.encode("utf-8", errors="backslashreplace").decode("utf-8")
    return raw.decode("utf-8", errors="backslashreplace")


def _resolve(value: str, base: Path) -> str:
    if not value.strip():
        return ""
    return os.fspath(base / value.strip())


def provenance(
    *,
    data_range: float | None = None,
    downsample: bool | int = True,
    gradient: GradientSpec = "scharr",
    precision: Precision = "float64",
) -> dict[str, object]:
    """How scores made with these options of :func:`score_pairs` are computed.

    The fsimlib version, the FFT engine and inner loops in force, and the
    options: what a :class:`ScoreFile` records in its first line, and what
    must match for a run to add rows to an existing file.

    Examples
    --------
    >>> from fsimlib._pipeline import provenance
    >>> provenance(gradient="sobel")["options"]["gradient"]
    'sobel'
    """
    from . import __version__

    return {
        "fsimlib": __version__,
        "engine": get_engine().name,
        "loops": get_kernels().name,
        "precision": precision,
        "options": {
            "data_range": data_range,
            "downsample": downsample,
            "gradient": gradient if isinstance(gradient, str) else repr(gradient),
            "precision": precision,
        },
    }


class ScoreFile:
    """A CSV of scores that is appended row by row and can be resumed.

    The first line records how the scores were made (see
    :func:`provenance`): ``# fsimlib <version> {json}``; skip it with e.g.
    ``pandas.read_csv(path, skiprows=1)``.  Then come the pair table's
    columns, then ``fsim``, ``fsimc`` and ``error``.  Rows are appended in
    the order pairs complete, each handed to the operating system at once,
    so a run that is killed keeps every row it wrote.  They reach the disk
    itself (``fsync``) with the first row written a second or more after
    the previous sync, and whenever the file is rewritten, so a crash of
    the whole machine loses at most about the last second of rows.
    :meth:`resume` reads such a file back (dropping a last line cut short
    by a kill) and says which pairs are left; :meth:`finish` rewrites the
    complete table in the order of the pairs, and checks that no row is
    missing.

    Safety rules:

    * A file that is not a score file of this table (another header, or not
      a CSV at all) is refused, after reading at most its first 64 KiB;
      a score file made with other settings is refused, naming the
      differences, unless ``restart=True`` is passed to :meth:`resume`.
    * One writer per file: :meth:`locked` holds an operating-system lock on
      ``<path>.lock`` (the lock file may stay behind; it is harmless, since
      the lock itself is released by the system when the process ends).
    * Rows are appended without following symbolic links, and only to the
      file this object created or checked: if it is deleted or replaced
      while rows are written, :meth:`write` raises ``ValueError``.
    * Rewrites go to a temporary file ``.<name>.XXXXXXXX.tmp`` in the same
      folder, renamed over the file; such files left by a killed run are
      removed by the next :meth:`resume`.  Files get the permissions
      ``open()`` would give them.
    * Text cells are neutralised against spreadsheet formulas (a leading
      ``'`` before ``=``, ``+``, ``-``, ``@``, tab or carriage return; see
      :func:`fsimlib._scorefile.neutralise_cell`) and restored when read.

    A row of the file stands for the pair whose input fields it repeats;
    identical input rows are matched one to one.

    Parameters
    ----------
    path : str or os.PathLike
        The output CSV.
    columns : sequence of str
        The pair table's columns (the fields of each :class:`PairRecord`).
    settings : mapping, optional
        How the scores are made, as :func:`provenance` returns; by default
        that of :func:`score_pairs`' default options.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import fsimlib
    >>> output = Path(tempfile.mkdtemp()) / "scores.csv"
    >>> pairs = [
    ...     fsimlib.PairRecord("r.png", f"d{i}.png", {"id": str(i)}) for i in range(3)
    ... ]
    >>> scores = fsimlib.ScoreFile(output, ["id"])
    >>> with scores.locked():
    ...     scores.resume(pairs)
    ...     scores.write(fsimlib.ScoreRecord(1, pairs[1], 0.9, 0.8, None))
    ...     scores.resume(pairs)
    [0, 1, 2]
    [0, 2]
    """

    def __init__(
        self,
        path: PathLike,
        columns: Sequence[str],
        *,
        settings: Mapping[str, object] | None = None,
    ) -> None:
        self.path = Path(path)
        self.columns = [*columns, *SCORE_COLUMNS]
        self._inputs = list(columns)
        self.settings = dict(provenance() if settings is None else settings)
        # (device, inode, size) of the file as this object last left it.
        self._identity: tuple[int, int, int] | None = None
        # When write() last synced the file to the disk (time.monotonic()).
        self._synced_at = -math.inf

    def _key(self, fields: Mapping[str, str]) -> tuple[str, ...]:
        return tuple(str(fields.get(name, "")) for name in self._inputs)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file's lock for a ``with`` block: one writer at a time.

        Raises
        ------
        ValueError
            At once, if another process holds it.
        """
        from filelock import FileLock, Timeout

        lock = FileLock(f"{self.path}.lock", timeout=0, mode=default_file_mode())
        try:
            lock.acquire()
        except Timeout:
            msg = (
                f"another run is writing {self.path} (it holds {lock.lock_file}); "
                "wait for it to finish or use another output file"
            )
            raise ValueError(msg) from None
        try:
            yield
        finally:
            lock.release()

    def _existing(self) -> tuple[bool, Mapping[str, object] | None]:
        """Whether the file holds a table of ours, and its provenance.

        Reads at most the first 64 KiB; refuses anything but a score file of
        this table.
        """
        try:
            head = read_head(self.path)
        except FileNotFoundError:
            return False, None
        except IsADirectoryError:
            msg = f"{self.path} is a folder; expected a CSV file to write scores to"
            raise ValueError(msg) from None
        except OSError as error:
            if error.errno == errno.ELOOP:
                msg = (
                    f"{self.path} is a symbolic link; refusing to write through "
                    "it: give the real path of the output"
                )
                raise ValueError(msg) from None
            raise
        if head is None:  # an empty file: nothing to lose
            return False, None
        lines, _ = head
        found = parse_provenance(lines[0])
        rest = lines[1:] if found is not None else lines
        if found is not None and not rest:
            return False, found
        header = next(csv.reader(rest[:1]), [])
        if header != self.columns:
            msg = (
                f"{self.path} exists with columns {header[:12]}, not "
                f"{self.columns}; it is not a score file of this table: use "
                "another output file"
            )
            raise ValueError(msg)
        return True, found

    def read(self) -> list[dict[str, str]]:
        """Return the complete rows now in the file (none if there is no file).

        Returns
        -------
        list of dict
            Each row as read, its cells restored to their raw values.  A row
            cut short by a kill is left out.

        Raises
        ------
        ValueError
            If the file is not a score file of this table.
        """
        exists, _ = self._existing()
        if not exists:
            return []
        descriptor = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(descriptor, "rb") as handle:
            data = handle.read()
        # A kill can leave the last row without its newline: not complete.
        data = data[: data.rfind(b"\n") + 1]
        text = data.decode("utf-8", errors="replace")
        reader = csv.reader(skip_provenance(io.StringIO(text, newline="")))
        header = next(reader, None)
        if header is None:
            return []
        rows = []
        while True:
            try:
                rows.append(next(reader))
            except StopIteration:
                break
            except csv.Error:  # a quoted field cut short: the rest is lost
                break
        return [
            dict(zip(header, map(restore_cell, row), strict=True))
            for row in rows
            if len(row) == len(header)
        ]

    def resume(
        self,
        pairs: Sequence[PairRecord],
        *,
        retry_errors: bool = False,
        restart: bool = False,
    ) -> list[int]:
        """Make the file a clean table of the rows done; list the pairs left.

        Parameters
        ----------
        pairs : sequence of PairRecord
            All the pairs of the run, each with its row in ``fields``.
        retry_errors : bool, optional
            Drop the rows that failed, so that they are scored again.
        restart : bool, optional
            Drop every row of an existing score file of this table (one
            made with other settings included) and start over.

        Returns
        -------
        list of int
            Positions in ``pairs`` of the pairs still to score.

        Raises
        ------
        ValueError
            If the file is not a score file of this table (other columns,
            rows that are none of ``pairs``, not a CSV), or, unless
            ``restart``, was made with other settings or has no provenance
            line.
        """
        self._remove_temporaries()
        exists, found = self._existing()
        if exists and not restart:
            if found is None:
                msg = (
                    f"{self.path} does not say how its scores were made (no "
                    "'# fsimlib' first line); start over with --restart, or use "
                    "another output file"
                )
                raise ValueError(msg)
            if dict(found) != self.settings:
                msg = (
                    f"{self.path} was made with other settings "
                    f"({differences(found, self.settings)}); run with the same "
                    "options to resume, --restart to start over, or use "
                    "another output file"
                )
                raise ValueError(msg)
        rows = [] if restart else self.read()
        if retry_errors:
            rows = [row for row in rows if not row["error"]]
        pending = Counter(self._key(row) for row in rows)
        left = []
        for position, pair in enumerate(pairs):
            key = self._key(pair.fields)
            if pending[key] > 0:
                pending[key] -= 1
            else:
                left.append(position)
        strays = sum(pending.values())
        if strays:
            msg = (
                f"{self.path} holds {strays} row(s) that are not in the pairs "
                "table; it holds scores of another table: use another output "
                "file or delete it"
            )
            raise ValueError(msg)
        self._rewrite(rows)
        return left

    def write(self, record: ScoreRecord) -> None:
        """Append the row of ``record`` and flush it to disk.

        Parameters
        ----------
        record : ScoreRecord
            The scores (or error) of a pair, whose ``fields`` are its row.

        Raises
        ------
        ValueError
            If the file was deleted, replaced or made a symbolic link since
            this object last wrote it, or is not a score file of this
            table made with these settings.
        """
        row = [
            neutralise_cell(str(record.pair.fields.get(name, "")))
            for name in self._inputs
        ]
        row += [
            "" if record.fsim is None else repr(record.fsim),
            "" if record.fsimc is None else repr(record.fsimc),
            neutralise_cell(printable(record.error or "")),
        ]
        line = _csv_line(row)
        if self._identity is None:
            # Not resumed: check what is there, as resume would.
            exists, found = self._existing()
            if exists and (found is None or dict(found) != self.settings):
                msg = (
                    f"{self.path} holds scores made with other settings; "
                    "resume it with the same settings or use another file"
                )
                raise ValueError(msg)
            self._rewrite(self.read())
        flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(self.path, flags)
        except OSError as error:
            if error.errno not in {errno.ENOENT, errno.ELOOP}:
                raise
            raise ValueError(self._lost()) from None
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
            status = os.fstat(descriptor)
            if (status.st_dev, status.st_ino, status.st_size) != self._identity:
                raise ValueError(self._lost())
            handle.write(line)
            handle.flush()
            now = time.monotonic()
            if now - self._synced_at >= SYNC_INTERVAL:
                os.fsync(handle.fileno())
                self._synced_at = now
            status = os.fstat(descriptor)
        self._identity = (status.st_dev, status.st_ino, status.st_size)

    def _lost(self) -> str:
        return (
            f"{self.path} was deleted, replaced or made a link while scores were "
            "written to it; the rows it lost are not saved anywhere: run the "
            "same command again to score them"
        )

    def finish(self, pairs: Sequence[PairRecord]) -> list[dict[str, str]]:
        """Rewrite the file with its rows in the order of ``pairs``.

        Parameters
        ----------
        pairs : sequence of PairRecord
            All the pairs of the run.

        Returns
        -------
        list of dict
            The rows, in order.

        Raises
        ------
        ValueError
            If the file does not hold exactly one row per pair (rows were
            lost, e.g. the file was deleted or replaced during the run).
        """
        rows = self.read()
        slots: dict[tuple[str, ...], list[int]] = {}
        for position, pair in enumerate(pairs):
            slots.setdefault(self._key(pair.fields), []).append(position)
        positions = []
        for row in rows:
            queue = slots.get(self._key(row))
            positions.append(queue.pop(0) if queue else len(pairs))
        missing = sum(len(queue) for queue in slots.values())
        if missing or len(rows) != len(pairs):
            msg = (
                f"{self.path} has {len(rows)} row(s) for {len(pairs)} pairs "
                f"({missing} missing): it was changed by something else during "
                "the run; run the same command again to score the missing pairs"
            )
            raise ValueError(msg)
        ranked = sorted(zip(positions, rows, strict=True), key=lambda item: item[0])
        ordered = [row for _, row in ranked]
        self._rewrite(ordered)
        return ordered

    def _temporary_pattern(self) -> re.Pattern[str]:
        return re.compile(rf"\.{re.escape(self.path.name)}\.[a-z0-9_]{{8}}\.tmp")

    def _remove_temporaries(self) -> None:
        """Remove the temporary files a killed rewrite of this file left."""
        pattern = self._temporary_pattern()
        try:
            entries = list(os.scandir(self.path.parent))
        except FileNotFoundError:
            return
        for entry in entries:
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                Path(entry.path).unlink(missing_ok=True)

    def _rewrite(self, rows: Sequence[Mapping[str, str]]) -> None:
        """Replace the file by ``rows`` atomically (a kill keeps the old one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            if hasattr(os, "fchmod"):  # not on Windows before Python 3.13
                os.fchmod(descriptor, default_file_mode())
            with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as handle:
                settings = {k: v for k, v in self.settings.items() if k != "fsimlib"}
                version = str(self.settings.get("fsimlib", ""))
                handle.write(provenance_line(version, settings) + "\n")
                handle.write(_csv_line(self.columns))
                handle.writelines(
                    _csv_line(
                        [_written(name, row.get(name, "")) for name in self.columns]
                    )
                    for row in rows
                )
                handle.flush()
                os.fsync(handle.fileno())
                status = os.fstat(handle.fileno())
            Path(name).replace(self.path)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        self._identity = (status.st_dev, status.st_ino, status.st_size)


def _written(column: str, value: str) -> str:
    """Return a cell as written: text neutralised, the scores as they are."""
    if column in {"fsim", "fsimc"}:
        return value
    return neutralise_cell(value)


def _csv_line(cells: Sequence[str]) -> str:
    r"""Return one CSV row ending in ``\n``, with every line break inside quotes.

    The csv module quotes ``\n`` but not a lone ``\r`` when rows end in
    ``\n``, and such a row reads back as two; rows with one are quoted in
    full.
    """
    line = io.StringIO()
    if any("\r" in cell for cell in cells):
        csv.writer(line, lineterminator="\n", quoting=csv.QUOTE_ALL).writerow(cells)
    else:
        csv.writer(line, lineterminator="\n").writerow(cells)
    return line.getvalue()
