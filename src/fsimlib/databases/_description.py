"""What an IQA database looks like on disk, described as data.

A :class:`Database` says where a database keeps its reference and distorted
images, which file holds its opinion scores and how that file is laid out
(:class:`ScoreSource`), how each row names its two images and its
distortion type, and whether a higher opinion score means better quality
(MOS) or worse (DMOS).  One generic reader (:mod:`._reader`) turns any such
description into pairs to score, so supporting another database is writing
another description, not another code path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

#: How a score file is laid out: whitespace-separated text, a CSV with a
#: header row, a sheet of an Excel workbook, or MATLAB ``.mat`` arrays.
ScoreFormat = Literal["text", "csv", "xlsx", "mat"]


@dataclass(frozen=True)
class ScoreSource:
    """One file (or set of ``.mat`` files) a database's opinion scores are in.

    Every row read becomes a dict of text fields, named by ``columns`` (text
    files), by the header row (CSV and Excel) or by ``variables`` (MATLAB).

    Attributes
    ----------
    path : str
        The file, relative to the database's root folder.
    format : {"text", "csv", "xlsx", "mat"}
        Its layout.
    columns : tuple of str
        Text files: the name of each whitespace-separated field of a line.
        CSV and Excel: the columns the header row must have.
    sheet : str or None
        Excel: the sheet to read.
    variables : tuple of (str, str, str)
        MATLAB: ``(field, file, variable)`` per field: a 1-D array or cell
        array of strings in a ``.mat`` file relative to the root; all of
        the same length, entry ``i`` of each making row ``i``.
    numbering : tuple of (str, int)
        MATLAB: the rows belong, in order, to these ``(folder, count)``
        groups; each row gets the fields ``folder`` and ``index`` (1-based
        position within its folder).
    """

    path: str
    format: ScoreFormat
    columns: tuple[str, ...] = ()
    sheet: str | None = None
    variables: tuple[tuple[str, str, str], ...] = ()
    numbering: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Database:
    """A subjective image-quality database, as laid out by its authors.

    The rows of the first of ``sources`` that exists are turned into pairs:
    the fields of each row are extended by ``parse`` (named groups of a
    regular expression matched against a field) and ``lookup`` (fields
    looked up by another field's value), rows are kept only if they match
    ``keep``, and the templates ``reference``, ``distorted`` and ``label``
    are filled in with the fields (:meth:`str.format`).

    Attributes
    ----------
    name : str
        The database's usual name, e.g. ``"TID2013"``.
    references, distorted : str
        Folders of the reference and distorted images, relative to the root.
    sources : tuple of ScoreSource
        Where the opinion scores are, in order of preference.
    opinion : str
        The field holding the opinion score.
    higher_is_better : bool
        True for MOS (higher is better), False for DMOS.
    reference, distorted_name : str
        Templates of a row's reference image (relative to ``references``)
        and distorted image (relative to ``distorted``).  File names are
        matched case-insensitively, as the databases' own lists and files
        do not always agree in case.
    label : str
        Template of a row's distortion type.
    parse : tuple of (str, str)
        ``(field, regex)``: fields added from the regex's named groups; a
        row whose field does not match is an error.
    lookup : tuple of (str, Mapping[str, Mapping[str, str]])
        ``(field, table)``: the fields ``table[row[field]]`` are added; a
        value missing from the table is an error.
    keep : tuple of (str, str)
        ``(field, value)``: only rows whose field has this value are pairs.
    authors : Mapping[str, str]
        Files (relative to the root) of the authors' own scores of
        ``"fsim"`` and ``"fsimc"``, one value per row of the score file in
        its order, used where present.
    size : int or None
        Number of pairs of the complete database.
    based_on : str
        What this description of the layout was taken from.

    Examples
    --------
    A database of ``refs/a.png`` and ``dists/a_blur_1.png``, listed in
    ``scores.csv`` with columns ``name`` and ``mos``:

    >>> from fsimlib.databases import Database, ScoreSource
    >>> mine = Database(
    ...     name="Mine",
    ...     references="refs",
    ...     distorted="dists",
    ...     sources=(ScoreSource("scores.csv", "csv", ("name", "mos")),),
    ...     opinion="mos",
    ...     higher_is_better=True,
    ...     reference="{image}.png",
    ...     distorted_name="{name}",
    ...     label="{kind}",
    ...     parse=(("name", r"^(?P<image>[a-z]+)_(?P<kind>[a-z]+)_[0-9][.]png$"),),
    ... )
    >>> mine.opinion_kind
    'MOS'
    """

    name: str
    references: str
    distorted: str
    sources: tuple[ScoreSource, ...]
    opinion: str
    higher_is_better: bool
    reference: str
    distorted_name: str
    label: str
    parse: tuple[tuple[str, str], ...] = ()
    lookup: tuple[tuple[str, Mapping[str, Mapping[str, str]]], ...] = ()
    keep: tuple[tuple[str, str], ...] = ()
    authors: Mapping[str, str] = field(default_factory=dict)
    size: int | None = None
    based_on: str = ""

    @property
    def opinion_kind(self) -> str:
        """``"MOS"`` if higher opinion scores are better, else ``"DMOS"``."""
        return "MOS" if self.higher_is_better else "DMOS"
