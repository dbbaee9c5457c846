"""Flat and identical images: where the reference returns NaN, fsimlib does not.

The reference divides 0 by 0 on a constant image and returns NaN for any
pair that contains one (corpus cases 209-214).  fsimlib documents what it
returns instead (``fsim`` docstring, Notes): a constant image has zero phase
congruency; identical images score exactly 1.0; if neither image has any
phase congruency the local similarity is averaged with equal weights; a
textured image against a flat one is scored on the textured image's
features.  These tests hold the library to that, on the corpus's flat cases
and on generated ones.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import ArrayLike, NDArray
from skimage.io import imread

import fsimlib

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Tolerance between two computations of one score from the same maps: the
#: same arithmetic, so only rounding could differ, a few units in the last
#: place of numbers near 1.
POOL_TOL = 1e-14


def summation_tolerance(values: np.ndarray) -> float:
    """Bound on the difference of two orders of summing ``values`` (a mean).

    fsimlib pools in one sequential pass; ``np.mean`` sums pairwise.  A
    sequential sum of n terms of a mean near 1 may be off by up to about
    n units of float64 round-off, so the bound grows with the map's size.
    """
    return max(POOL_TOL, values.size * float(np.finfo(np.float64).eps))


#: Tolerance on symmetry: every step is elementwise and commutative in IEEE
#: arithmetic (2ab, a^2 + b^2, max), so swapping the images may change
#: nothing beyond a last-place rounding.
SYMMETRY_TOL = 1e-15

ReadOnly = Callable[[ArrayLike], NDArray[np.generic]]


def corpus_pair(case_id: str) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    with (DATA_DIR / "cases.csv").open(newline="") as handle:
        (row,) = [r for r in csv.DictReader(handle) if r["case_id"] == case_id]
    assert row["fsim"] == "NaN", f"{case_id} is not one of the reference's NaN cases"
    return imread(DATA_DIR / row["ref_png"]), imread(DATA_DIR / row["dist_png"])


def textured(seed: int, shape: tuple[int, ...]) -> NDArray[np.uint8]:
    """A seeded random-walk image: structure at every scale."""
    rng = np.random.default_rng(seed)
    walk = np.cumsum(np.cumsum(rng.normal(size=shape), axis=0), axis=1)
    span = np.ptp(walk)
    return np.asarray(np.round(255 * (walk - walk.min()) / span), dtype=np.uint8)


def scores(
    image1: ArrayLike, image2: ArrayLike, **options: object
) -> tuple[float, float]:
    return (
        fsimlib.fsim(image1, image2, **options),  # type: ignore[arg-type]
        fsimlib.fsim(image1, image2, chromatic=True, **options),  # type: ignore[arg-type]
    )


# Identical images ---------------------------------------------------------


@pytest.mark.parametrize(
    "case_id",
    ["209_flat_256x256_g_flat_vs_flat_same", "213_flat_256x256_c_flat_vs_flat_same"],
)
def test_identical_flat_corpus_images_score_one(
    case_id: str, read_only: ReadOnly
) -> None:
    reference, distorted = corpus_pair(case_id)
    assert scores(read_only(reference), read_only(distorted)) == (1.0, 1.0), case_id


IDENTICAL_IMAGES = {
    "grey-textured": (textured(0, (64, 80)), {}),
    "colour-textured": (textured(1, (64, 80, 3)), {}),
    "grey-flat": (np.full((48, 48), 7, dtype=np.uint8), {}),
    "colour-flat": (np.full((48, 48, 3), (200, 10, 90), dtype=np.uint8), {}),
    "grey-flat-zero": (np.zeros((33, 47), dtype=np.uint8), {}),
    "float-flat": (np.full((40, 40), 0.25), {"data_range": 1.0}),
    "float-textured-F2": (textured(2, (600, 520)) / 255.0, {"data_range": 1.0}),
    "uint16-colour": (textured(3, (50, 70, 3)).astype(np.uint16) * 257, {}),
}


@pytest.mark.parametrize("same_object", [True, False], ids=["same", "copy"])
@pytest.mark.parametrize("key", list(IDENTICAL_IMAGES))
def test_identical_images_score_exactly_one(
    key: str, same_object: bool, read_only: ReadOnly
) -> None:
    image, options = IDENTICAL_IMAGES[key]
    first = read_only(image)
    second = first if same_object else read_only(image)
    assert scores(first, second, **options) == (1.0, 1.0), key


# Constant images have no phase congruency --------------------------------


@pytest.mark.parametrize("shape", [(64, 64), (33, 47), (2, 2), (2, 300), (300, 2)])
@pytest.mark.parametrize("level", [0.0, 1e-9, 128.0, 255.0, -3.5, 1e6])
def test_constant_image_has_zero_phase_congruency(
    shape: tuple[int, int], level: float, read_only: ReadOnly
) -> None:
    pc = fsimlib.phase_congruency(read_only(np.full(shape, level)))
    assert pc.shape == shape
    assert pc.dtype == np.float64
    assert np.all(pc == 0.0), f"level {level}, shape {shape}: max {pc.max()}"


@pytest.mark.parametrize(
    "case_id",
    [
        "210_flat_256x256_g_flat_vs_flat_128vs100",
        "214_flat_256x256_c_flat_vs_flat_diffcolour",
    ],
)
def test_flat_corpus_images_have_zero_phase_congruency(case_id: str) -> None:
    result = fsimlib.compare(*corpus_pair(case_id))
    assert np.all(result.phase_congruency1 == 0.0), case_id
    assert np.all(result.phase_congruency2 == 0.0), case_id
    assert np.all(result.weight == 0.0), case_id


# Flat against flat of another level: equal weights ------------------------


def check_unweighted_pooling(
    image1: ArrayLike, image2: ArrayLike, label: str, **options: object
) -> tuple[float, float]:
    fsim, fsimc = scores(image1, image2, **options)
    result = fsimlib.compare(image1, image2, **options)  # type: ignore[arg-type]
    assert math.isfinite(fsim), f"{label}: fsim {fsim}"
    assert math.isfinite(fsimc), f"{label}: fsimc {fsimc}"
    plain = float(np.mean(result.similarity_map))
    plain_c = float(np.mean(result.chromatic_similarity_map))
    tolerance = summation_tolerance(result.similarity_map)
    assert abs(fsim - plain) <= tolerance, f"{label}: fsim {fsim!r} vs mean {plain!r}"
    assert abs(fsimc - plain_c) <= tolerance, (
        f"{label}: fsimc {fsimc!r} vs mean {plain_c!r}"
    )
    assert abs(result.fsim - fsim) <= POOL_TOL, label
    assert abs(result.fsimc - fsimc) <= POOL_TOL, label
    # Zero padding of the gradient makes the borders of two flat images of
    # different levels differ, so the score is below 1; FSIMc's chroma factor
    # is at most 1 and never negative.
    assert 0.0 <= fsimc <= fsim < 1.0, f"{label}: fsim {fsim}, fsimc {fsimc}"
    return fsim, fsimc


@pytest.mark.parametrize(
    "case_id",
    [
        "210_flat_256x256_g_flat_vs_flat_128vs100",
        "214_flat_256x256_c_flat_vs_flat_diffcolour",
    ],
)
def test_flat_vs_flat_corpus_pairs_pool_unweighted(
    case_id: str, read_only: ReadOnly
) -> None:
    reference, distorted = corpus_pair(case_id)
    check_unweighted_pooling(read_only(reference), read_only(distorted), case_id)


levels = st.integers(min_value=0, max_value=255)


@given(
    level=levels,
    step=st.integers(min_value=1, max_value=255),
    shape=st.sampled_from([(32, 32), (31, 45), (530, 300)]),
)
def test_flat_vs_flat_grey_pools_unweighted(
    level: int, step: int, shape: tuple[int, int]
) -> None:
    other = (level + step) % 256  # never equal to level
    image1 = np.full(shape, level, dtype=np.uint8)
    image2 = np.full(shape, other, dtype=np.uint8)
    fsim, fsimc = check_unweighted_pooling(
        image1, image2, f"levels {level} and {other}, shape {shape}"
    )
    assert fsim == fsimc, "greyscale FSIMc must equal FSIM"


@given(
    colour1=st.tuples(levels, levels, levels),
    colour2=st.tuples(levels, levels, levels),
)
def test_flat_vs_flat_colour_pools_unweighted(
    colour1: tuple[int, int, int], colour2: tuple[int, int, int]
) -> None:
    luma = np.array([0.299, 0.587, 0.114])
    # Equal luminance gives FSIM = 1 exactly; that case is tested above.
    if np.isclose(luma @ colour1, luma @ colour2, rtol=0, atol=1e-9):
        colour2 = (255 - colour1[0], 255 - colour1[1], 255 - colour1[2])
    if colour1 == colour2:  # mid-grey is its own complement
        colour2 = (0, 0, 0)
    image1 = np.full((32, 40, 3), colour1, dtype=np.uint8)
    image2 = np.full((32, 40, 3), colour2, dtype=np.uint8)
    check_unweighted_pooling(image1, image2, f"colours {colour1} and {colour2}")


# Textured against flat: finite, in [0, 1], symmetric ----------------------


def check_textured_vs_flat(
    textured_image: NDArray[np.generic], flat_image: NDArray[np.generic], label: str
) -> None:
    forward = scores(textured_image, flat_image)
    backward = scores(flat_image, textured_image)
    for name, one, other in zip(("fsim", "fsimc"), forward, backward, strict=True):
        assert math.isfinite(one), f"{label}: {name} {one}"
        assert 0.0 <= one <= 1.0, f"{label}: {name} {one}"
        assert abs(one - other) <= SYMMETRY_TOL, (
            f"{label}: {name} {one!r} one way, {other!r} the other"
        )
    # Scored on the textured image's features: the pooling weight is its
    # phase congruency (the flat image has none).
    result = fsimlib.compare(textured_image, flat_image)
    assert np.array_equal(result.weight, result.phase_congruency1), label
    assert np.all(result.phase_congruency2 == 0.0), label
    assert result.weight.sum() > 0, label


def test_textured_vs_flat_corpus_pairs(read_only: ReadOnly) -> None:
    # Cases 211 and 212 are the same pair in both orders.
    flat, camera = corpus_pair("211_flat_256x256_g_flat_vs_textured_flat_ref")
    camera2, flat2 = corpus_pair("212_flat_256x256_g_textured_vs_flat_flat_dist")
    assert np.array_equal(camera, camera2)
    assert np.array_equal(flat, flat2)
    check_textured_vs_flat(read_only(camera), read_only(flat), "cases 211/212")
    # A textured image scores well below 1 against a flat one.
    assert fsimlib.fsim(camera, flat) < 0.9


@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    level=levels,
    colour=st.booleans(),
)
def test_textured_vs_flat_is_finite_bounded_and_symmetric(
    seed: int, level: int, colour: bool
) -> None:
    shape = (40, 48, 3) if colour else (40, 48)
    image = textured(seed, shape)
    flat = np.full(shape, level, dtype=np.uint8)
    check_textured_vs_flat(image, flat, f"seed {seed}, level {level}")
