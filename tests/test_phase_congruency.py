"""Phase congruency on its own: shape, range, features, invariances, options."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_profiles import examples
from numpy.typing import NDArray

import fsimlib

#: Every test here computes through the FFT engine: the session without
#: pyFFTW runs them again on scipy.fft.
pytestmark = pytest.mark.engine

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)
SIDES = st.integers(min_value=2, max_value=48)


def noisy_image(seed: int, shape: tuple[int, int]) -> NDArray[np.float64]:
    """Grey levels around 128 with a few edges and texture."""
    rng = np.random.default_rng(seed)
    image = rng.normal(128.0, 30.0, shape)
    image[: shape[0] // 2] += 60.0
    image[:, : shape[1] // 3] -= 40.0
    return image


def step_edge(seed: int, *, vertical: bool, side: int = 128) -> NDArray[np.float64]:
    """A 0 -> 255 step in the middle, with Gaussian noise of sigma 5.

    The FFT makes the image periodic, so there is a second step at the
    border; the flat bands a quarter of the way in are 32 pixels from both.
    The noise gives Kovesi's noise threshold something to measure: without
    it, flat regions have tiny responses whose ratio is not small.
    """
    rng = np.random.default_rng(seed)
    image = np.zeros((side, side))
    image[:, side // 2 :] = 255.0
    image += rng.normal(0.0, 5.0, image.shape)
    return image if vertical else image.T.copy()


@settings(deadline=None, max_examples=examples(40))
@given(
    seed=SEEDS,
    rows=SIDES,
    cols=SIDES,
    dtype=st.sampled_from([np.uint8, np.int16, np.float32, np.float64]),
)
def test_map_shape_dtype_and_range(
    seed: int, rows: int, cols: int, dtype: type
) -> None:
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (rows, cols)).astype(dtype)
    pc = fsimlib.phase_congruency(image)
    assert pc.shape == (rows, cols)
    assert pc.dtype == np.float64
    assert np.isfinite(pc).all()
    # PC is sum_o max(E_o - T, 0) / sum_o sum_s A_so, and each E_o is at most
    # sum_s A_so (a projection of each response minus a non-negative term).
    assert pc.min() >= 0.0
    assert pc.max() <= 1.0


@pytest.mark.parametrize("vertical", [True, False], ids=["vertical", "horizontal"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_step_edge_is_a_feature_and_flat_regions_are_not(
    vertical: bool, seed: int
) -> None:
    image = step_edge(seed, vertical=vertical)
    pc = fsimlib.phase_congruency(image)
    if not vertical:
        pc = pc.T
    # The two columns either side of the step: every row is a strong feature
    # (about 0.8 for these settings; a perfect step in noise-free continuous
    # terms would approach 1).
    assert pc[:, 63:65].min() > 0.7
    # Bands a quarter of the way in, 26+ pixels from any edge: the noise
    # threshold removes almost everything (mean about 0.004).
    for band in (pc[:, 26:38], pc[:, 90:102]):
        assert np.median(band) == 0.0
        assert band.mean() < 0.05


@pytest.mark.parametrize("value", [0.0, 7.5, -3.0, 255.0])
@pytest.mark.parametrize("shape", [(2, 2), (16, 23), (40, 40)])
def test_constant_image_has_no_features(value: float, shape: tuple[int, int]) -> None:
    # Every response is zero; the reference divides 0 by 0, fsimlib says 0.
    pc = fsimlib.phase_congruency(np.full(shape, value))
    assert pc.shape == shape
    np.testing.assert_array_equal(pc, 0.0)


def test_constant_integer_image_has_no_features() -> None:
    np.testing.assert_array_equal(
        fsimlib.phase_congruency(np.full((12, 9), 200, dtype=np.uint8)), 0.0
    )


@pytest.mark.parametrize("scale", [1 / 255, 0.5, 2.0, 10.0, 1e4])
@pytest.mark.parametrize("seed", [3, 4])
def test_exactly_scale_invariant_without_epsilon(scale: float, seed: int) -> None:
    # Every response, the noise threshold and the amplitude sum scale by the
    # same factor, so with epsilon = 0 only round-off (~1e-15) is left.
    image = noisy_image(seed, (37, 50))
    pc = fsimlib.phase_congruency(image, epsilon=0.0)
    scaled = fsimlib.phase_congruency(image * scale, epsilon=0.0)
    np.testing.assert_allclose(scaled, pc, rtol=0, atol=1e-12)


@pytest.mark.parametrize("scale", [0.5, 2.0, 10.0])
@pytest.mark.parametrize("seed", [3, 4])
def test_nearly_scale_invariant_with_default_epsilon(scale: float, seed: int) -> None:
    # epsilon = 1e-4 is added to the local energy X before normalising, so
    # exact invariance is broken by about epsilon / X.  For images in grey
    # levels and scales 0.5..10 the largest change measured here is 3.2e-6
    # (2.7e-6 on a noisy step edge): the tolerance is 1e-5, not round-off,
    # and not 1e-6, which these images already exceed.
    image = noisy_image(seed, (37, 50))
    pc = fsimlib.phase_congruency(image)
    scaled = fsimlib.phase_congruency(image * scale)
    np.testing.assert_allclose(scaled, pc, rtol=0, atol=1e-5)


@pytest.mark.parametrize("offset", [-100.0, 1.0, 1000.0])
def test_adding_a_constant_changes_nothing_but_round_off(offset: float) -> None:
    # Every filter is zero at zero frequency (G_s[0, 0] = 0), so the mean
    # of the image never reaches the responses.
    image = noisy_image(5, (33, 41))
    np.testing.assert_allclose(
        fsimlib.phase_congruency(image + offset),
        fsimlib.phase_congruency(image),
        rtol=0,
        atol=1e-10,
    )


@pytest.mark.parametrize(
    "options",
    [
        {"n_orientations": 6},
        {"n_scales": 3},
        {"min_wavelength": 3.0},
        {"mult": 2.1},
        {"sigma_onf": 0.65},
        {"dtheta_on_sigma": 1.5},
        {"k": 5.0},
        {"noise_divisor": 1.0},
    ],
    ids=lambda options: next(iter(options)),
)
def test_parameters_change_the_map(options: dict[str, float]) -> None:
    image = noisy_image(6, (48, 48))
    default = fsimlib.phase_congruency(image)
    changed = fsimlib.phase_congruency(image, **options)
    assert np.abs(changed - default).max() > 1e-3
    assert changed.min() >= 0.0
    assert changed.max() <= 1.0


def test_defaults_are_the_reference_parameters() -> None:
    image = noisy_image(7, (30, 30))
    explicit = fsimlib.phase_congruency(
        image,
        n_scales=4,
        n_orientations=4,
        min_wavelength=6,
        mult=2,
        sigma_onf=0.55,
        dtheta_on_sigma=1.2,
        k=2.0,
        epsilon=1e-4,
        noise_divisor=1.7,
    )
    np.testing.assert_array_equal(explicit, fsimlib.phase_congruency(image))


def test_higher_noise_threshold_never_raises_pc() -> None:
    # A larger k raises every orientation's threshold T; max(E - T, 0) can
    # only drop while the amplitude sum is unchanged.  Same arithmetic on the
    # same responses, so this holds exactly.
    image = noisy_image(8, (40, 44))
    low = fsimlib.phase_congruency(image, k=2.0)
    high = fsimlib.phase_congruency(image, k=4.0)
    assert (high <= low).all()
    assert (high < low).any()


@pytest.mark.parametrize("shape", [(2, 2), (17, 30), (48, 48), (64, 45)])
@pytest.mark.parametrize("seed", [9, 10])
def test_float32_precision_is_close_to_float64(
    shape: tuple[int, int], seed: int
) -> None:
    # Single-precision FFTs carry ~1e-7 relative error into ratios of
    # responses; 1e-5 absolute is the documented "about 1e-6" with margin.
    image = noisy_image(seed, shape)
    pc64 = fsimlib.phase_congruency(image)
    pc32 = fsimlib.phase_congruency(image, precision="float32")
    assert pc32.dtype == np.float64
    np.testing.assert_allclose(pc32, pc64, rtol=0, atol=1e-5)


def test_float32_precision_on_a_step_edge() -> None:
    image = step_edge(11, vertical=True)
    np.testing.assert_allclose(
        fsimlib.phase_congruency(image, precision="float32"),
        fsimlib.phase_congruency(image),
        rtol=0,
        atol=1e-5,
    )


@pytest.mark.parametrize("shape", [(24, 31), (40, 40)])
def test_fsim_uses_this_map(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(12)
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    b = np.clip(a + rng.normal(0, 20, shape), 0, 255).astype(np.uint8)
    result = fsimlib.compare(a, b)
    # uint8 at F = 1: the same float64 grey levels go in either way.
    np.testing.assert_array_equal(result.phase_congruency1, fsimlib.phase_congruency(a))
    np.testing.assert_array_equal(result.phase_congruency2, fsimlib.phase_congruency(b))
