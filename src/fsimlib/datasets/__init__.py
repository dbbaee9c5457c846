"""Dataset work: tables of image-file pairs, scored into resumable files.

* :func:`read_pairs_csv` and :func:`pair_folders` make the pairs
  (:class:`PairRecord`), from a CSV or from two folders;
* :func:`score_pairs` scores them here, on threads or on any executor
  (a process pool, dask), yielding a :class:`ScoreRecord` per pair;
* :class:`ScoreFile` is the resumable CSV the records go to, whose first
  line records how they were made (:func:`provenance`).

Examples
--------
>>> import fsimlib.datasets
>>> fsimlib.datasets.PairRecord("ref.png", "dist.png").dist
'dist.png'
"""

from ._folders import IMAGE_SUFFIXES, pair_folders
from ._records import PairRecord, ScoreRecord
from ._scorefile import ScoreFile, provenance
from ._scoring import DEFAULT_CHUNK_SIZE, score_pairs
from ._tables import read_pairs_csv

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "IMAGE_SUFFIXES",
    "PairRecord",
    "ScoreFile",
    "ScoreRecord",
    "pair_folders",
    "provenance",
    "read_pairs_csv",
    "score_pairs",
]
