"""Subjective image-quality databases: read them, score them, summarise.

``fsimlib evaluate ROOT --database NAME`` (or :func:`evaluate`) scores every
pair of TID2013, TID2008, KADID-10k, CSIQ or LIVE (release 2) as unpacked
from its authors' archive, and reports how well FSIM and FSIMc agree with
the database's opinion scores.
"""

from ._catalogue import DATABASES, get_database
from ._description import Database, ScoreSource
from ._evaluate import Evaluation, evaluate
from ._reader import DatabaseTable, database_pairs, detect_database

__all__ = [
    "DATABASES",
    "Database",
    "DatabaseTable",
    "Evaluation",
    "ScoreSource",
    "database_pairs",
    "detect_database",
    "evaluate",
    "get_database",
]
