"""What a score file written by fsimlib looks like, and how it is read back.

A score file is a CSV whose first line is a *provenance line*::

    # fsimlib 0.1.0 {"engine": "pyfftw", "loops": "compiled", ...}

(``#``, a space, ``fsimlib``, the version, then the settings that made the
scores as one JSON object), followed by the CSV header and one row per pair.
Tools that read CSV files skip it with e.g. ``pandas.read_csv(path,
skiprows=1)``; :func:`read_score_table` skips it and undoes the cell
neutralisation below.

Cells neutralised against spreadsheet formulas
-----------------------------------------------
A text cell (a label, a path, an error message) that begins with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
spreadsheet programs.  As the OWASP guidance on CSV injection recommends,
such a cell is written with a single quote ``'`` in front, which
spreadsheets show as text.  Plain decimal numbers (``-0.5``, ``+3``,
``1e-3``) are left alone, since a spreadsheet reads them as numbers, not
formulas, and so are fsimlib's own score columns.  To keep the rule
reversible, a cell made of quotes followed by one of those characters gets
one more quote too.  The raw value is recovered by :func:`restore_cell`:
strip one leading ``'`` when what follows is quotes and then one of those
characters.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

#: Bytes read from the start of an existing output to decide whether it is
#: a score file of ours; anything else is refused without reading further.
HEAD_BYTES = 64 * 1024
#: How every provenance line begins.
PROVENANCE_PREFIX = "# fsimlib "

_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise_cell(value: str) -> str:
    """Return ``value`` as written to a score file, safe from formula injection.

    Parameters
    ----------
    value : str
        A text cell as the user gave it.

    Returns
    -------
    str
        ``value`` with a ``'`` in front if it begins (after any quotes) with
        ``=``, ``+``, ``-``, ``@``, a tab or a carriage return and is not a
        plain decimal number; else ``value`` itself.

    Examples
    --------
    >>> from fsimlib._scorefile import neutralise_cell, restore_cell
    >>> neutralise_cell("=HYPERLINK(1)"), neutralise_cell("-0.5")
    ("'=HYPERLINK(1)", '-0.5')
    >>> restore_cell(neutralise_cell("'=x"))
    "'=x"
    """
    if _FORMULA.match(value) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """Undo :func:`neutralise_cell`: return the raw value of a written cell."""
    if _NEUTRALISED.match(value) and not _PLAIN_NUMBER.fullmatch(value):
        return value[1:]
    return value


def default_file_mode() -> int:
    """Return the permissions ``open()`` gives a new file: 0o666 less the umask."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # reading the umask means setting it, briefly
    os.umask(mask)
    return 0o666 & ~mask


def provenance_line(version: str, settings: Mapping[str, object]) -> str:
    """Return the first line of a score file (no newline): version, settings."""
    return PROVENANCE_PREFIX + version + " " + json.dumps(dict(settings))


def parse_provenance(line: str) -> dict[str, object] | None:
    """Return the settings of a provenance line (``fsimlib``: the version), or None."""
    if not line.startswith(PROVENANCE_PREFIX):
        return None
    version, _, text = line[len(PROVENANCE_PREFIX) :].partition(" ")
    try:
        settings = json.loads(text)
    except ValueError:
        return None
    if not isinstance(settings, dict):
        return None
    return {"fsimlib": version, **settings}


def _flat(settings: Mapping[str, object]) -> dict[str, object]:
    """Return settings with nested options lifted to the top level."""
    flat: dict[str, object] = {}
    for name, value in settings.items():
        if isinstance(value, Mapping):
            flat.update({str(key): item for key, item in value.items()})
        else:
            flat[name] = value
    return flat


def differences(found: Mapping[str, object], wanted: Mapping[str, object]) -> str:
    """Name the settings that differ, e.g. ``gradient: 'sobel' in the file, ...``."""
    old, new = _flat(found), _flat(wanted)
    names = sorted(set(old) | set(new))
    return (
        "; ".join(
            f"{name}: {old.get(name)!r} in the file, {new.get(name)!r} now"
            for name in names
            if old.get(name) != new.get(name)
        )
        or "the same values, arranged differently"
    )


def read_head(path: Path) -> tuple[list[str], bytes] | None:
    """Return the first lines of ``path`` (in :data:`HEAD_BYTES`), None if empty.

    Returns the complete lines (decoded as UTF-8) and the raw bytes read.
    Symbolic links are not followed.

    Raises
    ------
    ValueError
        If the file does not begin with UTF-8 text lines.
    OSError
        If it cannot be opened (``FileNotFoundError`` if absent).
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    if not head:
        return None
    end = head.rfind(b"\n")
    if end < 0:
        msg = (
            f"{path} is not a score file of fsimlib (no line break in its first "
            f"{HEAD_BYTES // 1024} KiB); refusing to touch it: use another output "
            "file"
        )
        raise ValueError(msg)
    try:
        # A line break never falls inside a multi-byte UTF-8 character.
        text = head[: end + 1].decode("utf-8-sig")
    except UnicodeDecodeError:
        msg = (
            f"{path} is not a score file of fsimlib (not UTF-8 text); refusing "
            "to touch it: use another output file"
        )
        raise ValueError(msg) from None
    return text.splitlines(), head


def skip_provenance(lines: Iterable[str]) -> Iterator[str]:
    r"""Yield the lines of a score CSV but its provenance line (for csv readers).

    Examples
    --------
    >>> import csv
    >>> from fsimlib._scorefile import skip_provenance
    >>> lines = ['# fsimlib 0.1.0 {}\n', 'ref,fsim\n', "'=a,0.5\n"]
    >>> list(csv.reader(skip_provenance(lines)))
    [['ref', 'fsim'], ["'=a", '0.5']]
    """
    iterator = iter(lines)
    first = next(iterator, None)
    if first is not None and not first.startswith(PROVENANCE_PREFIX):
        yield first
    yield from iterator
