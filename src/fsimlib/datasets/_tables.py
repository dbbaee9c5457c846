"""Tables of image pairs: read a CSV of ``ref`` and ``dist`` paths."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from ._format import printable
from ._records import PAIR_COLUMNS, SCORE_COLUMNS, PairRecord, PathLike


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
    >>> columns, pairs = fsimlib.datasets.read_pairs_csv(table)
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


def _resolve(value: str, base: Path) -> str:
    if not value.strip():
        return ""
    return os.fspath(base / value.strip())
