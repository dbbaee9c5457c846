"""Colour: FSIM's RGB -> YIQ matrix, FSIM on luminance, FSIMc's chroma term."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

import fsimlib

#: Rows Y, I, Q of the matrix of the FSIM paper and FeatureSIM.m (the NTSC
#: YIQ transform, rounded to three decimals); columns R, G, B.
SPEC_YIQ = np.array(
    [
        [0.299, 0.587, 0.114],
        [0.596, -0.274, -0.322],
        [0.211, -0.523, 0.312],
    ]
)
T3 = T4 = 200.0
LAMBDA = 0.03
#: Luminance-level quantities are at most ~255 (chroma ~150); hand and
#: library computations may order the same few products differently, a few
#: ulps of 255 (~1e-13) apart.
PLANE_TOLERANCE = 1e-12


def colour_pair(
    seed: int, shape: tuple[int, int], *, independent: bool = False
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    if independent:
        second = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    else:
        noise = rng.normal(0.0, 20.0, first.shape)
        second = np.clip(first + noise, 0, 255).astype(np.uint8)
    return first, second


def hand_yiq(image: NDArray) -> NDArray[np.float64]:
    """Y, I, Q planes stacked on the first axis, straight from SPEC_YIQ."""
    rgb = image.astype(np.float64)
    return np.stack(
        [
            SPEC_YIQ[row, 0] * rgb[..., 0]
            + SPEC_YIQ[row, 1] * rgb[..., 1]
            + SPEC_YIQ[row, 2] * rgb[..., 2]
            for row in range(3)
        ]
    )


@pytest.mark.parametrize("channel", [0, 1, 2], ids=["red", "green", "blue"])
def test_rgb_to_yiq_coefficients(channel: int) -> None:
    planes = [np.zeros((2, 3)) for _ in range(3)]
    planes[channel] = np.ones((2, 3))
    yiq = fsimlib.rgb_to_yiq(*planes)
    # A unit channel picks one column of the matrix, with no rounding.
    np.testing.assert_array_equal(yiq.y, SPEC_YIQ[0, channel])
    np.testing.assert_array_equal(yiq.i, SPEC_YIQ[1, channel])
    np.testing.assert_array_equal(yiq.q, SPEC_YIQ[2, channel])


def test_rgb_to_yiq_is_the_spec_matrix() -> None:
    rng = np.random.default_rng(1)
    rgb = rng.uniform(0.0, 255.0, (3, 17, 22))
    original = rgb.copy()
    yiq = fsimlib.rgb_to_yiq(rgb[0], rgb[1], rgb[2])
    assert isinstance(yiq, fsimlib.YIQ)
    assert yiq._fields == ("y", "i", "q")
    expected = np.einsum("kc,chw->khw", SPEC_YIQ, rgb)
    for plane, want in zip(yiq, expected, strict=True):
        assert plane.shape == (17, 22)
        assert plane.dtype == np.float64
        np.testing.assert_allclose(plane, want, rtol=0, atol=PLANE_TOLERANCE)
    np.testing.assert_array_equal(rgb, original)


def test_grey_pixels_have_luminance_equal_to_the_grey_level_and_no_chroma() -> None:
    # The Y row sums to 1 and the I and Q rows to 0 (in exact arithmetic).
    grey = np.random.default_rng(2).uniform(0.0, 255.0, (9, 11))
    y, i, q = fsimlib.rgb_to_yiq(grey, grey, grey)
    np.testing.assert_allclose(y, grey, rtol=0, atol=PLANE_TOLERANCE)
    np.testing.assert_allclose(i, 0.0, rtol=0, atol=PLANE_TOLERANCE)
    np.testing.assert_allclose(q, 0.0, rtol=0, atol=PLANE_TOLERANCE)


@pytest.mark.parametrize("shape", [(40, 52), (37, 33), (2, 2)])
@pytest.mark.parametrize("seed", [0, 1])
def test_colour_fsim_is_fsim_of_the_luminance(
    shape: tuple[int, int], seed: int
) -> None:
    a, b = colour_pair(seed, shape)
    assert fsimlib.automatic_factor(shape) == 1
    y1, y2 = hand_yiq(a)[0], hand_yiq(b)[0]
    by_hand = fsimlib.fsim(y1, y2, data_range=255, downsample=False)
    # Y agrees to ~1e-13; FSIM is a smooth function of it.
    assert fsimlib.fsim(a, b) == pytest.approx(by_hand, abs=1e-12, rel=0)
    result = fsimlib.compare(a, b)
    np.testing.assert_allclose(
        result.phase_congruency1,
        fsimlib.phase_congruency(y1),
        rtol=0,
        atol=1e-12,
    )


@pytest.mark.parametrize("factor", [2, 3])
def test_downsampled_colour_fsim_is_fsim_of_the_downsampled_luminance(
    factor: int,
) -> None:
    a, b = colour_pair(3, (45, 38))
    # Box filtering and the colour matrix are both linear: downsampling Y
    # equals converting downsampled channels, up to round-off.
    y1 = fsimlib.box_downsample(hand_yiq(a)[0], factor)
    y2 = fsimlib.box_downsample(hand_yiq(b)[0], factor)
    by_hand = fsimlib.fsim(y1, y2, data_range=255, downsample=False)
    assert fsimlib.fsim(a, b, downsample=factor) == pytest.approx(
        by_hand, abs=1e-12, rel=0
    )


@pytest.mark.parametrize(
    ("seed", "independent"), [(4, False), (5, True), (6, True)], ids=str
)
def test_fsimc_by_hand(seed: int, independent: bool) -> None:
    a, b = colour_pair(seed, (31, 44), independent=independent)
    result = fsimlib.compare(a, b)
    _, i1, q1 = hand_yiq(a)
    _, i2, q2 = hand_yiq(b)
    s_i = (2 * i1 * i2 + T3) / (i1**2 + i2**2 + T3)
    s_q = (2 * q1 * q2 + T4) / (q1**2 + q2**2 + T4)
    product = s_i * s_q
    if independent:
        # Unrelated saturated colours give opposite-signed chroma somewhere:
        # the complex-power branch of the reference is exercised.
        assert (product < 0).any()
    # The reference's Re((S_I S_Q) ** lambda), with MATLAB's complex power.
    chroma = np.real(np.power(product.astype(np.complex128), LAMBDA))
    np.testing.assert_allclose(
        result.chroma_similarity, chroma, rtol=0, atol=PLANE_TOLERANCE
    )
    weight = np.maximum(result.phase_congruency1, result.phase_congruency2)
    local = result.pc_similarity * result.gradient_similarity
    fsimc = np.sum(local * chroma * weight) / np.sum(weight)
    assert result.fsimc == pytest.approx(fsimc, abs=1e-12, rel=0)
    assert result.fsimc < result.fsim


@pytest.mark.parametrize("seed", [7, 8])
def test_colour_image_of_grey_pixels_scores_as_the_grey_image(seed: int) -> None:
    rng = np.random.default_rng(seed)
    grey1 = rng.integers(0, 256, (35, 29), dtype=np.uint8)
    grey2 = np.clip(grey1 + rng.normal(0, 20, grey1.shape), 0, 255).astype(np.uint8)
    rgb1 = np.repeat(grey1[..., np.newaxis], 3, axis=-1)
    rgb2 = np.repeat(grey2[..., np.newaxis], 3, axis=-1)
    score = fsimlib.fsim(grey1, grey2)
    # Y = (0.299 + 0.587 + 0.114) v = v and I = Q = 0, up to round-off.
    assert fsimlib.fsim(rgb1, rgb2) == pytest.approx(score, abs=1e-12, rel=0)
    assert fsimlib.fsim(rgb1, rgb2, chromatic=True) == pytest.approx(
        score, abs=1e-12, rel=0
    )
