"""Gradient operators: the paper's kernels, lookup by name, custom operators.

The reference computes ``G = sqrt(conv2(Y, Kx, 'same')**2 + conv2(Y, Ky,
'same')**2)`` with MATLAB's ``conv2``: a true convolution with zeros outside
the image.  The direct transcription here is
``scipy.signal.convolve2d(Y, K, mode="same", boundary="fill")``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples
from numpy.typing import NDArray
from scipy import signal

import fsimlib

#: ``Kx`` as the FSIM paper (Zhang et al. 2011, Table I) writes it; Scharr's is
#: the one FeatureSIM.m uses.
SPEC_KERNEL_X = {
    "scharr": np.array([[3, 0, -3], [10, 0, -10], [3, 0, -3]]) / 16,
    "sobel": np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]]) / 4,
    "prewitt": np.array([[1, 0, -1], [1, 0, -1], [1, 0, -1]]) / 3,
}
#: FeatureSIM.m writes Scharr's ``Ky`` in full; it is ``Kx`` transposed, and
#: the paper's Sobel and Prewitt pairs follow the same pattern.
SPEC_KERNEL_Y = {
    "scharr": np.array([[3, 10, 3], [0, 0, 0], [-3, -10, -3]]) / 16,
    "sobel": np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]]) / 4,
    "prewitt": np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]]) / 3,
}
OPERATORS = {
    "scharr": fsimlib.SCHARR,
    "sobel": fsimlib.SOBEL,
    "prewitt": fsimlib.PREWITT,
}

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
#: Odd and even sides, including the smallest image FSIM accepts.
SIDES = st.integers(min_value=2, max_value=41)

#: Gradient maps are at most about 255 * sqrt(2) here; both computations sum
#: the same six products in possibly different orders, a few ulps of 400
#: (~1e-13) apart.
MAP_TOLERANCE = 1e-12


def conv2_same(image: NDArray[np.float64], kernel: NDArray[np.float64]) -> NDArray:
    """MATLAB ``conv2(image, kernel, 'same')``."""
    return np.asarray(signal.convolve2d(image, kernel, mode="same", boundary="fill"))


def transcribed_magnitude(
    image: NDArray[np.float64], kernel_x: NDArray, kernel_y: NDArray
) -> NDArray[np.float64]:
    """The gradient magnitude of the module docstring, written out directly."""
    gx = conv2_same(image, kernel_x)
    gy = conv2_same(image, kernel_y)
    return np.sqrt(gx**2 + gy**2)


def scharr_by_convolve2d(image: NDArray[np.float64]) -> NDArray[np.float64]:
    """A user's gradient callable: the reference's Scharr magnitude."""
    return transcribed_magnitude(
        image, SPEC_KERNEL_X["scharr"], SPEC_KERNEL_Y["scharr"]
    )


def random_pair(
    seed: int, shape: tuple[int, ...]
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, shape, dtype=np.uint8)
    noise = rng.normal(0.0, 20.0, shape)
    distorted = np.clip(image + noise, 0, 255).astype(np.uint8)
    return image, distorted


PAIR = random_pair(7, (40, 45))
COLOUR_PAIR = random_pair(8, (37, 42, 3))


@pytest.mark.parametrize("name", list(OPERATORS))
def test_named_kernels_equal_the_spec(name: str) -> None:
    operator = OPERATORS[name]
    # Same integers divided by the same power of two (or by 3): identical.
    np.testing.assert_array_equal(operator.kernel_x, SPEC_KERNEL_X[name])
    np.testing.assert_array_equal(operator.kernel_y, SPEC_KERNEL_Y[name])
    assert operator.kernel_x.dtype == np.float64
    assert operator.name == name


@pytest.mark.parametrize("name", list(OPERATORS))
def test_named_kernels_cannot_be_modified(name: str) -> None:
    # The module-level operators are shared: a stray write must not change
    # every later score.
    with pytest.raises(ValueError, match="read-only"):
        OPERATORS[name].kernel_x[0, 0] = 1.0


@pytest.mark.parametrize(
    ("spelling", "name"),
    [
        ("scharr", "scharr"),
        ("Scharr", "scharr"),
        ("SCHARR", "scharr"),
        ("sobel", "sobel"),
        ("sObEl", "sobel"),
        ("Prewitt", "prewitt"),
        ("PREWITT", "prewitt"),
    ],
)
@pytest.mark.parametrize("pair", [PAIR, COLOUR_PAIR], ids=["grey", "colour"])
def test_names_are_looked_up_case_insensitively(
    spelling: str, name: str, pair: tuple[NDArray[np.uint8], NDArray[np.uint8]]
) -> None:
    a, b = pair
    expected = fsimlib.fsim(a, b, gradient=OPERATORS[name])
    assert fsimlib.fsim(a, b, gradient=spelling) == expected


@pytest.mark.parametrize("pair", [PAIR, COLOUR_PAIR], ids=["grey", "colour"])
def test_default_operator_is_scharr(
    pair: tuple[NDArray[np.uint8], NDArray[np.uint8]],
) -> None:
    a, b = pair
    assert fsimlib.fsim(a, b) == fsimlib.fsim(a, b, gradient=fsimlib.SCHARR)


@pytest.mark.parametrize(
    "gradient",
    [
        pytest.param(
            (
                [[3 / 16, 0, -3 / 16], [10 / 16, 0, -10 / 16], [3 / 16, 0, -3 / 16]],
                [[3 / 16, 10 / 16, 3 / 16], [0, 0, 0], [-3 / 16, -10 / 16, -3 / 16]],
            ),
            id="pair-of-lists",
        ),
        pytest.param(
            (SPEC_KERNEL_X["scharr"], SPEC_KERNEL_Y["scharr"]), id="pair-of-arrays"
        ),
        pytest.param(
            fsimlib.GradientOperator(
                SPEC_KERNEL_X["scharr"], SPEC_KERNEL_Y["scharr"], name="mine"
            ),
            id="GradientOperator",
        ),
        pytest.param(
            (
                SPEC_KERNEL_X["scharr"].astype(np.float32),
                SPEC_KERNEL_Y["scharr"].astype(np.float32),
            ),
            id="float32-kernels",  # n/16 is exact in float32 too
        ),
    ],
)
@pytest.mark.parametrize("pair", [PAIR, COLOUR_PAIR], ids=["grey", "colour"])
def test_custom_kernels_equal_to_scharr_give_exactly_the_default_score(
    gradient: object, pair: tuple[NDArray[np.uint8], NDArray[np.uint8]]
) -> None:
    # The same float64 kernels go through the same convolution.
    a, b = pair
    for chromatic in (False, True):
        assert fsimlib.fsim(a, b, gradient=gradient, chromatic=chromatic) == (
            fsimlib.fsim(a, b, chromatic=chromatic)
        )


@pytest.mark.parametrize("pair", [PAIR, COLOUR_PAIR], ids=["grey", "colour"])
@pytest.mark.parametrize("downsample", [True, 2])
def test_scharr_callable_with_convolve2d_matches_the_named_operator(
    pair: tuple[NDArray[np.uint8], NDArray[np.uint8]], downsample: bool | int
) -> None:
    a, b = pair
    custom = fsimlib.compare(a, b, gradient=scharr_by_convolve2d, downsample=downsample)
    named = fsimlib.compare(a, b, gradient="scharr", downsample=downsample)
    np.testing.assert_allclose(
        custom.gradient1, named.gradient1, rtol=0, atol=MAP_TOLERANCE
    )
    # The scores are weighted means of maps that agree to ~1e-13.
    assert custom.fsim == pytest.approx(named.fsim, abs=1e-12, rel=0)
    assert custom.fsimc == pytest.approx(named.fsimc, abs=1e-12, rel=0)


@pytest.mark.parametrize("name", ["sobel", "prewitt"])
@pytest.mark.parametrize("pair", [PAIR, COLOUR_PAIR], ids=["grey", "colour"])
def test_other_operators_change_the_score(
    name: str, pair: tuple[NDArray[np.uint8], NDArray[np.uint8]]
) -> None:
    # Sobel and Prewitt smooth less than Scharr (weights 1-2-1 and 1-1-1
    # against 3-10-3 over 16), so gradients of noisy images are larger and
    # S_G differs by far more than round-off.
    a, b = pair
    scharr = fsimlib.fsim(a, b)
    other = fsimlib.fsim(a, b, gradient=name)
    assert abs(other - scharr) > 1e-4
    assert 0.0 <= other <= 1.0


@settings(deadline=None, max_examples=examples(40))
@given(seed=SEEDS, rows=SIDES, cols=SIDES, name=st.sampled_from(list(OPERATORS)))
def test_gradient_map_equals_conv2_same(
    seed: int, rows: int, cols: int, name: str
) -> None:
    a, b = random_pair(seed, (rows, cols))
    result = fsimlib.compare(a, b, gradient=name, downsample=False)
    for image, gradient in ((a, result.gradient1), (b, result.gradient2)):
        expected = transcribed_magnitude(
            image.astype(np.float64), SPEC_KERNEL_X[name], SPEC_KERNEL_Y[name]
        )
        np.testing.assert_allclose(gradient, expected, rtol=0, atol=MAP_TOLERANCE)


@settings(deadline=None, max_examples=examples(40))
@given(
    seed=SEEDS,
    rows=SIDES,
    cols=SIDES,
    kernel_shape=st.tuples(st.sampled_from([1, 3, 5]), st.sampled_from([1, 3, 5, 7])),
)
def test_asymmetric_kernels_are_convolved_not_correlated(
    seed: int, rows: int, cols: int, kernel_shape: tuple[int, int]
) -> None:
    # Scharr's kernels are antisymmetric, so correlation would only flip the
    # sign of Gx and leave |G| unchanged; random kernels catch a flipped or
    # shifted kernel.
    rng = np.random.default_rng(seed)
    image = rng.uniform(0.0, 255.0, (rows, cols))
    kernel_x = rng.normal(size=kernel_shape)
    kernel_y = rng.normal(size=kernel_shape[::-1])
    operator = fsimlib.GradientOperator(kernel_x, kernel_y)
    expected = transcribed_magnitude(image, kernel_x, kernel_y)
    # Values are up to ~2000 (35 products of 255 and N(0, 1) weights).
    np.testing.assert_allclose(
        operator.magnitude(image), expected, rtol=1e-12, atol=1e-12
    )


def test_custom_operator_is_used_for_both_images() -> None:
    a, b = PAIR
    kernel_x = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, -2.0], [0.0, 0.5, 0.0]])
    kernel_y = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [0.0, -1.0, -1.0]])
    result = fsimlib.compare(a, b, gradient=(kernel_x, kernel_y), downsample=False)
    for image, gradient in ((a, result.gradient1), (b, result.gradient2)):
        expected = transcribed_magnitude(image.astype(np.float64), kernel_x, kernel_y)
        np.testing.assert_allclose(gradient, expected, rtol=0, atol=MAP_TOLERANCE)


def test_operator_keeps_its_own_copy_of_the_kernels() -> None:
    kernel_x = SPEC_KERNEL_X["sobel"].copy()
    operator = fsimlib.GradientOperator(kernel_x, SPEC_KERNEL_Y["sobel"])
    kernel_x[1, 0] = 100.0
    np.testing.assert_array_equal(operator.kernel_x, SPEC_KERNEL_X["sobel"])


@pytest.mark.parametrize(
    ("image", "options", "expected_plane"),
    [
        pytest.param(
            PAIR[0], {"downsample": False}, PAIR[0].astype(np.float64), id="uint8"
        ),
        pytest.param(
            PAIR[0],
            {"downsample": 2},
            fsimlib.box_downsample(PAIR[0], 2),
            id="uint8-downsampled",
        ),
        pytest.param(
            PAIR[0] / 255.0,
            {"downsample": False, "data_range": 1.0},
            PAIR[0].astype(np.float64),
            id="unit-range",
        ),
        pytest.param(
            COLOUR_PAIR[0],
            {"downsample": False},
            0.299 * COLOUR_PAIR[0][..., 0].astype(np.float64)
            + 0.587 * COLOUR_PAIR[0][..., 1]
            + 0.114 * COLOUR_PAIR[0][..., 2],
            id="colour-luminance",
        ),
    ],
)
def test_callable_receives_the_luminance_at_the_processing_size(
    image: NDArray, options: dict[str, object], expected_plane: NDArray
) -> None:
    seen: list[NDArray[np.float64]] = []

    def record(plane: NDArray[np.float64]) -> NDArray[np.float64]:
        seen.append(plane.copy())
        return scharr_by_convolve2d(plane)

    fsimlib.fsim(image, image[::-1].copy(), gradient=record, **options)
    assert len(seen) == 2, "the callable is applied once per image"
    assert seen[0].dtype == np.float64
    assert seen[0].shape == expected_plane.shape
    # Grey levels 0..255 after scaling by 255 / data_range: x / 255 * 255
    # and the luminance weights round differently from the hand computation
    # by an ulp or two of 255.
    np.testing.assert_allclose(seen[0], expected_plane, rtol=0, atol=1e-12)
