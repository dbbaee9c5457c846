"""Loading pairs of the copied reference corpus (tests/data) for other tests."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from skimage.io import imread

DATA_DIR = Path(__file__).resolve().parent / "data"


def scored_cases() -> list[dict[str, str]]:
    """Rows of cases.csv whose reference score is a number."""
    with (DATA_DIR / "cases.csv").open(newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["fsim"] != "NaN"]


def load_pair(row: dict[str, str]) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """The two images of a case, as the library receives them."""
    return imread(DATA_DIR / row["ref_png"]), imread(DATA_DIR / row["dist_png"])


def one_case_per_shape() -> list[dict[str, str]]:
    """The first non-identical case of each (shape, channels) class."""
    chosen: dict[tuple[str, str, str], dict[str, str]] = {}
    for row in scored_cases():
        key = (row["height"], row["width"], row["channels"])
        if row["distortion"] != "identical" and key not in chosen:
            chosen[key] = row
    return list(chosen.values())
