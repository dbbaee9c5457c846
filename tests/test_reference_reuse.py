"""Reference reuse and batches return exactly the scores of fsim()."""

from __future__ import annotations

import numpy as np
import pytest
from corpus import load_pair, one_case_per_shape

import fsimlib

CASES = one_case_per_shape()


@pytest.mark.parametrize("row", CASES, ids=lambda row: row["case_id"])
def test_reference_scores_equal_fsim_exactly(row: dict[str, str]) -> None:
    ref, dist = load_pair(row)
    reference = fsimlib.Reference(ref)
    assert reference.downsample_factor == int(row["F"])
    assert reference.shape == ref.shape
    for chromatic in (False, True):
        assert reference.fsim(dist, chromatic=chromatic) == fsimlib.fsim(
            ref, dist, chromatic=chromatic
        ), (row["case_id"], chromatic)


@pytest.mark.parametrize("row", CASES, ids=lambda row: row["case_id"])
def test_reference_scores_equal_both_fsim_calls_exactly(row: dict[str, str]) -> None:
    # One feature extraction gives both scores, to the bit of two calls.
    ref, dist = load_pair(row)
    reference = fsimlib.Reference(ref)
    scores = reference.scores(dist)
    assert isinstance(scores, fsimlib.Scores)
    assert scores == (reference.fsim(dist), reference.fsim(dist, chromatic=True))
    result = reference.compare(dist)
    assert scores == (result.fsim, result.fsimc), row["case_id"]


@pytest.mark.parametrize(
    ("options", "scale"),
    [
        ({"data_range": 1.0, "gradient": "sobel", "downsample": 2}, 1.0),
        ({"precision": "float32", "downsample": 1}, 255.0),
    ],
)
def test_reference_scores_with_options(
    options: dict[str, object], scale: float
) -> None:
    rng = np.random.default_rng(22)
    ref = rng.random((40, 56, 3)) * scale
    dist = np.clip(ref + rng.normal(0, 0.05 * scale, ref.shape), 0, scale)
    if scale == 255.0:
        ref, dist = ref.astype(np.uint8), dist.astype(np.uint8)
    reference = fsimlib.Reference(ref, **options)  # type: ignore[arg-type]
    fsim, fsimc = reference.scores(dist)
    assert fsim == fsimlib.fsim(ref, dist, **options)  # type: ignore[arg-type]
    assert fsimc == fsimlib.fsim(ref, dist, chromatic=True, **options)  # type: ignore[arg-type]
    assert fsimc != fsim


def test_reference_scores_checks_the_image() -> None:
    reference = fsimlib.Reference(np.zeros((32, 32), np.uint8))
    with pytest.raises(ValueError, match="shape"):
        reference.scores(np.zeros((32, 33), np.uint8))


def test_reference_compare_equals_compare() -> None:
    ref, dist = load_pair(next(r for r in CASES if r["channels"] == "3"))
    expected = fsimlib.compare(ref, dist)
    got = fsimlib.Reference(ref).compare(dist)
    assert (got.fsim, got.fsimc) == (expected.fsim, expected.fsimc)
    for name in ("phase_congruency1", "phase_congruency2", "gradient2", "weight"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))
    np.testing.assert_array_equal(
        got.chromatic_similarity_map, expected.chromatic_similarity_map
    )


def test_reference_keeps_features_not_the_array() -> None:
    ref, dist = load_pair(CASES[0])
    original = ref.copy()
    reference = fsimlib.Reference(ref)
    ref[:] = 0  # the caller reuses its buffer
    assert reference.fsim(dist) == fsimlib.fsim(original, dist)


def test_reference_with_float_images_and_options() -> None:
    rng = np.random.default_rng(21)
    ref = rng.random((70, 90, 3))
    dist = np.clip(ref + rng.normal(0, 0.05, ref.shape), 0, 1)
    options = {"data_range": 1.0, "gradient": "sobel", "downsample": 2}
    reference = fsimlib.Reference(ref, **options)
    assert reference.fsim(dist, chromatic=True) == fsimlib.fsim(
        ref, dist, chromatic=True, **options
    )
    too_wide = dist * 3
    with pytest.raises(ValueError, match="wider than data_range"):
        reference.fsim(too_wide)


def test_reference_with_channels_first() -> None:
    ref, dist = load_pair(next(r for r in CASES if r["channels"] == "3"))
    ref_chw, dist_chw = np.moveaxis(ref, -1, 0), np.moveaxis(dist, -1, 0)
    reference = fsimlib.Reference(ref_chw, channel_axis=0)
    assert reference.fsim(dist_chw, chromatic=True) == fsimlib.fsim(
        ref, dist, chromatic=True
    )


@pytest.mark.parametrize("colour", [False, True])
def test_batch_against_one_reference_equals_loop(colour: bool) -> None:
    rng = np.random.default_rng(5)
    shape = (45, 61, 3) if colour else (45, 61)
    ref = rng.integers(0, 256, shape, dtype=np.uint8)
    stack = np.clip(ref + rng.integers(-30, 31, (5, *shape)), 0, 255).astype(np.uint8)
    scores = fsimlib.fsim_batch(ref, stack, chromatic=colour, workers=2)
    assert scores.dtype == np.float64
    assert scores.shape == (5,)
    assert list(scores) == [fsimlib.fsim(ref, d, chromatic=colour) for d in stack]


def test_batch_channel_axis_counts_axes_of_one_image() -> None:
    rng = np.random.default_rng(6)
    a = rng.integers(0, 256, (3, 40, 41, 3), dtype=np.uint8)
    b = rng.integers(0, 256, (3, 40, 41, 3), dtype=np.uint8)
    last = fsimlib.fsim_batch(a, b, chromatic=True)
    first = fsimlib.fsim_batch(
        np.moveaxis(a, -1, 1), np.moveaxis(b, -1, 1), chromatic=True, channel_axis=0
    )
    np.testing.assert_array_equal(first, last)
