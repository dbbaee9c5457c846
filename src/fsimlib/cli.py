"""The ``fsimlib`` command: compare two images, score a dataset, correlate.

Exit codes: 0 when everything was scored, 1 when a comparison or some rows
of a batch failed (the reason is in the ``error`` column), 2 for usage
errors (bad options, unreadable tables, refused or busy outputs), 130 when
interrupted, 128 + the signal's number when stopped by SIGTERM or SIGHUP.
Errors are one line on stderr, ``fsimlib: error: ...``.
"""

from __future__ import annotations

import csv
import errno
import importlib.util
import json
import math
import multiprocessing
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import click

from . import __version__
from ._cli_options import score_options
from ._examples import example_pairs
from ._io import read_image
from ._metric import compare as compare_images
from ._options import FSIMOptions
from .backends import available_fft_engines, available_loops
from .datasets import (
    DEFAULT_CHUNK_SIZE,
    PairRecord,
    ScoreFile,
    pair_folders,
    provenance,
    read_pairs_csv,
    score_pairs,
)
from .datasets._format import default_file_mode, restore_cell, skip_provenance
from .stats import Correlation, correlate

#: Exit code of a run in which some comparison failed.
EXIT_FAILED_ROWS = 1
#: Exit code of a usage error (click's own).
EXIT_USAGE = 2
#: Exit code after Ctrl+C, as shells report SIGINT.
EXIT_INTERRUPTED = 130
#: Signals that stop a batch cleanly (workers ended, output resumable); the
#: exit code is then 128 + the signal's number, as shells report it.
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class _Refused(click.ClickException):
    """A one-line refusal (exit code 2) without the usage hint."""

    exit_code = 2


def _version_message() -> str:
    """``fsimlib --version``: the version, the FFT engine and the loops in use.

    Whether the compiled loops were built is worth seeing at a glance: the
    numpy fallback gives the same scores at about half the speed.
    """
    if available_loops()[0] == "compiled":
        from . import _ckernels

        paths = ", ".join(_ckernels.VECTOR_PATHS) or "portable C only"
        loops = f"compiled ({paths})"
    else:
        loops = "numpy (no compiled loops: about 2x slower, same scores)"
    return (
        f"fsimlib, version {__version__}\n"
        f"FFT engine: {available_fft_engines()[0]}\n"
        f"loops: {loops}"
    )


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """Print :func:`_version_message` and exit (an eager ``--version`` flag)."""
    if not value or ctx.resilient_parsing:
        return
    click.echo(_version_message())
    ctx.exit()


def _default_processes() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


#: The process count of the commands that score many pairs.
_PROCESSES_OPTION = click.option(
    "-j",
    "--processes",
    type=click.IntRange(min=1),
    default=_default_processes,
    show_default="one per CPU",
    help="Worker processes; 1 scores in this process.",
)
_PROGRESS_OPTION = click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="Show a progress bar (rate, time left) on stderr.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version, the FFT engine and the loops in use, and exit.",
)
def cli() -> None:
    """FSIM and FSIMc image quality: compare images, score datasets, correlate.

    \b
    fsimlib example                         scores of built-in example pairs
    fsimlib compare REF DIST                scores of one pair
    fsimlib batch PAIRS.csv -o SCORES.csv   scores of a table of pairs
    fsimlib correlate SCORES.csv --mos MOS  agreement with human opinion
    fsimlib evaluate ROOT --database NAME   a whole IQA database (TID2013, ...)
    fsimlib demo                            the interactive web demo

    Run 'fsimlib COMMAND --help' for each command's options.  Exit codes:
    0 success, 1 some comparison failed, 2 usage error, 130 interrupted.
    """  # noqa: D301 - \b is click's marker for a verbatim paragraph


# --------------------------------------------------------------------------
# example


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def example(*, as_json: bool) -> int:
    """Print FSIM and FSIMc of the built-in example pairs.

    The pairs are scikit-image's pictures (astronaut, camera, coffee) with
    fixed distortions (JPEG, Gaussian noise, blur); no files are needed.
    Near-lossless pairs score close to 1, visibly distorted ones lower.
    """
    scored = [
        (pair, compare_images(pair.reference, pair.distorted))
        for pair in example_pairs()
    ]
    if as_json:
        rows = [
            {
                "pair": pair.label,
                "shape": list(pair.reference.shape),
                "fsim": result.fsim,
                "fsimc": result.fsimc,
            }
            for pair, result in scored
        ]
        click.echo(json.dumps(rows, indent=2))
        return 0
    width = max(len(pair.label) for pair, _ in scored)
    click.echo(f"{'pair':<{width}}  {'FSIM':>8}  {'FSIMc':>8}")
    for pair, result in scored:
        click.echo(f"{pair.label:<{width}}  {result.fsim:8.4f}  {result.fsimc:8.4f}")
    return 0


# --------------------------------------------------------------------------
# compare


@cli.command()
@click.argument("ref", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("dist", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option(
    "--map",
    "map_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        "Write the local similarity map to this PNG: a heat map at the "
        "processing size (the images as scored, after --downsample: one map "
        "pixel per block of input pixels), FSIM's S_PC*S_G (with the chroma "
        "term S_C for colour images) on the fixed scale 0..1, with a colour "
        "bar.  Never an input image, a symbolic link or a file fsimlib did "
        "not write.  Needs matplotlib (pip install 'fsimlib[plot]')."
    ),
)
@click.option(
    "--metric",
    type=click.Choice(["fsim", "fsimc", "both"]),
    default="both",
    show_default=True,
    help="The score(s) to print: FSIM, FSIMc (with the colour term) or both.",
)
@score_options
def compare(
    ref: Path,
    dist: Path,
    *,
    as_json: bool,
    map_path: Path | None,
    metric: str,
    options: FSIMOptions,
) -> int:
    """Print FSIM and FSIMc of a reference image REF and a distorted image DIST.

    The files may be PNG, JPEG, TIFF, BMP or any format Pillow reads, 8- or
    16-bit, greyscale or RGB; the data range is that of the file's bit
    depth (255 or 65535) and both files must have the same, unless
    --data-range gives it.  For greyscale images FSIMc equals FSIM.  Exit
    code 1 if the images cannot be read or compared.
    """
    if map_path is not None:
        _check_map_path(map_path, (ref, dist))
    try:
        reference, ref_range = read_image(ref)
        distorted, dist_range = read_image(dist)
        if options.data_range is None and ref_range != dist_range:
            msg = (
                f"{ref} has data range {ref_range:g} but {dist} has "
                f"{dist_range:g}; expected files of the same bit depth"
            )
            raise ValueError(msg)
        result = compare_images(reference, distorted, **options.keywords())
    except _reading_errors() as error:
        raise click.ClickException(" ".join(str(error).split())) from error
    except MemoryError as error:
        msg = f"not enough memory to compare {ref} and {dist}"
        raise click.ClickException(msg) from error
    settings = provenance(options)
    colour = reference.ndim == 3
    scores = {
        name: value
        for name, value in (("fsim", result.fsim), ("fsimc", result.fsimc))
        if metric in (name, "both")
    }
    if as_json:
        payload = {
            "ref": str(ref),
            "dist": str(dist),
            **scores,
            "data_range": ref_range
            if options.data_range is None
            else options.data_range,
            "shape": list(reference.shape),
            "downsample_factor": result.downsample_factor,
            "map": None if map_path is None else str(map_path),
            "provenance": settings,
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        for name, value in scores.items():
            click.echo(f"{_LABELS[name]:<6} {value:.10f}")
    # After the scores, so that a map that cannot be written (matplotlib
    # missing, say) does not cost the scores already computed.
    if map_path is not None:
        values = result.chromatic_similarity_map if colour else result.similarity_map
        label = (
            "local similarity S_PC·S_G·S_C" if colour else "local similarity S_PC·S_G"
        )
        _write_map(values, map_path, label=label, settings=settings)
    return 0


#: How the scores are labelled on the terminal.
_LABELS = {"fsim": "FSIM", "fsimc": "FSIMc"}


#: The PNG text chunk that marks a map as written by fsimlib.
_MAP_SOFTWARE = "fsimlib"


def _reading_errors() -> tuple[type[Exception], ...]:
    """Errors that reading or comparing images reports for bad input.

    Pillow's DecompressionBombError (an image declaring far more pixels
    than its file holds) derives from Exception alone.
    """
    errors: tuple[type[Exception], ...] = (OSError, ValueError, TypeError)
    try:
        from PIL.Image import DecompressionBombError
    except ImportError:  # pragma: no cover - Pillow is a dependency
        return errors
    return (*errors, DecompressionBombError)


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve() or one.samefile(other)
    except OSError:
        return False


def _check_map_path(map_path: Path, inputs: Sequence[Path]) -> None:
    """Refuse a --map path that is an input, a link, or a file not ours."""
    for given in inputs:
        if _same_file(map_path, given):
            msg = f"--map {map_path} is the input image {given}; give another file"
            raise _Refused(msg)
    if map_path.is_symlink():
        msg = f"--map {map_path} is a symbolic link; give the real path"
        raise _Refused(msg)
    if map_path.exists():
        try:
            with map_path.open("rb") as handle:
                head = handle.read(64 * 1024)
        except OSError as error:
            msg = f"cannot check --map {map_path}: {error.strerror}"
            raise _Refused(msg) from error
        if b"tEXtSoftware\x00" + _MAP_SOFTWARE.encode() not in head:
            msg = (
                f"--map {map_path} exists and is not a map fsimlib wrote; "
                "refusing to overwrite it: give another file"
            )
            raise _Refused(msg)


def _write_map(
    values: Any,  # noqa: ANN401 - a float map; numpy is not imported here
    map_path: Path,
    *,
    label: str,
    settings: dict[str, object],
) -> None:
    """Write the heat map beside its final name, then rename it into place."""
    from ._heatmap import save_similarity_map

    folder = map_path.parent
    try:
        descriptor, name = tempfile.mkstemp(
            dir=folder, prefix=f".{map_path.name}.", suffix=".tmp"
        )
    except OSError as error:
        msg = f"cannot write --map {map_path}: {error.strerror}"
        raise click.ClickException(msg) from error
    temporary = Path(name)
    try:
        os.close(descriptor)
        save_similarity_map(
            values,
            temporary,
            label=label,
            metadata={
                "Software": f"{_MAP_SOFTWARE} {settings['fsimlib']}",
                "Description": json.dumps(settings),
            },
        )
        temporary.chmod(default_file_mode())
        temporary.replace(map_path)
    except (ImportError, OSError) as error:
        temporary.unlink(missing_ok=True)
        raise click.ClickException(" ".join(str(error).split())) from error
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------
# batch


def _worker_setup() -> None:
    """Prepare a worker process of the batch pool.

    Ctrl+C reaches the main process only, which stops the workers; and a
    worker ends itself when the main process is gone (even killed with
    SIGKILL, which nothing can catch), instead of waiting for work forever.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(
            target=_exit_with, args=(parent,), name="fsimlib-parent-watch", daemon=True
        ).start()


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the parent process has ended
    os._exit(1)


class _Stopped(Exception):  # noqa: N818 - a signal, not an error
    """Raised in the main thread when a stop signal arrives."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop_exception(signum: int) -> BaseException:
    """Return the exception a stop signal raises: Ctrl+C's own, or _Stopped."""
    return KeyboardInterrupt() if signum == signal.SIGINT else _Stopped(signum)


@contextmanager
def _stop_signals_raise() -> Iterator[list[int]]:
    """Turn SIGINT, SIGTERM and SIGHUP into exceptions inside the block.

    The handler raises at once, and also records the signal in the list
    it yields: an exception raised while Python happens to run a finaliser
    (garbage collection, a weak reference's callback) is printed and
    dropped, so the caller checks the list after each row as well.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def stop(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        raise _stop_exception(signum)

    # A signal the command was started ignoring stays ignored: Ctrl+C for a
    # job a script ran in the background, SIGHUP under nohup.
    previous = {
        number: signal.signal(number, stop)
        for number in (signal.SIGINT, *STOP_SIGNALS)
        if signal.getsignal(number) is not signal.SIG_IGN
    }
    try:
        yield received
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's worker processes now, mid-task, and shut it down."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+
    if terminate is not None:
        terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        return
    # Before 3.14 the pool has no public way to stop running workers; its
    # table of worker processes is the only handle on them.
    processes = dict(getattr(pool, "_processes", None) or {})
    previous = threading.excepthook
    threading.excepthook = _quiet_cancelled_futures(previous)
    try:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            process.join(timeout=30)
        pool.shutdown(wait=True, cancel_futures=True)
    finally:
        threading.excepthook = previous


def _quiet_cancelled_futures(
    previous: Any,  # noqa: ANN401 - threading.excepthook's type is private
) -> Any:  # noqa: ANN401
    """Wrap ``threading.excepthook`` to drop one harmless pool error.

    Python before 3.12 lets the pool's manager thread fail with
    InvalidStateError when it marks a future that was cancelled as broken
    (it does so after its workers are stopped); the futures are ours and
    already given up, so the traceback would only alarm.
    """
    from concurrent.futures import InvalidStateError

    def hook(arguments: Any) -> None:  # noqa: ANN401
        if not issubclass(arguments.exc_type, InvalidStateError):
            previous(arguments)

    return hook


def _worker_preload() -> list[str]:
    """Modules the fork server imports once, before it forks each worker.

    Without them every worker imported fsimlib's scoring modules and pyFFTW
    (which imports dask.array where dask is installed) on its first task:
    measured, 1.1 s of start-up for two workers against 0.3 s.  A module
    that cannot be imported is skipped by the fork server.
    """
    modules = ["__main__", "fsimlib.datasets._scoring"]
    if importlib.util.find_spec("pyfftw") is not None:
        modules.append("pyfftw")
    return modules


def _pool_context() -> multiprocessing.context.BaseContext:
    """How worker processes start: from a fork server where there is one.

    Fork is unsafe once threads (the progress bar's, FFTW's) exist; spawn
    where there is no fork server (Windows).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_worker_preload())
    return context


def _start_worker_server(workers: int) -> None:
    """Start the fork server now, when ``workers`` processes will be needed.

    The fork server imports the scoring modules and pyFFTW (about 0.5 s)
    before it forks the first worker.  Started when a command starts, it
    does so while this process reads the table, checks the output and
    names the FFT engine (about 0.4 s), rather than after: measured,
    ``batch -j 2`` on 2000 pairs of 512 x 384 PNGs took 0.3 s less.  A
    command that then stops early leaves nothing behind: the server ends
    with this process.
    """
    if workers > 1 and _pool_context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


@contextmanager
def _executor(workers: int) -> Iterator[Executor | None]:
    """Run in a pool of ``workers`` processes, or here (None) for one.

    When the block ends by an exception (Ctrl+C, a stop signal, a write
    error) the workers are stopped at once rather than left to finish.
    """
    if workers == 1:
        yield None
        return
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_pool_context(),
        initializer=_worker_setup,
    )
    try:
        yield pool
    except BaseException:
        _end_workers(pool)
        raise
    pool.shutdown(wait=True, cancel_futures=True)


def _batch_pairs(
    pairs_csv: Path | None,
    ref_dir: Path | None,
    dist_dir: Path | None,
    output: Path,
) -> tuple[list[str], list[PairRecord]]:
    if pairs_csv is not None and (ref_dir or dist_dir):
        msg = "give either PAIRS.csv or --ref-dir and --dist-dir, not both"
        raise click.UsageError(msg)
    if pairs_csv is None:
        if ref_dir is None or dist_dir is None:
            msg = "give PAIRS.csv, or both --ref-dir and --dist-dir (folder mode)"
            raise click.UsageError(msg)
        try:
            pairs = pair_folders(ref_dir, dist_dir, relative_to=output.parent)
        except ValueError as error:
            raise click.UsageError(str(error)) from error
        return ["ref", "dist"], pairs
    try:
        return read_pairs_csv(pairs_csv)
    except (ValueError, OSError) as error:
        raise click.UsageError(str(error)) from error


@cli.command()
@click.argument(
    "pairs_csv",
    metavar="[PAIRS.csv]",
    required=False,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The scores CSV to write, or to resume if it exists.",
)
@click.option(
    "--ref-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder mode: the folder of reference images.",
)
@click.option(
    "--dist-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder mode: the folder of distorted images (searched recursively).",
)
@_PROCESSES_OPTION
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=DEFAULT_CHUNK_SIZE,
    show_default=True,
    help=(
        "The most distorted images of one reference per worker task; chunks "
        "shrink towards the end of the run."
    ),
)
@click.option(
    "--retry-errors",
    is_flag=True,
    help="Score again the rows of an existing output that failed.",
)
@click.option(
    "--restart",
    is_flag=True,
    help=(
        "Drop the rows of an existing output (a score file of this table, "
        "made with any options) and start over."
    ),
)
@_PROGRESS_OPTION
@score_options
def batch(
    pairs_csv: Path | None,
    *,
    output: Path,
    ref_dir: Path | None,
    dist_dir: Path | None,
    processes: int,
    chunk_size: int,
    retry_errors: bool,
    restart: bool,
    progress: bool,
    options: FSIMOptions,
) -> int:
    """Score every pair of a table (or of two folders) into a CSV.

    PAIRS.csv has a header row with columns 'ref' and 'dist' (image paths,
    relative to the CSV's folder) and any others (MOS, distortion labels),
    which are carried through.  The output has the same columns, then
    'fsim', 'fsimc' and 'error'.

    Folder mode (--ref-dir R --dist-dir D, no PAIRS.csv): each image under
    D (subfolders included) is paired with the image in R whose file name
    without extension begins its own, case-insensitively, followed by '_',
    '-', '.' or nothing (the longest such name wins).  The output's 'ref'
    and 'dist' are relative to the output's folder.  For example:

    \b
      R/I01.BMP   <- D/i01_08_3.bmp            (TID2013, KADID-10k)
      R/1600.png  <- D/blur/1600.BLUR.2.png    (CSIQ)

    Each reference is read and prepared once per task and reused for its
    distorted images.  Each row is written and flushed as soon as it is
    scored, in the order rows complete, so an interrupted run loses
    nothing; running the same command again skips the rows already in the
    output (a partly written last line is dropped) and, once all are done,
    rewrites the output in the order of the input.  A missing, corrupt or
    mismatched file gives a row whose 'error' column says why, and the run
    goes on.  Exit code 0 if every row was scored, 1 if any row failed.

    The output's first line records the fsimlib version, engine, loops and
    options; resuming with other options is refused (--restart starts
    over).  One run at a time per output (a lock on OUTPUT.lock); a file
    that is not a score file of this table is never overwritten.  Text
    cells beginning with = + - @, tab or CR get a leading ' so that
    spreadsheets do not run them as formulas.  SIGTERM and SIGHUP stop the
    workers and leave the output resumable (exit 128 + signal).
    """  # noqa: D301 - \b is click's marker for a verbatim paragraph
    _start_worker_server(processes)
    columns, pairs = _batch_pairs(pairs_csv, ref_dir, dist_dir, output)
    if pairs_csv is not None and _same_file(output, pairs_csv):
        msg = f"the output {output} is the pairs table; give another file"
        raise _Refused(msg)
    settings = provenance(options)
    table = ScoreFile(output, columns, settings=settings)
    try:
        with table.locked():
            return _run_batch(
                table,
                pairs,
                processes=processes,
                chunk_size=chunk_size,
                retry_errors=retry_errors,
                restart=restart,
                progress=progress,
                options=options,
            )
    except ValueError as error:  # the lock is held by another run
        raise _Refused(" ".join(str(error).split())) from error
    except OSError as error:
        msg = f"cannot use {output}: {error.strerror or error}"
        raise _Refused(msg) from error


def _run_batch(
    table: ScoreFile,
    pairs: Sequence[PairRecord],
    *,
    processes: int,
    chunk_size: int,
    retry_errors: bool,
    restart: bool,
    progress: bool,
    options: FSIMOptions,
) -> int:
    """Score the pairs left into ``table``, holding its lock."""
    output = table.path
    try:
        left = table.resume(pairs, retry_errors=retry_errors, restart=restart)
    except (ValueError, OSError) as error:
        message = str(error) if isinstance(error, ValueError) else _os_error(error)
        raise _Refused(" ".join(message.split())) from error
    done = len(pairs) - len(left)
    todo = [pairs[position] for position in left]
    from tqdm import tqdm

    bar = tqdm(
        total=len(pairs),
        initial=done,
        unit="pair",
        desc="scoring",
        file=sys.stderr,
        disable=not progress,
        dynamic_ncols=True,
    )
    written = 0
    try:
        with (
            _stop_signals_raise() as received,
            _executor(min(processes, max(1, len(todo)))) as executor,
        ):
            records = score_pairs(
                todo, executor=executor, chunk_size=chunk_size, **options.keywords()
            )
            for record in records:
                table.write(record)
                written += 1
                bar.update(1)
                if received:  # its exception was raised in a finaliser, and lost
                    raise _stop_exception(received[0])
    except (KeyboardInterrupt, _Stopped) as stop:
        bar.close()
        written = _rows_in(table, default=done + written) - done
        name = (
            "interrupted"
            if isinstance(stop, KeyboardInterrupt)
            else (f"stopped by {signal.Signals(stop.signum).name}")
        )
        click.echo(
            f"fsimlib: {name} after {done + written} of {len(pairs)} rows; "
            "run the same command again to resume",
            err=True,
        )
        if isinstance(stop, _Stopped):
            return 128 + stop.signum
        return EXIT_INTERRUPTED
    except OSError as error:
        bar.close()
        msg = (
            f"cannot write {output}: {_os_error(error)}; the "
            f"{done + written} rows written so far are kept: run the same command "
            "again to resume"
        )
        raise click.ClickException(msg) from error
    except ValueError as error:  # the output was deleted or replaced
        bar.close()
        raise click.ClickException(" ".join(str(error).split())) from error
    bar.close()
    try:
        rows = table.finish(pairs)
    except ValueError as error:
        raise click.ClickException(" ".join(str(error).split())) from error
    failed = sum(1 for row in rows if row["error"])
    click.echo(
        f"{len(rows)} pairs in {output}: {len(rows) - failed} scored, {failed} failed"
    )
    if failed:
        click.echo(
            f"fsimlib: {failed} row(s) failed; see the 'error' column of {output}",
            err=True,
        )
        return EXIT_FAILED_ROWS
    return 0


def _rows_in(table: ScoreFile, *, default: int) -> int:
    """Count the complete rows in the output (``default`` if unreadable)."""
    try:
        return len(table.read())
    except (OSError, ValueError):
        return default


def _os_error(error: OSError) -> str:
    """Say what an OSError was, in words (its message, not its repr)."""
    if error.errno == errno.ENOSPC:
        return "no space left on the device"
    return error.strerror or str(error)


# --------------------------------------------------------------------------
# correlate


#: A decimal number as a table cell holds it: ``3``, ``-0.25``, ``1e-3``.
#: Python's ``float`` also takes ``1_0`` (as 10), ``inf``, ``nan`` and
#: ``infinity``, none of which is a score.
_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _number(text: str, column: str, line: int, table: Path) -> float:
    value = math.nan
    if _DECIMAL.fullmatch(text.strip()):
        value = float(text)
    if not math.isfinite(value):
        msg = (
            f"{table}, line {line}: column {column!r} is {text!r}, not a "
            "number (expected a finite decimal such as 0.93 or 1e-3)"
        )
        raise click.UsageError(msg)
    return value


def _read_scores(
    table: Path, score: str, mos: str, by: str | None
) -> tuple[list[float], list[float], list[str], int]:
    try:
        with table.open(newline="", encoding="utf-8-sig") as handle:
            # A score file's provenance line is not part of the table, and
            # its text cells are neutralised against spreadsheet formulas.
            reader = csv.DictReader(skip_provenance(handle))
            header = list(reader.fieldnames or [])
            rows = [
                {
                    key: restore_cell(value) if isinstance(value, str) else value
                    for key, value in row.items()
                }
                for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        msg = f"cannot read {table}: {error}"
        raise click.UsageError(msg) from error
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        msg = (
            f"{table} has more than one column named {', '.join(map(repr, repeated))}; "
            "column names must be unique"
        )
        raise click.UsageError(msg)
    for option, column in (("--score", score), ("--mos", mos), ("--by", by)):
        if column is not None and column not in header:
            msg = f"{table} has no column {column!r} ({option}); columns: {header}"
            raise click.UsageError(msg)
    scores, opinions, labels, excluded = [], [], [], 0
    for line, row in enumerate(rows, start=2):
        if row.get("error") or not (row.get(score) or "").strip():
            excluded += 1
            continue
        scores.append(_number(row[score], score, line, table))
        opinions.append(_number(row[mos], mos, line, table))
        labels.append("" if by is None else str(row[by]))
    return scores, opinions, labels, excluded


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _statistics(result: Correlation) -> dict[str, Any]:
    stats = result.as_dict()
    for name in ("srocc", "krocc", "plcc", "plcc_logistic", "rmse"):
        stats[name] = _finite(stats[name])  # type: ignore[arg-type]
    return stats


_HEADER = ("group", "n", "SROCC", "KROCC", "PLCC", "PLCC(fit)", "RMSE(fit)")


def _row(label: str, result: Correlation | str, n: int) -> str:
    if isinstance(result, str):
        cells = ["-"] * 5
    else:
        cells = [
            "nan" if math.isnan(value) else f"{value:.4f}"
            for value in (
                result.srocc,
                result.krocc,
                result.plcc,
                result.plcc_logistic,
                result.rmse,
            )
        ]
    return f"{label:<16} {n:>6} " + " ".join(f"{cell:>9}" for cell in cells)


def _json_results(
    results: Sequence[tuple[str, Correlation | str, int]],
) -> dict[str, Any]:
    """Put the overall and per-group results in JSON-ready dicts (NaN as null)."""
    payload: dict[str, Any] = {}
    for label, outcome, n in results:
        entry = (
            {"n": n, "error": outcome}
            if isinstance(outcome, str)
            else _statistics(outcome)
        )
        if label == "all":
            payload["overall"] = entry
        else:
            payload.setdefault("groups", {})[label.split("=", 1)[1]] = entry
    return payload


def _print_table(results: Sequence[tuple[str, Correlation | str, int]]) -> None:
    """Print the results as a table, and why any of them is missing."""
    names = " ".join(f"{name:>9}" for name in _HEADER[2:])
    click.echo(f"{_HEADER[0]:<16} {_HEADER[1]:>6} {names}")
    for label, outcome, n in results:
        click.echo(_row(label, outcome, n))
    for label, outcome, _ in results:
        if isinstance(outcome, str):
            click.echo(f"{label}: {outcome}", err=True)
        elif outcome.fit_error:
            reason = outcome.fit_error
            click.echo(f"{label}: logistic fit failed: {reason}", err=True)


@cli.command(name="correlate")
@click.argument(
    "scores_csv",
    metavar="SCORES.csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "--mos",
    required=True,
    help="Column of subjective scores (MOS or DMOS).",
)
@click.option(
    "--score",
    default="fsim",
    show_default=True,
    help="Column of objective scores (e.g. fsim or fsimc).",
)
@click.option("--by", help="Also report per group of this column (e.g. distortion).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def correlate_command(
    scores_csv: Path, *, mos: str, score: str, by: str | None, as_json: bool
) -> int:
    """Report how well scores in SCORES.csv agree with human opinion.

    SROCC (Spearman), KROCC (Kendall tau-b) and PLCC (Pearson) of the raw
    scores against the MOS column, then PLCC and RMSE after the standard
    five-parameter logistic fit q(x) = b1 (1/2 - 1/(1 + exp(b2 (x - b3))))
    + b4 x + b5 (VQEG; Sheikh et al. 2006), started from b1 = sign(r)
    (max MOS - min MOS), b2 = 1 / std(score), b3 = mean(score), b4 = 0,
    b5 = mean(MOS).  Correlations are signed (negative against DMOS).
    Rows with an error or no score are left out and counted.  With --by,
    the same statistics per group, after the overall ones.
    """
    scores, opinions, labels, excluded = _read_scores(scores_csv, score, mos, by)
    results: list[tuple[str, Correlation | str, int]] = []
    groups: dict[str, list[int]] = {"all": list(range(len(scores)))}
    if by is not None:
        for index, label in enumerate(labels):
            groups.setdefault(f"{by}={label}", []).append(index)
    for label, members in groups.items():
        try:
            outcome: Correlation | str = correlate(
                [scores[i] for i in members], [opinions[i] for i in members]
            )
        except ValueError as error:
            if label == "all":
                raise click.ClickException(str(error)) from error
            outcome = str(error)
        results.append((label, outcome, len(members)))
    if as_json:
        payload: dict[str, Any] = {
            "table": str(scores_csv),
            "score": score,
            "mos": mos,
            "excluded_rows": excluded,
            **_json_results(results),
        }
        click.echo(json.dumps(payload, indent=2))
    else:
        _print_table(results)
        if excluded:
            click.echo(f"({excluded} rows without a score left out)", err=True)
    return 0


# --------------------------------------------------------------------------
# evaluate


def _print_evaluation(summary: dict[str, Any]) -> None:
    """Print an evaluation's statistics per metric and distortion type."""
    click.echo(
        f"{summary['database']}: {summary['pairs']} pairs, {summary['failed']} "
        f"failed; correlations with {summary['correlated_with']}"
    )
    names = " ".join(f"{name:>9}" for name in _HEADER[2:])
    for metric, result in summary["metrics"].items():
        click.echo(f"\n{metric.upper().replace('FSIMC', 'FSIMc'):<28} {'n':>6} {names}")
        entries = [("all", result["overall"]), *result["by_distortion"].items()]
        for group, entry in entries:
            cells = [
                "-" if entry.get(name) is None else f"{entry[name]:.4f}"
                for name in ("srocc", "krocc", "plcc", "plcc_logistic", "rmse")
            ]
            line = f"{group[:28]:<28} {entry['n']:>6} "
            click.echo(line + " ".join(f"{cell:>9}" for cell in cells))
            reason = entry.get("error") or entry.get("fit_error")
            if reason:
                click.echo(f"  {group}: {reason}", err=True)
    for metric, check in summary["authors"].items():
        click.echo(
            f"\n{metric}: authors' values in {check['file']}: largest difference "
            f"{check['max_abs_difference']:.3g}, median "
            f"{check['median_abs_difference']:.3g}, "
            f"{check['beyond_printed_precision']} pair(s) beyond their printed "
            "precision"
        )
        for pair in check["first_beyond"][:5]:
            click.echo(
                f"  {pair['dist']}: authors {pair['authors']}, fsimlib "
                f"{float(pair['fsimlib']):.6f}"
            )


@cli.command()
@click.argument("root", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--database",
    "database",
    metavar="NAME",
    help=(
        "TID2013, TID2008, KADID-10k, CSIQ or LIVE (release 2); recognised "
        "from ROOT's layout if left out."
    ),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the results (default: ./evaluate-NAME); resumed if it exists.",
)
@_PROCESSES_OPTION
@click.option(
    "--chromatic/--no-chromatic",
    default=True,
    show_default=True,
    help="Summarise FSIMc as well as FSIM.",
)
@_PROGRESS_OPTION
@score_options
def evaluate(
    root: Path,
    *,
    database: str | None,
    output: Path | None,
    processes: int,
    chromatic: bool,
    progress: bool,
    options: FSIMOptions,
) -> int:
    """Score a whole IQA database in ROOT and correlate with its opinion scores.

    ROOT is the database's folder as unpacked from its authors' archive
    (the user guide lists each layout).  Every pair is scored into
    OUTPUT/scores.csv, resumably: run the same command again after an
    interruption and it continues.  Then SROCC, KROCC, PLCC, and PLCC and
    RMSE after the 5-parameter logistic, overall and per distortion type,
    against the opinion scores oriented so that higher is better (DMOS
    negated), printed and written to OUTPUT/summary.json and summary.csv,
    with OUTPUT/scatter.png (needs pip install 'fsimlib[plot]').  Where
    the database ships the authors' FSIM/FSIMc values (TID2013), their
    differences from fsimlib's are reported too (OUTPUT/authors_check.csv).
    Exit code 1 if some pair could not be scored.
    """
    from .databases import detect_database, get_database
    from .databases import evaluate as evaluate_database

    _start_worker_server(processes)
    try:
        described = (
            detect_database(root) if database is None else get_database(database)
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    folder = output or Path(f"evaluate-{described.name}")
    try:
        with _executor(processes) as executor:
            result = evaluate_database(
                root,
                described,
                output=folder,
                executor=executor,
                chromatic=chromatic,
                progress=progress,
                **options.keywords(),
            )
    except KeyboardInterrupt:
        click.echo(
            "fsimlib: interrupted; run the same command again to resume", err=True
        )
        return EXIT_INTERRUPTED
    except (ValueError, OSError) as error:
        raise click.UsageError(" ".join(str(error).split())) from error
    _print_evaluation(result.summary)
    click.echo(f"\nresults in {folder}")
    if result.plot_error:
        click.echo(
            f"fsimlib: no {folder / 'scatter.png'}: {result.plot_error}", err=True
        )
    if result.failed:
        click.echo(
            f"fsimlib: {result.failed} pair(s) failed; see the 'error' column of "
            f"{result.files['scores']}",
            err=True,
        )
        return EXIT_FAILED_ROWS
    return 0


# --------------------------------------------------------------------------
# demo


@cli.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to serve on (0.0.0.0 for the local network).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=7860,
    show_default=True,
    help="TCP port.",
)
@click.option("--open-browser", is_flag=True, help="Open the page in a web browser.")
def demo(*, host: str, port: int, open_browser: bool) -> int:
    """Serve the interactive web demo (needs: pip install 'fsimlib[demo]').

    Upload or pick two images and see their FSIM, FSIMc and similarity
    map.  Stop it with Ctrl+C.
    """
    try:
        from .demo import launch

        launch(host=host, port=port, open_browser=open_browser)
    except (ImportError, OSError, ValueError, TypeError) as error:
        raise click.ClickException(" ".join(str(error).split())) from error
    return 0


# --------------------------------------------------------------------------
# entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fsimlib`` command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments (without the program name); ``sys.argv[1:]`` by
        default.

    Returns
    -------
    int
        The exit code: 0 success, 1 some comparison failed, 2 usage
        error, 130 interrupted.

    Examples
    --------
    A usage error prints one line to stderr and returns 2:

    >>> from fsimlib.cli import main
    >>> main(["correlate", "no-such-file.csv", "--mos", "mos"])
    2
    """
    try:
        outcome = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="fsimlib",
            standalone_mode=False,
        )
    except click.UsageError as error:
        hint = ""
        if error.ctx is not None:
            hint = f" (see '{error.ctx.command_path} --help')"
        message = " ".join(error.format_message().split())
        click.echo(f"fsimlib: error: {message}{hint}", err=True)
        return EXIT_USAGE
    except click.ClickException as error:
        message = " ".join(error.format_message().split())
        click.echo(f"fsimlib: error: {message}", err=True)
        return error.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("fsimlib: interrupted", err=True)
        return EXIT_INTERRUPTED
    return outcome if isinstance(outcome, int) else 0
