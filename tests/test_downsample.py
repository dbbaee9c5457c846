"""The reference's automatic downsampling, as FeatureSIM.m does it.

``F = max(1, round_half_away_from_zero(min(H, W) / 256))``; each plane is
filtered with an ``F x F`` mean, "same" size with zeros outside the image and
the alignment of a full convolution cropped at offset ``F // 2`` (MATLAB's
``conv2(x, ones(F) / F^2, 'same')``), then rows and columns ``0, F, 2F, ...``
are kept.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples
from numpy.typing import NDArray
from scipy import signal

import fsimlib

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
#: Odd, even and prime sides, some smaller than the factor (which may be as
#: large as the longer side).
SIDES = st.sampled_from(
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 23, 24, 29, 31, 32, 37, 41]
)
FACTORS = st.integers(min_value=1, max_value=7)
DTYPES = st.sampled_from([np.uint8, np.uint16, np.float64])


def random_plane(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: type
) -> NDArray:
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)
    return rng.uniform(-3.0, 300.0, shape).astype(dtype)


def conv2_then_decimate(plane: NDArray, factor: int) -> NDArray[np.float64]:
    """The definition above, transcribed: full convolution, crop, decimate."""
    rows, cols = plane.shape
    kernel = np.ones((factor, factor)) / factor**2
    full = signal.convolve2d(plane.astype(np.float64), kernel, mode="full")
    offset = factor // 2
    same = full[offset : offset + rows, offset : offset + cols]
    return np.asarray(same[::factor, ::factor])


def index_form(plane: NDArray, factor: int) -> NDArray[np.float64]:
    """The same in index form: output[i] = mean of input[i F + F//2 - (F-1) ..
    i F + F//2] along each axis, zeros outside the image, with exact sums.
    """
    rows, cols = plane.shape
    out = np.empty((math.ceil(rows / factor), math.ceil(cols / factor)))
    values = plane.astype(object)  # Python ints/floats: exact integer sums
    for i in range(out.shape[0]):
        last_row = i * factor + factor // 2
        row_range = range(max(0, last_row - factor + 1), min(rows, last_row + 1))
        for j in range(out.shape[1]):
            last_col = j * factor + factor // 2
            col_range = range(max(0, last_col - factor + 1), min(cols, last_col + 1))
            total = sum(values[r, c] for r in row_range for c in col_range)
            out[i, j] = total / factor**2
    return out


@pytest.mark.parametrize(
    ("shape", "factor"),
    [
        ((2, 2), 1),
        ((100, 100), 1),
        ((127, 500), 1),  # 0.496
        ((128, 128), 1),  # 0.5 rounds away from zero: 1 (also max(1, .))
        ((256, 256), 1),
        ((383, 383), 1),  # 1.496
        ((384, 384), 2),  # 1.5 -> 2
        ((512, 384), 2),
        ((639, 700), 2),  # 2.496
        ((640, 640), 3),  # 2.5 -> 3 (Python's round would give 2)
        ((1000, 640), 3),  # the shorter side decides, whichever axis it is
        ((767, 767), 3),  # 2.996
        ((896, 896), 4),  # 3.5 -> 4
        ((1151, 2000), 4),  # 4.496
        ((1152, 1152), 5),  # 4.5 -> 5
        ((1408, 1408), 6),  # 5.5 -> 6
        ((2, 10_000), 1),
    ],
)
def test_automatic_factor(shape: tuple[int, int], factor: int) -> None:
    assert fsimlib.automatic_factor(shape) == factor
    assert fsimlib.automatic_factor(shape[::-1]) == factor


@settings(deadline=None, max_examples=examples(150))
@given(seed=SEEDS, rows=SIDES, cols=SIDES, factor=FACTORS, dtype=DTYPES)
def test_box_downsample_equals_the_spec(
    seed: int, rows: int, cols: int, factor: int, dtype: type
) -> None:
    assume(factor <= max(rows, cols))
    plane = random_plane(np.random.default_rng(seed), (rows, cols), dtype)
    result = fsimlib.box_downsample(plane, factor)
    assert result.dtype == np.float64
    assert result.shape == (math.ceil(rows / factor), math.ceil(cols / factor))
    # convolve2d rounds each x * (1 / F**2) and sums up to 49 of them: a few
    # ulps relative to the largest value (65535 for uint16).
    scale = max(1.0, float(np.max(np.abs(plane))))
    np.testing.assert_allclose(
        result, conv2_then_decimate(plane, factor), rtol=0, atol=1e-12 * scale
    )


@settings(deadline=None, max_examples=examples(60))
@given(
    seed=SEEDS,
    rows=SIDES,
    cols=SIDES,
    factor=FACTORS,
    dtype=st.sampled_from([np.uint8, np.uint16, np.int16]),
)
def test_integer_boxes_are_summed_exactly(
    seed: int, rows: int, cols: int, factor: int, dtype: type
) -> None:
    assume(factor <= max(rows, cols))
    # Integer sums fit float64 exactly, so the only rounding is the final
    # division by F**2: the result is the correctly rounded mean, bit for bit.
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    plane = rng.integers(info.min, info.max, (rows, cols), dtype=dtype, endpoint=True)
    np.testing.assert_array_equal(
        fsimlib.box_downsample(plane, factor), index_form(plane, factor)
    )


@pytest.mark.parametrize(
    ("factor", "expected"),
    [
        # F = 2 averages input[2i] and input[2i + 1].
        (2, [[2.5, 4.5], [10.5, 12.5]]),
        # F = 3 averages input[3i - 1 .. 3i + 1]: the first boxes reach one
        # row or column before the image, the last ones one after (zeros).
        (3, [[(0 + 1 + 4 + 5) / 9, (2 + 3 + 6 + 7) / 9], [42 / 9, 50 / 9]]),
        # F = 4 averages input[4i - 1 .. 4i + 2].
        (4, [[(0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10) / 16]]),
    ],
)
def test_box_alignment_on_a_small_example(
    factor: int, expected: list[list[float]]
) -> None:
    plane = np.arange(16.0).reshape(4, 4)
    np.testing.assert_allclose(
        fsimlib.box_downsample(plane, factor), expected, rtol=1e-15, atol=0
    )


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32, np.float64])
def test_factor_one_returns_the_values_unchanged(dtype: type) -> None:
    plane = random_plane(np.random.default_rng(3), (9, 14), dtype)
    result = fsimlib.box_downsample(plane, 1)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, plane.astype(np.float64))


@pytest.mark.parametrize("factor", [2, 3, 5])
def test_trailing_axes_are_carried_along(factor: int) -> None:
    rng = np.random.default_rng(11)
    image = rng.integers(0, 256, (23, 30, 3), dtype=np.uint8)
    result = fsimlib.box_downsample(image, factor)
    assert result.shape == (math.ceil(23 / factor), math.ceil(30 / factor), 3)
    for channel in range(3):
        np.testing.assert_array_equal(
            result[..., channel], fsimlib.box_downsample(image[..., channel], factor)
        )


@settings(deadline=None, max_examples=examples(25))
@given(
    seed=SEEDS,
    rows=st.integers(min_value=10, max_value=60),
    cols=st.integers(min_value=10, max_value=60),
    factor=st.integers(min_value=2, max_value=5),
)
def test_fsim_downsamples_with_box_downsample(
    seed: int, rows: int, cols: int, factor: int
) -> None:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (rows, cols), dtype=np.uint8)
    b = np.clip(a + rng.normal(0, 25, a.shape), 0, 255).astype(np.uint8)
    result = fsimlib.compare(a, b, downsample=factor)
    assert result.downsample_factor == factor
    by_hand = fsimlib.fsim(
        fsimlib.box_downsample(a, factor),
        fsimlib.box_downsample(b, factor),
        downsample=False,
        data_range=255,
    )
    # The same float64 planes enter phase congruency either way; 1e-12
    # leaves room for a different (equally valid) order of scaling.
    assert result.fsim == pytest.approx(by_hand, abs=1e-12, rel=0)
    assert result.phase_congruency1.shape == (
        math.ceil(rows / factor),
        math.ceil(cols / factor),
    )


def test_automatic_downsampling_uses_automatic_factor() -> None:
    rng = np.random.default_rng(5)
    a = rng.integers(0, 256, (384, 401), dtype=np.uint8)
    b = np.clip(a + rng.normal(0, 25, a.shape), 0, 255).astype(np.uint8)
    automatic = fsimlib.compare(a, b)
    assert automatic.downsample_factor == fsimlib.automatic_factor(a.shape) == 2
    assert automatic.fsim == fsimlib.fsim(a, b, downsample=2)
    assert automatic.phase_congruency1.shape == (192, 201)
    full = fsimlib.compare(a, b, downsample=False)
    assert full.downsample_factor == 1
    assert full.fsim == fsimlib.fsim(a, b, downsample=1)
    assert full.phase_congruency1.shape == a.shape


def transcribed_reference(image: NDArray, factor: int) -> NDArray[np.float64]:
    """``conv2(x, ones(F) / F^2, 'same')`` then ``x(1:F:end, 1:F:end)``, per plane.

    Integer and boolean input is convolved with ``ones(F)`` in int64 (exact
    box sums) and divided by ``F**2`` at the end, so the result is the
    correctly rounded mean; floating-point input is convolved in float64
    with the reference's kernel.
    """
    planes = image.reshape(*image.shape[:2], -1)
    exact = planes.dtype == np.bool_ or np.issubdtype(planes.dtype, np.integer)
    results = []
    for c in range(planes.shape[2]):
        if exact:
            full = signal.convolve2d(
                planes[..., c].astype(np.int64), np.ones((factor, factor), np.int64)
            )
        else:
            full = signal.convolve2d(
                planes[..., c].astype(np.float64), np.ones((factor, factor)) / factor**2
            )
        offset = factor // 2
        same = full[offset : offset + image.shape[0], offset : offset + image.shape[1]]
        kept = same[::factor, ::factor]
        results.append(kept / factor**2 if exact else kept)
    return np.stack(results, axis=-1).reshape(results[0].shape + image.shape[2:])


def typed_image(seed: int, shape: tuple[int, ...], dtype: type) -> NDArray:
    rng = np.random.default_rng(seed)
    if dtype is np.bool_:
        return rng.integers(0, 2, shape).astype(np.bool_)
    return random_plane(rng, shape, dtype)


DOWNSAMPLE_DTYPES = [np.uint8, np.uint16, np.int8, np.float32, np.float64, np.bool_]


@pytest.mark.parametrize("dtype", DOWNSAMPLE_DTYPES)
@pytest.mark.parametrize(
    "shape", [(512, 512), (512, 512, 3), (384, 512, 3), (383, 500, 3), (7, 5, 3)]
)
@pytest.mark.parametrize("factor", [1, 2, 3, 4])
def test_box_downsample_equals_the_transcribed_reference(
    dtype: type, shape: tuple[int, ...], factor: int
) -> None:
    image = typed_image(factor, shape, dtype)
    result = fsimlib.box_downsample(image, factor)
    expected = transcribed_reference(image, factor)
    assert result.dtype == np.float64
    assert result.flags.c_contiguous
    assert result.shape == expected.shape
    if dtype in (np.float32, np.float64):
        np.testing.assert_allclose(result, expected, rtol=0, atol=1e-12 * 300)
    else:
        np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
@pytest.mark.parametrize("factor", [2, 3])
def test_channel_first_views_give_the_same_contiguous_result(
    dtype: type, factor: int
) -> None:
    planes = typed_image(2, (3, 41, 37), dtype)
    view = np.moveaxis(planes, 0, -1)  # what fsim(channel_axis=0) downsamples
    result = fsimlib.box_downsample(view, factor)
    assert result.flags.c_contiguous
    np.testing.assert_array_equal(
        result, fsimlib.box_downsample(np.ascontiguousarray(view), factor)
    )


@pytest.mark.parametrize(
    ("dtype", "factor"),
    [
        # Around the widths of the integer accumulators: uint8 sums fit
        # uint16 up to F = 15, int8 sums int16 up to F = 15 (-128 * 256
        # would not), uint16 sums uint32; wider types, int64 and uint64
        # (summed in float64) included.
        (np.bool_, 15),
        (np.bool_, 16),
        (np.uint8, 15),
        (np.uint8, 16),
        (np.int8, 15),
        (np.int8, 16),
        (np.uint16, 2),
        (np.int16, 3),
        (np.uint32, 2),
        (np.int32, 5),
        (np.int64, 2),
        (np.uint64, 2),
    ],
)
@pytest.mark.parametrize("extreme", ["min", "max"])
def test_extreme_values_do_not_overflow(dtype: type, factor: int, extreme: str) -> None:
    if dtype is np.bool_:
        value = extreme == "max"
    else:
        info = np.iinfo(dtype)
        value = info.max if extreme == "max" else info.min
    side = 3 * factor
    image = np.full((side, side + 1, 2), value, dtype=dtype)
    result = fsimlib.box_downsample(image, factor)
    # Boxes whose rows and columns all lie inside the image hold only
    # ``value``; float64 accumulation gives exactly float(value) there.
    np.testing.assert_array_equal(result[1, 1], float(value))
    if np.dtype(dtype).itemsize < 8:  # int64 box sums of 64-bit values overflow
        np.testing.assert_array_equal(result, transcribed_reference(image, factor))


@pytest.mark.parametrize(
    ("dtype", "factor"), [(np.uint8, 2), (np.uint8, 3), (np.uint16, 2), (np.float32, 2)]
)
def test_box_downsample_allocates_no_more_than_input_plus_output(
    dtype: type, factor: int
) -> None:
    # Row sums are integers as narrow as exactness allows (uint16 for uint8
    # at F = 2: as many bytes as the input); float64 appears at the
    # downsampled size only.
    image = typed_image(4, (600, 640, 3), dtype)
    tracemalloc.start()
    try:
        result = fsimlib.box_downsample(image, factor)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= image.nbytes + result.nbytes + 64 * 1024, peak


@pytest.mark.parametrize("factor", [4, 10**20, 2**63])
def test_factors_beyond_the_image_are_refused_at_once(factor: int) -> None:
    # A factor is looped over: 10**20 used to run forever.
    with pytest.raises(ValueError, match=rf"from 1 to 3 .*3 x 2 image\), got {factor}"):
        fsimlib.box_downsample(np.ones((3, 2)), factor)


def test_factor_equal_to_the_longer_side_gives_one_row() -> None:
    plane = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(
        fsimlib.box_downsample(plane, 3), [[(0 + 1 + 3 + 4) / 9]]
    )


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ([[1, 2], [3, 4]], [[2.5]]),
        (((1.0, 2.0), (3.0, 5.0)), [[2.75]]),
        ([[True, False], [True, True]], [[0.75]]),
    ],
)
def test_array_likes_are_accepted(image: object, expected: list[list[float]]) -> None:
    result = fsimlib.box_downsample(image, 2)  # type: ignore[arg-type]
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize(
    "image", [[["a", "b"], ["c", "d"]], np.ones((2, 2), complex), [[None, 1], [2, 3]]]
)
def test_non_real_images_are_a_type_error(image: object) -> None:
    with pytest.raises(TypeError, match="image must hold real numbers"):
        fsimlib.box_downsample(image, 1)  # type: ignore[arg-type]
