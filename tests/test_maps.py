"""fsimlib stage by stage against the reference's intermediate maps.

``data/maps`` holds, for a few pairs, the maps the authors' FeatureSIM.m
computed on the way to the score: downsampled luminance ``Y`` (and chroma
``I``, ``Q`` for one colour pair), phase congruency ``PC`` and gradient
magnitude ``G``; plus stand-alone phase congruency maps of a few inputs.
Each stage is checked on the reference's own input to that stage, so a
failure points at one stage.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from skimage.io import imread

import fsimlib

#: Every test here computes through the FFT engine: the session without
#: pyFFTW runs them again on scipy.fft.
pytestmark = pytest.mark.engine

DATA_DIR = Path(__file__).resolve().parent / "data"
MAPS_DIR = DATA_DIR / "maps"

#: Absolute tolerance on maps and scores, the agreement fsimlib promises
#: with the reference (docs/guide/agreement.rst).  The maps agree
#: with the reference to about 1e-13 (FFT round-off and summation order, on
#: values up to a few hundred); any change of algorithm moves them by far
#: more.
MAP_TOL = 1e-10

INDEX: list[dict[str, Any]] = json.loads((MAPS_DIR / "index.json").read_text())
MAP_CASES = [entry for entry in INDEX if "case_id" in entry]
PC_PAIRS = [entry for entry in INDEX if "pc_name" in entry]

with (DATA_DIR / "cases.csv").open(newline="") as _handle:
    CSV_ROWS = {row["case_id"]: row for row in csv.DictReader(_handle)}

map_case = pytest.mark.parametrize(
    "entry", MAP_CASES, ids=[entry["case_id"] for entry in MAP_CASES]
)


def load_map(case_id: str, field: str) -> NDArray[np.float64]:
    return np.asarray(np.load(MAPS_DIR / f"{case_id}_{field}.npy"), dtype=np.float64)


def image_group(case_id: str) -> str:
    """``"148_camera_255x255_g_blur_2"`` -> ``"camera_255x255_g"``."""
    match = re.match(r"\d+_(.+_\d+x\d+_[gc])_", case_id)
    assert match is not None, case_id
    return match.group(1)


def source_images(case_id: str) -> tuple[Path, Path | None]:
    """Reference PNG of a map case, and its distorted PNG when we have it.

    Cases 148 and 090 have maps but their distorted images are not in the
    corpus; their reference image is the one every case of the same source
    crop (name, size and colour mode) uses, and the stored Y2 maps stand in
    for the distorted image in the later stages.
    """
    row = CSV_ROWS.get(case_id)
    if row is not None:
        return DATA_DIR / row["ref_png"], DATA_DIR / row["dist_png"]
    group = image_group(case_id)
    refs = {r["ref_png"] for cid, r in CSV_ROWS.items() if image_group(cid) == group}
    assert len(refs) == 1, f"{case_id}: reference images {refs}"
    return DATA_DIR / refs.pop(), None


def planes_at_processing_size(
    image: NDArray[np.uint8], factor: int
) -> dict[str, NDArray[np.float64]]:
    """Y (and I, Q) in the reference's order: convert, then downsample."""
    if image.ndim == 2:
        return {"Y": fsimlib.box_downsample(image, factor)}
    red, green, blue = (image[..., c].astype(np.float64) for c in range(3))
    yiq = fsimlib.rgb_to_yiq(red, green, blue)
    return {
        "Y": fsimlib.box_downsample(yiq.y, factor),
        "I": fsimlib.box_downsample(yiq.i, factor),
        "Q": fsimlib.box_downsample(yiq.q, factor),
    }


def check_map(
    got: NDArray[np.float64], expected: NDArray[np.float64], what: str
) -> None:
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    error = float(np.max(np.abs(got - expected)))
    assert error <= MAP_TOL, f"{what}: max abs difference {error:.3e} > {MAP_TOL:g}"


def test_index_lists_the_expected_maps() -> None:
    assert {entry["case_id"][:3] for entry in MAP_CASES} == {
        "090", "148", "162", "166", "201",
    }  # fmt: skip
    assert len(PC_PAIRS) == 4
    for entry in MAP_CASES:
        for field in entry["fields"]:
            shape = load_map(entry["case_id"], field).shape
            assert list(shape) == entry["shape_ds"], (entry["case_id"], field)


@map_case
def test_downsampling_factor(entry: dict[str, Any]) -> None:
    shape = tuple(entry["shape_in"])
    assert fsimlib.automatic_factor(shape) == entry["F"], entry["case_id"]


@map_case
def test_downsampled_planes(entry: dict[str, Any]) -> None:
    case_id = entry["case_id"]
    ref_png, dist_png = source_images(case_id)
    images = {"1": imread(ref_png)}
    if dist_png is not None:
        images["2"] = imread(dist_png)
    for suffix, image in images.items():
        assert list(image.shape[:2]) == entry["shape_in"], case_id
        planes = planes_at_processing_size(image, entry["F"])
        for name, plane in planes.items():
            field = f"{name}{suffix}"
            # Y is stored for every case; I and Q for one colour pair only.
            if name == "Y" or field in entry["fields"]:
                check_map(plane, load_map(case_id, field), f"{case_id} {field}")


@map_case
@pytest.mark.parametrize("suffix", ["1", "2"])
def test_phase_congruency_of_stored_luminance(
    entry: dict[str, Any], suffix: str
) -> None:
    case_id = entry["case_id"]
    luminance = load_map(case_id, f"Y{suffix}")
    check_map(
        fsimlib.phase_congruency(luminance),
        load_map(case_id, f"PC{suffix}"),
        f"{case_id} PC{suffix}",
    )


@pytest.mark.parametrize(
    "entry", PC_PAIRS, ids=[entry["pc_name"] for entry in PC_PAIRS]
)
def test_phase_congruency_without_downsampling(entry: dict[str, Any]) -> None:
    image = np.load(DATA_DIR / entry["input"])
    expected = np.load(DATA_DIR / entry["pc"])
    assert list(image.shape) == entry["shape"], entry["pc_name"]
    check_map(fsimlib.phase_congruency(image), expected, f"pc_{entry['pc_name']}")


@map_case
def test_compare_on_stored_luminance(entry: dict[str, Any]) -> None:
    case_id = entry["case_id"]
    y1, y2 = load_map(case_id, "Y1"), load_map(case_id, "Y2")
    result = fsimlib.compare(y1, y2, data_range=255, downsample=False)
    assert result.downsample_factor == 1, case_id
    check_map(result.phase_congruency1, load_map(case_id, "PC1"), f"{case_id} PC1")
    check_map(result.phase_congruency2, load_map(case_id, "PC2"), f"{case_id} PC2")
    check_map(result.gradient1, load_map(case_id, "G1"), f"{case_id} G1")
    check_map(result.gradient2, load_map(case_id, "G2"), f"{case_id} G2")
    # Scoring the reference's luminance reproduces its FSIM.  For the colour
    # pairs Y carries no chroma, so only FSIM is comparable; for greyscale
    # pairs the reference's FSIMc equals its FSIM.
    assert abs(result.fsim - entry["fsim"]) <= MAP_TOL, (
        f"{case_id}: fsim {result.fsim!r}, reference {entry['fsim']!r}"
    )
    if image_group(case_id).endswith("_g"):
        assert abs(result.fsimc - entry["fsimc"]) <= MAP_TOL, (
            f"{case_id}: fsimc {result.fsimc!r}, reference {entry['fsimc']!r}"
        )
