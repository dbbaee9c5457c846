"""One reader for every described database: its score file to pairs.

:func:`database_pairs` reads the opinion-score file a :class:`Database`
names, turns each row into a :class:`~fsimlib.datasets.PairRecord` by the
description's templates, and checks that every image it names exists;
anything wrong is a ValueError naming the file (and line) at fault.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fsimlib.datasets import PairRecord

from ._catalogue import DATABASES
from ._description import Database, ScoreSource

#: Columns of the pair table of a database (and of its scores CSV).
PAIR_FIELDS = ("ref", "dist", "distortion", "opinion", "row")
#: Missing images named in one error message, at most.
_SHOWN = 5


@dataclass(frozen=True)
class Row:
    """A row of a score file: where it is (for messages) and its fields."""

    where: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class DatabaseTable:
    """The pairs of a database found under a root folder.

    Attributes
    ----------
    database : Database
        Its description.
    root : Path
        The root folder.
    source : ScoreSource
        The score file the pairs were read from.
    rows : int
        Rows in that file (pairs plus any rows the description leaves out).
    pairs : list of PairRecord
        One per pair, with fields ``ref`` and ``dist`` (relative to the
        root), ``distortion``, ``opinion`` (as written in the file) and
        ``row`` (1-based row of the score file).

    Examples
    --------
    See :func:`database_pairs`, which returns one.
    """

    database: Database
    root: Path
    source: ScoreSource
    rows: int
    pairs: list[PairRecord]


def _text(value: object) -> str:
    """Return a cell as text: integral numbers without '.0', others as written."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace").strip()
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if value is None:
        return ""
    return str(value).strip()


def _read_text(path: Path, source: ScoreSource) -> list[Row]:
    rows = []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != len(source.columns):
            msg = (
                f"{path}, line {number}: expected {len(source.columns)} "
                f"whitespace-separated fields ({', '.join(source.columns)}), "
                f"got {len(parts)}: {line.strip()!r}"
            )
            raise ValueError(msg)
        rows.append(
            Row(f"{path}, line {number}", dict(zip(source.columns, parts, strict=True)))
        )
    return rows


def _check_columns(path: Path, header: Sequence[str], source: ScoreSource) -> None:
    missing = [name for name in source.columns if name not in header]
    if missing:
        msg = (
            f"{path} has no column(s) {', '.join(map(repr, missing))}; expected "
            f"a header row with {', '.join(source.columns)} (found {list(header)})"
        )
        raise ValueError(msg)


def _read_csv(path: Path, source: ScoreSource) -> list[Row]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            reader.fieldnames = header
            records = list(reader)
    except (UnicodeDecodeError, csv.Error) as error:
        msg = f"{path} is not a readable CSV file: {error}"
        raise ValueError(msg) from error
    _check_columns(path, header, source)
    rows = []
    for number, record in enumerate(records, start=2):
        if None in record or any(value is None for value in record.values()):
            msg = f"{path}, line {number}: expected {len(header)} fields"
            raise ValueError(msg)
        fields = {name: _text(value) for name, value in record.items()}
        rows.append(Row(f"{path}, line {number}", fields))
    return rows


def _read_xlsx(path: Path, source: ScoreSource) -> list[Row]:
    try:
        import openpyxl
    except ImportError as error:
        msg = (
            f"reading {path} needs openpyxl (pip install 'fsimlib[xlsx]'); or "
            f"save its sheet {source.sheet!r} as CSV next to it (see the user "
            "guide)"
        )
        raise ValueError(msg) from error
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        msg = f"{path} is not a readable Excel workbook: {error}"
        raise ValueError(msg) from error
    try:
        if source.sheet not in book.sheetnames:
            msg = f"{path} has no sheet {source.sheet!r} (sheets: {book.sheetnames})"
            raise ValueError(msg)
        cells = [
            [_text(value) for value in values]
            for values in book[source.sheet].iter_rows(values_only=True)
        ]
    finally:
        book.close()
    # The header is the first row naming every required column (the sheet
    # may start with blank rows or columns).
    start = next(
        (
            index
            for index, values in enumerate(cells)
            if all(name in values for name in source.columns)
        ),
        None,
    )
    if start is None:
        msg = (
            f"{path}, sheet {source.sheet!r}: no header row with columns "
            f"{', '.join(source.columns)}"
        )
        raise ValueError(msg)
    header = cells[start]
    rows = []
    for number, values in enumerate(cells[start + 1 :], start=start + 2):
        if not any(values):
            continue
        fields = {
            name: values[column] if column < len(values) else ""
            for column, name in enumerate(header)
            if name
        }
        rows.append(Row(f"{path}, sheet {source.sheet!r}, row {number}", fields))
    return rows


def _read_mat(root: Path, source: ScoreSource) -> list[Row]:
    from scipy.io import loadmat

    loaded: dict[str, dict[str, object]] = {}
    columns: dict[str, list[str]] = {}
    for name, file, variable in source.variables:
        path = root / file
        if file not in loaded:
            if not path.is_file():
                msg = f"{path} is missing; it holds {variable!r}"
                raise ValueError(msg)
            try:
                loaded[file] = loadmat(path)
            except Exception as error:
                msg = f"{path} is not a readable MATLAB file: {error}"
                raise ValueError(msg) from error
        if variable not in loaded[file]:
            found = sorted(key for key in loaded[file] if not key.startswith("__"))
            msg = f"{path} has no variable {variable!r} (variables: {found})"
            raise ValueError(msg)
        columns[name] = [_mat_text(item) for item in _flat(loaded[file][variable])]
    lengths = {
        f"{file}:{variable}": len(columns[name])
        for name, file, variable in source.variables
    }
    counts = set(lengths.values())
    expected = sum(count for _, count in source.numbering)
    if len(counts) != 1 or (source.numbering and counts != {expected}):
        numbering = f" and {expected} images in the folders" if expected else ""
        msg = (
            f"mismatched row counts in {root}: {lengths}{numbering}; expected "
            "every array to have one entry per image"
        )
        raise ValueError(msg)
    folders = [
        (folder, index)
        for folder, count in source.numbering
        for index in range(1, count + 1)
    ]
    rows = []
    for position in range(counts.pop()):
        fields = {name: values[position] for name, values in columns.items()}
        if folders:
            folder, index = folders[position]
            fields |= {"folder": folder, "index": str(index)}
        rows.append(Row(f"{root / source.path}, entry {position + 1}", fields))
    return rows


def _flat(value: object) -> list[object]:
    import numpy as np

    array = np.asarray(value, dtype=object)
    return list(array.ravel(order="F"))


def _mat_text(item: object) -> str:
    import numpy as np

    # A cell array's entries are arrays of one string (or number).
    while isinstance(item, np.ndarray):
        if item.size != 1:
            return " ".join(_mat_text(part) for part in item.ravel())
        item = item.ravel()[0]
    if isinstance(item, np.generic):
        item = item.item()
    return _text(item)


def read_rows(root: Path, source: ScoreSource) -> list[Row]:
    """Read the rows of one score file of a database under ``root``.

    Parameters
    ----------
    root : Path
        The database's root folder.
    source : ScoreSource
        The file and its layout.

    Returns
    -------
    list of Row
        Every row, in the file's order.

    Raises
    ------
    ValueError
        If the file is missing or not laid out as described.
    """
    path = root / source.path
    if not path.is_file():
        msg = f"score file {path} is missing"
        raise ValueError(msg)
    if source.format == "text":
        return _read_text(path, source)
    if source.format == "csv":
        return _read_csv(path, source)
    if source.format == "xlsx":
        return _read_xlsx(path, source)
    return _read_mat(root, source)


def find_source(root: Path, database: Database) -> ScoreSource:
    """Return the first of the database's score files that exists under ``root``.

    Raises
    ------
    ValueError
        If there is none, naming the files looked for.
    """
    for source in database.sources:
        if (root / source.path).is_file():
            return source
    wanted = " or ".join(str(root / source.path) for source in database.sources)
    msg = f"no {database.name} score file: expected {wanted}"
    raise ValueError(msg)


class _Folders:
    """Case-insensitive lookup of files, with each folder listed once."""

    def __init__(self) -> None:
        self._listings: dict[Path, dict[str, str]] = {}

    def _listing(self, folder: Path) -> dict[str, str]:
        if folder not in self._listings:
            try:
                names = [path.name for path in folder.iterdir()]
            except OSError:
                names = []
            listing: dict[str, str] = {}
            for name in sorted(names):
                listing.setdefault(name.lower(), name)
            self._listings[folder] = listing
        return self._listings[folder]

    def find(self, folder: Path, relative: str) -> Path | None:
        """``folder / relative`` with each part matched ignoring case."""
        path = folder
        for part in Path(relative).parts:
            if part == ".":
                continue
            name = self._listing(path).get(part.lower())
            if name is None:
                return None
            path /= name
        return path if path.is_file() else None


def _fields(database: Database, row: Row) -> dict[str, str]:
    """Return the row's fields extended by the description's parse and lookup."""
    fields = dict(row.fields)
    for name, pattern in database.parse:
        match = re.match(pattern, fields.get(name, ""))
        if match is None:
            msg = (
                f"{row.where}: {name} {fields.get(name, '')!r} is not a "
                f"{database.name} name (expected to match {pattern})"
            )
            raise ValueError(msg)
        fields |= match.groupdict()
    for name, table in database.lookup:
        value = fields.get(name, "")
        extra = table.get(value, table.get(value.lower()))
        if extra is None:
            msg = (
                f"{row.where}: unknown {name} {value!r}; expected one of "
                f"{', '.join(map(repr, table))}"
            )
            raise ValueError(msg)
        fields |= extra
    return fields


def _opinion(database: Database, fields: Mapping[str, str], row: Row) -> str:
    """Return the row's opinion score as written, checked to be a number."""
    opinion = fields.get(database.opinion, "")
    try:
        value = float(opinion)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        msg = (
            f"{row.where}: opinion score {database.opinion!r} is "
            f"{opinion!r}, not a number"
        )
        raise ValueError(msg)
    return opinion


def _fill(template: str, fields: Mapping[str, str], row: Row) -> str:
    try:
        return template.format_map(fields)
    except KeyError as error:
        msg = f"{row.where}: no field {error} to fill in {template!r}"
        raise ValueError(msg) from error


def database_pairs(root: str | os.PathLike[str], database: Database) -> DatabaseTable:
    r"""Read a database's pairs from its own files under ``root``.

    Parameters
    ----------
    root : str or os.PathLike
        The folder the database was unpacked to (see the user guide for
        each database's tree).
    database : Database
        Its description.

    Returns
    -------
    DatabaseTable
        The pairs, in the order of the score file.

    Raises
    ------
    ValueError
        If the root, the image folders or the score file is missing, a row
        is malformed, its opinion score is not a number, or it names an
        image that is not there (naming the file and line).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from PIL import Image
    >>> from fsimlib.databases import database_pairs, get_database
    >>> root = Path(tempfile.mkdtemp())
    >>> for folder in ("reference_images", "distorted_images"):
    ...     (root / folder).mkdir()
    >>> image = np.zeros((16, 16, 3), np.uint8)
    >>> Image.fromarray(image).save(root / "reference_images" / "I01.BMP")
    >>> Image.fromarray(image).save(root / "distorted_images" / "i01_08_1.bmp")
    >>> _ = (root / "mos_with_names.txt").write_text("5.51429 i01_08_1.bmp\n")
    >>> table = database_pairs(root, get_database("TID2013"))
    >>> pair = table.pairs[0]
    >>> pair.fields["dist"], pair.fields["distortion"], pair.fields["opinion"]
    ('distorted_images/i01_08_1.bmp', 'Gaussian blur', '5.51429')
    """
    base = Path(root)
    if not base.is_dir():
        msg = f"database folder {base} does not exist or is not a folder"
        raise ValueError(msg)
    for kind, folder in (
        ("reference", database.references),
        ("distorted", database.distorted),
    ):
        if not (base / folder).is_dir():
            msg = (
                f"{base} is not laid out as {database.name}: its {kind} image "
                f"folder {base / folder} is missing"
            )
            raise ValueError(msg)
    source = find_source(base, database)
    rows = read_rows(base, source)
    if not rows:
        msg = f"score file {base / source.path} holds no rows"
        raise ValueError(msg)
    folders = _Folders()
    pairs: list[PairRecord] = []
    missing: list[str] = []
    for number, row in enumerate(rows, start=1):
        fields = _fields(database, row)
        if any(fields.get(name) != value for name, value in database.keep):
            continue
        opinion = _opinion(database, fields, row)
        found = []
        for folder, template in (
            (database.references, database.reference),
            (database.distorted, database.distorted_name),
        ):
            name = _fill(template, fields, row)
            path = folders.find(base / folder, name)
            if path is None:
                missing.append(f"{row.where} names {base / folder / name}")
            found.append(path)
        ref, dist = found
        if ref is None or dist is None:
            continue
        pairs.append(
            PairRecord(
                os.fspath(ref),
                os.fspath(dist),
                {
                    "ref": ref.relative_to(base).as_posix(),
                    "dist": dist.relative_to(base).as_posix(),
                    "distortion": _fill(database.label, fields, row),
                    "opinion": opinion,
                    "row": str(number),
                },
            )
        )
    if missing:
        shown = "; ".join(missing[:_SHOWN])
        more = f" (and {len(missing) - _SHOWN} more)" if len(missing) > _SHOWN else ""
        msg = f"{len(missing)} image(s) missing: {shown}{more}"
        raise ValueError(msg)
    if not pairs:
        msg = f"{base / source.path}: no row of it is a pair of {database.name}"
        raise ValueError(msg)
    return DatabaseTable(database, base, source, len(rows), pairs)


def _matches(root: Path, database: Database) -> bool:
    return (
        (root / database.references).is_dir()
        and (root / database.distorted).is_dir()
        and any((root / source.path).is_file() for source in database.sources)
    )


def detect_database(root: str | os.PathLike[str]) -> Database:
    r"""Recognise the one known database whose layout ``root`` has.

    Parameters
    ----------
    root : str or os.PathLike
        A database's root folder.

    Returns
    -------
    Database
        Its description.

    Raises
    ------
    ValueError
        If the layout matches no known database (saying what each expects),
        or several (TID2013 and TID2008 share one: name it).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from fsimlib.databases import detect_database
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "images").mkdir()
    >>> _ = (root / "dmos.csv").write_text("dist_img,ref_img,dmos,var\n")
    >>> detect_database(root).name
    'KADID-10k'
    """
    base = Path(root)
    found = [database for database in DATABASES.values() if _matches(base, database)]
    if len(found) == 1:
        return found[0]
    if found:
        names = " and ".join(database.name for database in found)
        msg = (
            f"{base} is laid out as {names}, which cannot be told apart by "
            "their files; choose one with --database"
        )
        raise ValueError(msg)
    expected = "; ".join(
        f"{database.name}: {database.references}/, {database.distorted}/ and "
        + " or ".join(source.path for source in database.sources)
        for database in DATABASES.values()
    )
    msg = f"{base} matches no known database layout; expected {expected}"
    raise ValueError(msg)
