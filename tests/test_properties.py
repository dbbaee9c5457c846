"""Properties FSIM must have whatever the images: symmetry, identity, bounds,
invariance to how the same pixels are stored, and agreement between the
entry points (fsim, compare, fsim_batch, Reference).

Images are drawn from ``np.random.default_rng(seed)`` with the seed, the
size and the distortion drawn by Hypothesis, so every example is
reproducible.  Sides are 8..48 pixels: the automatic factor is then 1, and
the downsampling path is exercised through explicit factors 2 and 3.

Most properties are asserted with ``==``: each holds exactly in
floating-point arithmetic, for the reason given in the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples
from numpy.typing import NDArray
from scipy import ndimage

import fsimlib

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
SIDES = st.integers(min_value=8, max_value=48)
SHAPES = st.tuples(SIDES, SIDES)
#: ``True`` is the automatic factor (1 at these sizes); 2 and 3 downsample.
DOWNSAMPLE = st.sampled_from([True, 2, 3])


def textured(rng: np.random.Generator, shape: tuple[int, ...]) -> NDArray[np.float64]:
    """A smooth random field plus fine texture, in 0..255 (not quantised)."""
    smooth = ndimage.gaussian_filter(rng.normal(size=shape), sigma=2.0, axes=(0, 1))
    smooth = (smooth - smooth.min()) / max(float(np.ptp(smooth)), 1e-12)
    fine = rng.uniform(size=shape)
    return 255.0 * (0.75 * smooth + 0.25 * fine)


def make_pair(
    seed: int, shape: tuple[int, int], *, colour: bool
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """A uint8 image and a distorted copy (noise of a drawn strength)."""
    rng = np.random.default_rng(seed)
    full_shape = (*shape, 3) if colour else shape
    image = textured(rng, full_shape)
    sigma = rng.uniform(1.0, 40.0)
    distorted = image + rng.normal(0.0, sigma, full_shape)
    return (
        np.clip(np.rint(image), 0, 255).astype(np.uint8),
        np.clip(np.rint(distorted), 0, 255).astype(np.uint8),
    )


def independent_pair(
    seed: int, shape: tuple[int, int], *, colour: bool
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Two unrelated uint8 images (the worst case for the score's bounds)."""
    rng = np.random.default_rng(seed)
    full_shape = (*shape, 3) if colour else shape
    first = np.clip(np.rint(textured(rng, full_shape)), 0, 255).astype(np.uint8)
    second = np.clip(np.rint(textured(rng, full_shape)), 0, 255).astype(np.uint8)
    return first, second


# Symmetry: each image's features are computed independently with the same
# arithmetic, and every combining formula is commutative in floating point:
# 2*a*b is (2a)b = 2(ab) exactly (doubling is exact), a*a + b*b is one
# commutative addition, max and the chroma product commute.  So the scores
# are bit-for-bit equal, not just close.
@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
@pytest.mark.parametrize("chromatic", [False, True], ids=["fsim", "fsimc"])
@settings(deadline=None, max_examples=examples(25))
@given(seed=SEEDS, shape=SHAPES, downsample=DOWNSAMPLE)
def test_symmetric(
    colour: bool,
    chromatic: bool,
    seed: int,
    shape: tuple[int, int],
    downsample: bool | int,
) -> None:
    a, b = make_pair(seed, shape, colour=colour)
    forward = fsimlib.fsim(a, b, chromatic=chromatic, downsample=downsample)
    backward = fsimlib.fsim(b, a, chromatic=chromatic, downsample=downsample)
    assert forward == backward


@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
@settings(deadline=None, max_examples=examples(20))
@given(seed=SEEDS, shape=SHAPES)
def test_compare_maps_swap_with_the_images(
    colour: bool, seed: int, shape: tuple[int, int]
) -> None:
    a, b = make_pair(seed, shape, colour=colour)
    ab = fsimlib.compare(a, b)
    ba = fsimlib.compare(b, a)
    # Per-image maps are computed from one image alone: swapping the images
    # swaps them exactly; the similarity maps are symmetric formulas.
    np.testing.assert_array_equal(ab.phase_congruency1, ba.phase_congruency2)
    np.testing.assert_array_equal(ab.gradient1, ba.gradient2)
    np.testing.assert_array_equal(ab.weight, ba.weight)
    np.testing.assert_array_equal(ab.pc_similarity, ba.pc_similarity)
    np.testing.assert_array_equal(ab.gradient_similarity, ba.gradient_similarity)
    np.testing.assert_array_equal(ab.chroma_similarity, ba.chroma_similarity)


# Identity: S(x, x) = (2x*x + T) / (x*x + x*x + T) has the same rounded
# numerator and denominator (2(x*x) is exact), so every local similarity is
# exactly 1 and the weighted mean sum(1*w)/sum(w) is exactly 1.0.
@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
@settings(deadline=None, max_examples=examples(20))
@given(seed=SEEDS, shape=SHAPES, downsample=DOWNSAMPLE)
def test_identical_images_score_exactly_one(
    colour: bool, seed: int, shape: tuple[int, int], downsample: bool | int
) -> None:
    a, _ = make_pair(seed, shape, colour=colour)
    for chromatic in (False, True):
        assert fsimlib.fsim(a, a, chromatic=chromatic, downsample=downsample) == 1.0
        assert (
            fsimlib.fsim(a, a.copy(), chromatic=chromatic, downsample=downsample) == 1.0
        )
    # The Reference path computes the second image's features separately
    # (no shortcut for equal arrays): still exactly 1.
    reference = fsimlib.Reference(a, downsample=downsample)
    assert reference.fsim(a.copy()) == 1.0
    assert reference.fsim(a.copy(), chromatic=True) == 1.0
    result = fsimlib.compare(a, a.copy(), downsample=downsample)
    assert (result.fsim, result.fsimc) == (1.0, 1.0)
    np.testing.assert_array_equal(result.similarity_map, 1.0)


@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
@settings(deadline=None, max_examples=examples(30))
@given(seed=SEEDS, shape=SHAPES, related=st.booleans())
def test_score_lies_in_unit_interval(
    colour: bool, seed: int, shape: tuple[int, int], related: bool
) -> None:
    # Every local similarity is in [0, 1] (PC, G >= 0; |S_I S_Q|**0.03 <= 1
    # times cos(0.03 pi) > 0), so the weighted mean is too.  No tolerance:
    # rounding is monotone, so sum(s*w) cannot exceed sum(w) when s <= 1.
    pair = make_pair if related else independent_pair
    a, b = pair(seed, shape, colour=colour)
    result = fsimlib.compare(a, b)
    assert 0.0 <= result.fsim <= 1.0
    assert 0.0 <= result.fsimc <= 1.0
    assert np.isfinite([result.fsim, result.fsimc]).all()


@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
@settings(deadline=None, max_examples=examples(20))
@given(seed=SEEDS, shape=SHAPES, downsample=DOWNSAMPLE)
def test_uint8_equals_same_values_as_float_with_data_range_255(
    colour: bool, seed: int, shape: tuple[int, int], downsample: bool | int
) -> None:
    # Scale 255 / 255 == 1.0: the same float64 numbers enter the pipeline.
    a, b = make_pair(seed, shape, colour=colour)
    expected = fsimlib.compare(a, b, downsample=downsample)
    as_float = fsimlib.compare(
        a.astype(np.float64),
        b.astype(np.float64),
        data_range=255,
        downsample=downsample,
    )
    assert (as_float.fsim, as_float.fsimc) == (expected.fsim, expected.fsimc)
    mixed = fsimlib.compare(
        a, b.astype(np.float64), data_range=255.0, downsample=downsample
    )
    assert (mixed.fsim, mixed.fsimc) == (expected.fsim, expected.fsimc)


@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
@settings(deadline=None, max_examples=examples(20))
@given(seed=SEEDS, shape=SHAPES, downsample=DOWNSAMPLE)
def test_rescaled_images_score_the_same(
    colour: bool, seed: int, shape: tuple[int, int], downsample: bool | int
) -> None:
    a, b = make_pair(seed, shape, colour=colour)
    expected = fsimlib.compare(a, b, downsample=downsample)
    # x / 255 * (255 / 1.0) and (257 x) * (255 / 65535) give back x only to
    # one or two roundings (relative 1e-16); FSIM is smooth in its input, so
    # the scores agree to far better than 1e-12, which leaves room for the
    # round-off amplified by the FFTs and the 0/0-like ratios in PC.
    unit = fsimlib.compare(a / 255.0, b / 255.0, data_range=1.0, downsample=downsample)
    assert unit.fsim == pytest.approx(expected.fsim, abs=1e-12, rel=0)
    assert unit.fsimc == pytest.approx(expected.fsimc, abs=1e-12, rel=0)
    wide = fsimlib.compare(
        a.astype(np.uint16) * np.uint16(257),
        b.astype(np.uint16) * np.uint16(257),
        downsample=downsample,
    )
    assert wide.fsim == pytest.approx(expected.fsim, abs=1e-12, rel=0)
    assert wide.fsimc == pytest.approx(expected.fsimc, abs=1e-12, rel=0)


@pytest.mark.parametrize("chromatic", [False, True], ids=["fsim", "fsimc"])
@settings(deadline=None, max_examples=examples(20))
@given(seed=SEEDS, shape=SHAPES, downsample=DOWNSAMPLE)
def test_channel_axis_follows_the_channels(
    chromatic: bool, seed: int, shape: tuple[int, int], downsample: bool | int
) -> None:
    # Moving the channels only changes which views are taken of the same
    # numbers: the scores are identical.
    a, b = make_pair(seed, shape, colour=True)
    expected = fsimlib.fsim(a, b, chromatic=chromatic, downsample=downsample)
    for axis in (0, 1, 2, -1, -2, -3):
        moved_a = np.moveaxis(a, -1, axis)
        moved_b = np.moveaxis(b, -1, axis)
        score = fsimlib.fsim(
            moved_a,
            moved_b,
            channel_axis=axis,
            chromatic=chromatic,
            downsample=downsample,
        )
        assert score == expected, f"channel_axis={axis}"


@settings(deadline=None, max_examples=examples(20))
@given(seed=SEEDS, shape=SHAPES, downsample=DOWNSAMPLE)
def test_fsimc_equals_fsim_for_greyscale(
    seed: int, shape: tuple[int, int], downsample: bool | int
) -> None:
    # Greyscale chroma is all ones, so S_C == 1 and the pooled sums match.
    a, b = make_pair(seed, shape, colour=False)
    score = fsimlib.fsim(a, b, downsample=downsample)
    assert fsimlib.fsim(a, b, chromatic=True, downsample=downsample) == score
    result = fsimlib.compare(a, b, downsample=downsample)
    assert result.fsimc == result.fsim == score
    np.testing.assert_array_equal(result.chroma_similarity, 1.0)


@pytest.mark.parametrize("chromatic", [False, True], ids=["fsim", "fsimc"])
@settings(deadline=None, max_examples=examples(20))
@given(seed=SEEDS, shape=SHAPES, downsample=DOWNSAMPLE)
def test_single_channel_3d_equals_2d(
    chromatic: bool, seed: int, shape: tuple[int, int], downsample: bool | int
) -> None:
    a, b = make_pair(seed, shape, colour=False)
    expected = fsimlib.fsim(a, b, chromatic=chromatic, downsample=downsample)
    last = fsimlib.fsim(
        a[..., np.newaxis],
        b[..., np.newaxis],
        chromatic=chromatic,
        downsample=downsample,
    )
    first = fsimlib.fsim(
        a[np.newaxis],
        b[np.newaxis],
        channel_axis=0,
        chromatic=chromatic,
        downsample=downsample,
    )
    assert last == expected
    assert first == expected


@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
@settings(deadline=None, max_examples=examples(20))
@given(seed=SEEDS, shape=SHAPES, downsample=DOWNSAMPLE)
def test_compare_scores_equal_fsim(
    colour: bool, seed: int, shape: tuple[int, int], downsample: bool | int
) -> None:
    a, b = make_pair(seed, shape, colour=colour)
    result = fsimlib.compare(a, b, downsample=downsample)
    assert result.fsim == fsimlib.fsim(a, b, downsample=downsample)
    assert result.fsimc == fsimlib.fsim(a, b, chromatic=True, downsample=downsample)
    assert isinstance(result.fsim, float)
    assert isinstance(result.fsimc, float)


@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
@pytest.mark.parametrize("workers", [None, 2])
@settings(deadline=None, max_examples=examples(10))
@given(
    seed=SEEDS,
    shape=SHAPES,
    batch=st.tuples(st.integers(min_value=1, max_value=4), st.booleans()),
)
def test_fsim_batch_equals_a_loop_of_fsim(
    colour: bool,
    workers: int | None,
    seed: int,
    shape: tuple[int, int],
    batch: tuple[int, bool],
) -> None:
    count, chromatic = batch
    pairs = [make_pair(seed + i, shape, colour=colour) for i in range(count)]
    stack1 = np.stack([a for a, _ in pairs])
    stack2 = np.stack([b for _, b in pairs])
    scores = fsimlib.fsim_batch(stack1, stack2, chromatic=chromatic, workers=workers)
    expected = [fsimlib.fsim(a, b, chromatic=chromatic) for a, b in pairs]
    assert scores.dtype == np.float64
    assert scores.shape == (count,)
    assert scores.tolist() == expected
    # One reference against the whole stack goes through Reference.
    single = fsimlib.fsim_batch(stack1[0], stack2, chromatic=chromatic, workers=workers)
    assert single.tolist() == [
        fsimlib.fsim(stack1[0], b, chromatic=chromatic) for b in stack2
    ]


@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
@settings(deadline=None, max_examples=examples(20))
@given(seed=SEEDS, shape=SHAPES, downsample=DOWNSAMPLE)
def test_reference_equals_fsim(
    colour: bool, seed: int, shape: tuple[int, int], downsample: bool | int
) -> None:
    # The prepared reference's features are those fsim() computes for
    # image1, so the scores are the same numbers.
    a, b = make_pair(seed, shape, colour=colour)
    reference = fsimlib.Reference(a, downsample=downsample)
    assert reference.fsim(b) == fsimlib.fsim(a, b, downsample=downsample)
    assert reference.fsim(b, chromatic=True) == fsimlib.fsim(
        a, b, chromatic=True, downsample=downsample
    )
    result = reference.compare(b)
    expected = fsimlib.compare(a, b, downsample=downsample)
    assert (result.fsim, result.fsimc) == (expected.fsim, expected.fsimc)
    assert result.downsample_factor == expected.downsample_factor
    # Scoring is repeatable: a second call gives the same number.
    assert reference.fsim(b) == expected.fsim
