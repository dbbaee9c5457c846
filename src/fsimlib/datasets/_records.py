"""What the dataset tools pass around: a pair of image files and its scores."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

#: A path as the dataset tools take it (a resolved alias: its types are real
#: objects, not strings to be evaluated in whichever module reads them).
PathLike = str | os.PathLike[str]
#: Columns every score table ends with, after the pair table's own.
SCORE_COLUMNS = ("fsim", "fsimc", "error")
#: Columns a pair table must have.
PAIR_COLUMNS = ("ref", "dist")


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
    >>> pair = fsimlib.datasets.PairRecord("ref.png", "dist.png", {"mos": "4.2"})
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
    >>> pair = fsimlib.datasets.PairRecord("ref.png", "gone.png")
    >>> record = fsimlib.datasets.ScoreRecord(0, pair, None, None, "no such image file")
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
