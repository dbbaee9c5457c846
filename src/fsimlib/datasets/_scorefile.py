"""The resumable score file: :class:`ScoreFile` and the provenance it records.

:class:`ScoreFile` is the CSV that score records are appended to: each row
is written out when it is known (and synced to disk about once a second),
a run that is killed loses nothing, and a run started again skips the rows
already there.  Its first line
records how the scores were made (:func:`provenance`).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import math
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from fsimlib._options import FSIMOptions
from fsimlib.backends._fft import get_engine
from fsimlib.backends._loops import get_kernels

from ._format import (
    default_file_mode,
    differences,
    neutralise_cell,
    parse_provenance,
    printable,
    provenance_line,
    read_head,
    restore_cell,
    skip_provenance,
)
from ._records import SCORE_COLUMNS, PairRecord, PathLike, ScoreRecord

#: Most seconds between two syncs of a score file's appended rows to disk.
SYNC_INTERVAL = 1.0


def provenance(options: FSIMOptions | None = None) -> dict[str, object]:
    """How scores made with these options are computed.

    The fsimlib version, the FFT engine and inner loops in force, and every
    option (:meth:`FSIMOptions.record`): what a :class:`ScoreFile` records
    in its first line, and what must match for a run to add rows to an
    existing file.

    Examples
    --------
    >>> from fsimlib import FSIMOptions
    >>> from fsimlib.datasets import provenance
    >>> provenance(FSIMOptions(gradient="sobel"))["options"]["gradient"]
    'sobel'
    """
    from fsimlib import __version__

    record = (FSIMOptions() if options is None else options).record()
    return {
        "fsimlib": __version__,
        "engine": get_engine().name,
        "loops": get_kernels().name,
        "precision": record["precision"],
        "options": record,
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
      :func:`fsimlib.datasets._format.neutralise_cell`) and restored when read.

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
    ...     fsimlib.datasets.PairRecord("r.png", f"d{i}.png", {"id": str(i)})
    ...     for i in range(3)
    ... ]
    >>> scores = fsimlib.datasets.ScoreFile(output, ["id"])
    >>> with scores.locked():
    ...     scores.resume(pairs)
    ...     scores.write(fsimlib.datasets.ScoreRecord(1, pairs[1], 0.9, 0.8, None))
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
