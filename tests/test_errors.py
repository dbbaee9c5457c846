"""Every bad input gets a ValueError or TypeError that says what was wrong.

Each case names the exception and a fragment of the message (``match`` is a
regular expression searched in the message).  Image and option errors are
checked through every entry point: :func:`fsimlib.fsim`,
:func:`fsimlib.compare`, :class:`fsimlib.Reference` and
:func:`fsimlib.fsim_batch`.  Because ``filterwarnings = ["error"]``, a case
that emits a numpy warning on the way fails too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import fsimlib

_RNG = np.random.default_rng(20110801)
GREY = _RNG.integers(0, 256, (32, 32), dtype=np.uint8)
GREY2 = _RNG.integers(0, 256, (32, 32), dtype=np.uint8)
COLOUR = _RNG.integers(0, 256, (32, 32, 3), dtype=np.uint8)
COLOUR2 = _RNG.integers(0, 256, (32, 32, 3), dtype=np.uint8)
FLOAT = GREY.astype(np.float64)
FLOAT2 = GREY2.astype(np.float64)


def with_value(image: NDArray[Any], value: float) -> NDArray[np.float64]:
    """A float copy of ``image`` with one pixel set to ``value``."""
    out = np.asarray(image, dtype=np.float64).copy()
    out.flat[5] = value
    return out


# --- entry points ---------------------------------------------------------


def call_fsim(a: Any, b: Any, **options: Any) -> object:
    return fsimlib.fsim(a, b, **options)


def call_compare(a: Any, b: Any, **options: Any) -> object:
    options.pop("chromatic", None)
    return fsimlib.compare(a, b, **options)


def call_reference(a: Any, b: Any, **options: Any) -> object:
    chromatic = options.pop("chromatic", False)
    return fsimlib.Reference(a, **options).fsim(b, chromatic=chromatic)


def call_batch(a: Any, b: Any, **options: Any) -> object:
    return fsimlib.fsim_batch(np.asarray(a)[np.newaxis], np.asarray(b)[None], **options)


PAIR_ENTRY_POINTS = [
    pytest.param(call_fsim, id="fsim"),
    pytest.param(call_compare, id="compare"),
    pytest.param(call_reference, id="Reference"),
]
ALL_ENTRY_POINTS = [*PAIR_ENTRY_POINTS, pytest.param(call_batch, id="fsim_batch")]

Case = tuple[Any, Any, dict[str, Any], type[Exception], str]

# --- images ---------------------------------------------------------------

IMAGE_CASES: dict[str, Case] = {
    "shape-mismatch": (
        GREY,
        GREY[:31],
        {},
        ValueError,
        r"same shape, got \(32, 32\) and \(31, 32\)",
    ),
    "colour-shape-mismatch": (
        COLOUR,
        COLOUR[:, :30],
        {},
        ValueError,
        r"same shape, got \(32, 32\) and \(32, 30\)",
    ),
    "grey-vs-colour": (GREY, COLOUR, {}, ValueError, "same number of channels"),
    "colour-vs-grey": (COLOUR, GREY, {}, ValueError, "same number of channels"),
    "1-D": (GREY[0], GREY2[0], {}, ValueError, r"2-D .* or 3-D .*got 1-D"),
    "4-D": (COLOUR[None], COLOUR2[None], {}, ValueError, r"got 4-D"),
    "0-D": (np.uint8(3), np.uint8(4), {}, ValueError, r"got 0-D"),
    "rgba": (
        np.dstack([COLOUR, GREY]),
        np.dstack([COLOUR2, GREY2]),
        {},
        ValueError,
        r"4 channels.*drop the alpha channel",
    ),
    "rgba-channels-first": (
        np.moveaxis(np.dstack([COLOUR, GREY]), -1, 0),
        np.moveaxis(np.dstack([COLOUR2, GREY2]), -1, 0),
        {"channel_axis": 0},
        ValueError,
        "drop the alpha channel",
    ),
    "two-channels": (
        COLOUR[..., :2],
        COLOUR2[..., :2],
        {},
        ValueError,
        r"2 channels.*expected 3 \(RGB\)",
    ),
    "empty-rows": (GREY[:0], GREY2[:0], {}, ValueError, "empty"),
    "empty-colour": (COLOUR[:, :0], COLOUR2[:, :0], {}, ValueError, "empty"),
    "one-row": (GREY[:1], GREY2[:1], {}, ValueError, r"too small.*at least 2"),
    "one-column": (GREY[:, :1], GREY2[:, :1], {}, ValueError, "too small"),
    "one-pixel-colour": (
        COLOUR[:1, :1],
        COLOUR2[:1, :1],
        {},
        ValueError,
        "too small",
    ),
    "downsampled-below-2x2": (
        GREY,
        GREY2,
        {"downsample": 32},
        ValueError,
        r"after downsampling by 32 is too small: shape \(1, 1\)",
    ),
    "downsampled-one-side-below-2": (
        GREY[:, :17],
        GREY2[:, :17],
        {"downsample": 17},
        ValueError,
        r"after downsampling by 17 is too small: shape \(2, 1\)",
    ),
    "nan-in-image1": (
        with_value(GREY, np.nan),
        FLOAT2,
        {"data_range": 255},
        ValueError,
        "NaN or infinite",
    ),
    "inf-in-image2": (
        FLOAT,
        with_value(GREY2, np.inf),
        {"data_range": 255},
        ValueError,
        "NaN or infinite",
    ),
    "minus-inf": (
        with_value(GREY, -np.inf),
        FLOAT2,
        {"data_range": 255},
        ValueError,
        "NaN or infinite",
    ),
    "nan-float32-colour": (
        with_value(COLOUR, np.nan).astype(np.float32),
        COLOUR2.astype(np.float32),
        {"data_range": 255},
        ValueError,
        "NaN or infinite",
    ),
    "complex": (
        FLOAT + 0j,
        FLOAT2 + 0j,
        {"data_range": 255},
        TypeError,
        r"complex dtype.*expected a real-valued image",
    ),
    "object": (
        GREY.astype(object),
        GREY2.astype(object),
        {"data_range": 255},
        TypeError,
        "non-numeric dtype object",
    ),
    "str": (GREY.astype(str), GREY2.astype(str), {}, TypeError, "non-numeric dtype"),
    "bool": (GREY > 100, GREY2 > 100, {}, TypeError, r"dtype bool.*astype"),
    "ragged-list": (
        [[1, 2], [3]],
        [[1, 2], [3]],
        {"data_range": 255},
        TypeError,
        "could not be converted to an array",
    ),
    "float-without-data-range": (
        FLOAT,
        FLOAT2,
        {},
        ValueError,
        r"data_range is required for floating-point images",
    ),
    "float-and-uint8-without-data-range": (
        GREY,
        FLOAT2,
        {},
        ValueError,
        "data_range is required",
    ),
    "uint8-and-uint16-without-data-range": (
        GREY,
        GREY2.astype(np.uint16),
        {},
        ValueError,
        r"uint8 and uint16 with different ranges; pass data_range",
    ),
    "uint8-and-int16-without-data-range": (
        GREY,
        GREY2.astype(np.int16),
        {},
        ValueError,
        "different ranges",
    ),
    "uint8-with-data-range-1": (
        GREY,
        GREY2,
        {"data_range": 1},
        ValueError,
        r"wider than data_range=1",
    ),
    "float-0-255-with-data-range-1": (
        FLOAT,
        FLOAT2,
        {"data_range": 1.0},
        ValueError,
        r"span .* wider than data_range=1\.0",
    ),
    "float-0-1-and-0-255-with-data-range-1": (
        FLOAT / 255,
        FLOAT2,
        {"data_range": 1.0},
        ValueError,
        "wider than data_range",
    ),
}


@pytest.mark.parametrize("entry", PAIR_ENTRY_POINTS)
@pytest.mark.parametrize(
    "case", [pytest.param(case, id=name) for name, case in IMAGE_CASES.items()]
)
def test_bad_images(entry: Callable[..., object], case: Case) -> None:
    image1, image2, options, error, match = case
    with pytest.raises(error, match=match):
        entry(image1, image2, **options)


@pytest.mark.parametrize(
    ("entry", "dtype"),
    [
        pytest.param(call_fsim, np.int32, id="fsim-int32"),
        pytest.param(call_fsim, np.uint64, id="fsim-uint64"),
        *[
            pytest.param(entry.values[0], np.int64, id=f"{entry.id}-int64")
            for entry in ALL_ENTRY_POINTS
        ],
    ],
)
def test_wide_integer_images_need_data_range(
    entry: Callable[..., object], dtype: type[np.integer]
) -> None:
    """32- and 64-bit integers are not an image format, but lists of ints are.

    ``np.asarray([[...]])`` gives int64, whose dtype span (2**64) would scale
    0..255 values by about 1e-17: phase congruency and gradients vanish and
    every pair scores 1.0.  The library should ask for ``data_range``
    instead of inferring a range no image uses.
    """
    with pytest.raises(ValueError, match="data_range"):
        entry(GREY.astype(dtype), GREY2.astype(dtype))


# --- options --------------------------------------------------------------


def wrong_shape(image: NDArray[np.float64]) -> NDArray[np.float64]:
    return image[:-1]


def negative(image: NDArray[np.float64]) -> NDArray[np.float64]:
    return -image - 1.0


def not_finite(image: NDArray[np.float64]) -> NDArray[np.float64]:
    return image * np.nan


def complex_valued(image: NDArray[np.complex128]) -> NDArray[np.complex128]:
    return image + 1j


def non_numeric(image: NDArray[np.float64]) -> object:
    return np.full(image.shape, "steep")


SCHARR_X = fsimlib.SCHARR.kernel_x
SCHARR_Y = fsimlib.SCHARR.kernel_y
TOO_MANY_CPUS = -(os.cpu_count() or 1) - 1

OPTION_CASES: dict[str, tuple[dict[str, Any], Any, str]] = {
    "data_range-zero": ({"data_range": 0}, ValueError, "positive and finite, got 0"),
    "data_range-negative": ({"data_range": -255}, ValueError, "positive and finite"),
    "data_range-nan": ({"data_range": float("nan")}, ValueError, "positive"),
    "data_range-inf": ({"data_range": np.inf}, ValueError, "positive and finite"),
    "data_range-bool": (
        {"data_range": True},
        TypeError,
        "data_range must be a positive real number or None, got bool",
    ),
    "data_range-str": ({"data_range": "255"}, TypeError, "got str '255'"),
    "data_range-list": ({"data_range": [255]}, TypeError, "data_range must be"),
    "channel_axis-given-for-2-D": (
        {"channel_axis": -1},
        ValueError,
        r"channel_axis=-1 was given but .* is 2-D.*channel_axis=None",
    ),
    "downsample-zero": ({"downsample": 0}, ValueError, "at least 1, got 0"),
    "downsample-negative": ({"downsample": -1}, ValueError, "at least 1, got -1"),
    "downsample-float": (
        {"downsample": 2.5},
        TypeError,
        r"downsample must be True \(automatic\), False or a positive int",
    ),
    "downsample-auto": ({"downsample": "auto"}, TypeError, "got str 'auto'"),
    "downsample-none": ({"downsample": None}, TypeError, "downsample must be"),
    "gradient-unknown-name": (
        {"gradient": "roberts"},
        ValueError,
        r"Unknown gradient operator 'roberts'; expected one of",
    ),
    "gradient-int": ({"gradient": 3}, TypeError, "gradient must be .* got int"),
    "gradient-array": (
        {"gradient": SCHARR_X},
        TypeError,
        "gradient must be .* got ndarray",
    ),
    "gradient-list-pair": (
        {"gradient": [SCHARR_X, SCHARR_Y]},
        TypeError,
        "got list",
    ),
    "gradient-one-kernel": (
        {"gradient": (SCHARR_X,)},
        TypeError,
        "pair of kernels",
    ),
    "gradient-three-kernels": (
        {"gradient": (SCHARR_X, SCHARR_Y, SCHARR_X)},
        TypeError,
        "pair of kernels",
    ),
    "gradient-even-kernels": (
        {"gradient": (np.ones((2, 2)), np.ones((2, 2)))},
        ValueError,
        r"kernel_x must be 2-D with odd sides, got shape \(2, 2\)",
    ),
    "gradient-even-kernel-y": (
        {"gradient": (SCHARR_X, np.ones((3, 4)))},
        ValueError,
        r"kernel_y must be 2-D with odd sides, got shape \(3, 4\)",
    ),
    "gradient-1-D-kernel": (
        {"gradient": ([1.0, 0.0, -1.0], SCHARR_Y)},
        ValueError,
        "odd sides",
    ),
    "gradient-nan-kernel": (
        {"gradient": (np.full((3, 3), np.nan), SCHARR_Y)},
        ValueError,
        "kernel_x contains NaN or infinite values",
    ),
    "gradient-inf-kernel": (
        {"gradient": (SCHARR_X, np.where(SCHARR_Y > 0, np.inf, SCHARR_Y))},
        ValueError,
        "kernel_y contains NaN or infinite",
    ),
    "gradient-str-kernels": (
        {"gradient": ("abc", "def")},
        TypeError,
        "kernel_x must be a 2-D array of real numbers",
    ),
    "gradient-callable-wrong-shape": (
        {"gradient": wrong_shape},
        ValueError,
        r"gradient function wrong_shape returned shape \(31, 32\), expected",
    ),
    "gradient-callable-negative": (
        {"gradient": negative},
        ValueError,
        "gradient function negative returned negative",
    ),
    "gradient-callable-nan": (
        {"gradient": not_finite},
        ValueError,
        "NaN or infinite values; expected a non-negative magnitude",
    ),
    "precision-float16": (
        {"precision": "float16"},
        ValueError,
        r"precision must be one of \('float64', 'float32'\), got 'float16'",
    ),
    "precision-upper-case": ({"precision": "FLOAT64"}, ValueError, "precision"),
    "precision-none": ({"precision": None}, ValueError, "got None"),
    "precision-int": ({"precision": 32}, ValueError, "precision must be one of"),
    "precision-dtype": ({"precision": np.float64}, ValueError, "precision"),
    "workers-zero": ({"workers": 0}, ValueError, "workers must not be 0"),
    "workers-str": ({"workers": "2"}, TypeError, "workers must be an int or None"),
    "workers-float": ({"workers": 1.5}, TypeError, "got float"),
    "workers-bool": ({"workers": True}, TypeError, "got bool"),
    "workers-too-negative": (
        {"workers": TOO_MANY_CPUS},
        ValueError,
        "fewer than 1",
    ),
}

#: Gradients whose kernels or output are not real numbers.
GRADIENT_VALUE_CASES: dict[str, tuple[dict[str, Any], Any, str]] = {
    "gradient-complex-kernel": (
        {"gradient": (SCHARR_X * 1j, SCHARR_Y)},
        TypeError,
        "kernel_x",
    ),
    "gradient-callable-complex": (
        {"gradient": complex_valued},
        TypeError,
        "gradient function complex_valued",
    ),
    "gradient-callable-non-numeric": (
        {"gradient": non_numeric},
        (TypeError, ValueError),
        "gradient function non_numeric",
    ),
}

CHROMATIC_CASES = {
    "chromatic-int": (1, "chromatic must be True or False, got int 1"),
    "chromatic-zero": (0, "got int 0"),
    "chromatic-str": ("yes", "got str 'yes'"),
    "chromatic-none": (None, "got NoneType"),
}

CHANNEL_AXIS_CASES: dict[str, tuple[object, type[Exception], str]] = {
    "out-of-range-positive": (3, ValueError, "channel_axis=3 is out of range"),
    "out-of-range-negative": (-4, ValueError, "channel_axis=-4 is out of range"),
    "float": (1.0, TypeError, "channel_axis must be an int or None, got float"),
    "str": ("last", TypeError, "got str"),
    "bool": (True, TypeError, "got bool"),
}


@pytest.mark.parametrize("entry", ALL_ENTRY_POINTS)
@pytest.mark.parametrize(
    ("options", "error", "match"),
    [pytest.param(*case, id=name) for name, case in OPTION_CASES.items()],
)
def test_bad_options(
    entry: Callable[..., object],
    options: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        entry(GREY, GREY2, **options)


@pytest.mark.parametrize(
    "entry",
    [pytest.param(call_fsim, id="fsim"), pytest.param(call_reference, id="Reference")],
)
@pytest.mark.parametrize(
    ("options", "error", "match"),
    [pytest.param(*case, id=name) for name, case in GRADIENT_VALUE_CASES.items()],
)
def test_gradient_values_must_be_real_numbers(
    entry: Callable[..., object],
    options: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    """Complex kernels or magnitudes must not be cast with a ComplexWarning."""
    with pytest.raises(error, match=match):
        entry(GREY, GREY2, **options)


@pytest.mark.parametrize("entry", ALL_ENTRY_POINTS)
@pytest.mark.parametrize(
    ("channel_axis", "error", "match"),
    [pytest.param(*case, id=name) for name, case in CHANNEL_AXIS_CASES.items()],
)
def test_bad_channel_axis(
    entry: Callable[..., object],
    channel_axis: object,
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        entry(COLOUR, COLOUR2, channel_axis=channel_axis)


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(call_fsim, id="fsim"),
        pytest.param(call_reference, id="Reference"),
        pytest.param(call_batch, id="fsim_batch"),
    ],
)
@pytest.mark.parametrize(
    ("chromatic", "match"),
    [pytest.param(*case, id=name) for name, case in CHROMATIC_CASES.items()],
)
def test_chromatic_must_be_bool(
    entry: Callable[..., object], chromatic: object, match: str
) -> None:
    with pytest.raises(TypeError, match=match):
        entry(COLOUR, COLOUR2, chromatic=chromatic)


# --- Reference and fsim_batch ---------------------------------------------


@pytest.mark.parametrize(
    ("reference_options", "distorted", "error", "match"),
    [
        pytest.param({}, GREY[:31], ValueError, "same shape", id="shape"),
        pytest.param({}, COLOUR, ValueError, "same number of channels", id="channels"),
        pytest.param(
            {}, FLOAT2, ValueError, "data_range is required", id="float-vs-uint8"
        ),
        pytest.param(
            {}, GREY2.astype(np.uint16), ValueError, "different ranges", id="uint16"
        ),
        pytest.param(
            {"data_range": 255},
            FLOAT2 * 2,
            ValueError,
            "wider than data_range=255",
            id="beyond-data-range",
        ),
        pytest.param(
            {}, with_value(GREY2, np.nan), ValueError, "NaN", id="nan-distorted"
        ),
        pytest.param({}, GREY2 > 9, TypeError, "bool", id="bool-distorted"),
        pytest.param({}, GREY2[0], ValueError, "got 1-D", id="1-D-distorted"),
    ],
)
@pytest.mark.parametrize("method", ["fsim", "compare"])
def test_reference_rejects_bad_distorted_images(
    reference_options: dict[str, Any],
    distorted: Any,
    error: type[Exception],
    match: str,
    method: str,
) -> None:
    reference = fsimlib.Reference(GREY, **reference_options)
    with pytest.raises(error, match=match):
        getattr(reference, method)(distorted)


def test_reference_with_data_range_checks_the_span_of_both_images() -> None:
    # The reference is in [0, 1] and so is data_range; a distorted image in
    # 0..255 spans far more, which fsim() would also reject.
    reference = fsimlib.Reference(FLOAT / 255, data_range=1.0)
    with pytest.raises(ValueError, match=r"wider than data_range=1\.0"):
        reference.fsim(FLOAT2)


@pytest.mark.parametrize(
    ("images1", "images2", "match"),
    [
        pytest.param(
            np.stack([GREY, GREY]),
            np.stack([GREY2] * 3),
            "same number of images, got 2 and 3",
            id="different-lengths",
        ),
        pytest.param(
            GREY,
            GREY2,
            r"images2 must be a stack of images .* got 2-D",
            id="single-images",
        ),
        pytest.param(
            COLOUR[None, None],
            COLOUR2[None, None],
            "got 5-D",
            id="5-D",
        ),
        pytest.param(
            GREY[0],
            np.stack([GREY2, GREY2]),
            "images1 must be a stack like images2 or a single image",
            id="images1-two-dimensions-short",
        ),
        pytest.param(
            np.stack([GREY, GREY]),
            np.stack([GREY2, GREY2])[:, :31],
            "same shape",
            id="different-image-shapes",
        ),
        pytest.param(
            np.zeros((0, 8, 8), np.uint8),
            np.zeros((0, 8, 8), np.uint8),
            "empty",
            id="empty-stacks",
        ),
    ],
)
def test_fsim_batch_rejects_bad_stacks(images1: Any, images2: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fsimlib.fsim_batch(images1, images2)


# --- phase congruency -----------------------------------------------------

PC_PARAMETER_CASES: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "n_scales-zero": ({"n_scales": 0}, ValueError, "n_scales must be from 1 to 16"),
    "n_scales-bool": ({"n_scales": True}, TypeError, "n_scales must be an int"),
    "n_scales-float": ({"n_scales": 4.0}, TypeError, "n_scales must be an int"),
    "n_orientations-float": (
        {"n_orientations": 2.0},
        TypeError,
        "n_orientations must be an int, got float",
    ),
    "n_orientations-negative": (
        {"n_orientations": -1},
        ValueError,
        "n_orientations must be from 1 to 32, got -1",
    ),
    "sigma_onf-above-1": (
        {"sigma_onf": 1.5},
        ValueError,
        r"sigma_onf must be from 0\.05 to 0\.95, got 1\.5",
    ),
    "sigma_onf-zero": ({"sigma_onf": 0.0}, ValueError, "sigma_onf must be from"),
    "min_wavelength-zero": (
        {"min_wavelength": 0},
        ValueError,
        "min_wavelength must be from 1 to 10000, got 0",
    ),
    "mult-nan": (
        {"mult": float("nan")},
        ValueError,
        "mult must be from 1 to 10, got nan",
    ),
    "mult-negative": ({"mult": -2.0}, ValueError, "mult must be from 1 to 10"),
    "dtheta_on_sigma-zero": (
        {"dtheta_on_sigma": 0.0},
        ValueError,
        r"dtheta_on_sigma must be from 0\.1 to 10, got 0\.0",
    ),
    "k-str": ({"k": "2"}, TypeError, "k must be a real number, got str"),
    "k-negative": ({"k": -1.0}, ValueError, "k must be from 0 to 1000"),
    "epsilon-negative": ({"epsilon": -1e-4}, ValueError, "epsilon must be from 0 to"),
    "epsilon-inf": ({"epsilon": np.inf}, ValueError, "epsilon must be from 0 to 100"),
    "noise_divisor-zero": (
        {"noise_divisor": 0.0},
        ValueError,
        r"noise_divisor must be from 0\.01 to 100, got 0\.0",
    ),
    "lowpass_cutoff-above-half": (
        {"lowpass_cutoff": 0.6},
        ValueError,
        r"lowpass_cutoff must be from 0\.05 to 0\.5, got 0\.6",
    ),
    "lowpass_order-zero": ({"lowpass_order": 0}, ValueError, "from 1 to 100, got 0"),
    "lowpass_order-float": ({"lowpass_order": 15.0}, TypeError, "must be an int"),
    # Extremes that used to overflow, divide by zero or exhaust memory.
    "mult-huge": (
        {"mult": 1e300},
        ValueError,
        r"mult must be from 1 to 10, got 1e\+300",
    ),
    "mult-tiny": (
        {"mult": 1e-300},
        ValueError,
        r"mult must be from 1 to 10, got 1e-300",
    ),
    "n_scales-2000": ({"n_scales": 2000}, ValueError, "n_scales must be from 1 to 16"),
    "lowpass_order-10**400": (
        {"lowpass_order": 10**400},
        ValueError,
        "lowpass_order must be from 1 to 100, got 1000",
    ),
    "dtheta_on_sigma-tiny": (
        {"dtheta_on_sigma": 1e-300},
        ValueError,
        r"dtheta_on_sigma must be from 0\.1 to 10, got 1e-300",
    ),
    "n_orientations-10**12": (
        {"n_orientations": 10**12},
        ValueError,
        "n_orientations must be from 1 to 32, got 1000000000000",
    ),
    "min_wavelength-huge": (
        {"min_wavelength": 1e300},
        ValueError,
        "min_wavelength must be from 1 to 10000",
    ),
    "k-huge": ({"k": 1e308}, ValueError, "k must be from 0 to 1000"),
    "longest-wavelength": (
        {"min_wavelength": 100.0, "mult": 10.0, "n_scales": 6},
        ValueError,
        r"longest filter wavelength.* = 1e\+07 pixels, must be at most 1e\+06",
    ),
}


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [pytest.param(*case, id=name) for name, case in PC_PARAMETER_CASES.items()],
)
def test_phase_congruency_rejects_bad_parameters(
    options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        fsimlib.phase_congruency(
            FLOAT, pc_parameters=fsimlib.PhaseCongruencyParameters(**options)
        )


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"precision": "float16"}, ValueError, "precision must be one of"),
        ({"pc_parameters": {"n_scales": 5}}, TypeError, "pc_parameters must be a"),
        ({"pc_parameters": None}, TypeError, "got NoneType None"),
        ({"workers": 0}, ValueError, "workers must not be 0"),
        ({"workers": 1.5}, TypeError, "workers must be an int or None"),
    ],
    ids=["precision", "pc-dict", "pc-none", "workers-0", "workers-float"],
)
def test_phase_congruency_rejects_bad_options(
    options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        fsimlib.phase_congruency(FLOAT, **options)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"n_scales": 16, "mult": 2.0, "min_wavelength": 3.0},
        {"n_orientations": 32, "n_scales": 1},
        {"sigma_onf": 0.95, "dtheta_on_sigma": 10.0, "lowpass_order": 100},
        {"sigma_onf": 0.05, "dtheta_on_sigma": 0.1, "lowpass_cutoff": 0.05},
        {"k": 1000.0, "epsilon": 100.0, "noise_divisor": 0.01},
        {"k": 0.0, "epsilon": 0.0, "noise_divisor": 100.0, "mult": 1.0},
    ],
    ids=["defaults", "16-scales", "32-orientations", "narrow", "wide", "k-high", "k-0"],
)
def test_phase_congruency_accepts_the_ends_of_its_ranges(
    options: dict[str, Any],
) -> None:
    pc = fsimlib.phase_congruency(
        FLOAT, pc_parameters=fsimlib.PhaseCongruencyParameters(**options)
    )
    assert pc.shape == FLOAT.shape
    assert np.isfinite(pc).all()
    assert 0.0 <= pc.min() <= pc.max() <= 1.0


def test_filters_missing_every_frequency_of_the_image_are_a_value_error() -> None:
    # A 1e4-pixel wavelength with a narrow band on a tiny image: the
    # smallest-scale filter is zero everywhere and the noise model would
    # divide 0 by 0.
    with pytest.raises(ValueError, match=r"zero at every frequency of a 4 x 5 image"):
        fsimlib.phase_congruency(
            FLOAT[:4, :5],
            pc_parameters=fsimlib.PhaseCongruencyParameters(
                n_scales=1, min_wavelength=1e4, sigma_onf=0.95
            ),
        )


@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        pytest.param(COLOUR, ValueError, r"must be 2-D, got 3-D", id="3-D"),
        pytest.param(GREY[0], ValueError, "must be 2-D, got 1-D", id="1-D"),
        pytest.param(GREY[:1], ValueError, "too small", id="one-row"),
        pytest.param(GREY[:0], ValueError, "empty", id="empty"),
        pytest.param(with_value(GREY, np.nan), ValueError, "NaN or infinite", id="nan"),
        pytest.param(GREY > 3, TypeError, "dtype bool", id="bool"),
        pytest.param(FLOAT + 0j, TypeError, "complex", id="complex"),
        pytest.param(GREY.astype(str), TypeError, "non-numeric", id="str"),
    ],
)
def test_phase_congruency_rejects_bad_images(
    image: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        fsimlib.phase_congruency(image)


# --- building blocks ------------------------------------------------------

#: How a message may say that an array has too few dimensions.
DIMENSIONS = r"(?i)2-D|dimension|ndim"


@pytest.mark.parametrize(
    ("kernel_x", "error", "match"),
    [
        pytest.param([[1, 2], [3, 4]], ValueError, "odd sides", id="even"),
        pytest.param([1, 0, -1], ValueError, "odd sides", id="1-D"),
        pytest.param(np.ones((3, 3, 3)), ValueError, "odd sides", id="3-D"),
        pytest.param(np.ones((0, 3)), ValueError, "odd sides", id="empty"),
        pytest.param(
            [[0, 0, 0], [1, np.inf, -1], [0, 0, 0]],
            ValueError,
            "NaN or infinite",
            id="inf",
        ),
        pytest.param("abc", TypeError, "real numbers", id="str"),
        pytest.param([[1, 0], [1]], TypeError, "real numbers", id="ragged"),
    ],
)
def test_gradient_operator_rejects_bad_kernels(
    kernel_x: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        fsimlib.GradientOperator(kernel_x, SCHARR_Y)


@pytest.mark.parametrize(
    ("image", "factor", "error", "match"),
    [
        pytest.param(FLOAT, 0, ValueError, "factor", id="factor-zero"),
        pytest.param(FLOAT, -1, ValueError, "factor", id="factor-negative"),
        pytest.param(FLOAT, 2.5, TypeError, "factor", id="factor-float"),
        pytest.param(FLOAT, "2", TypeError, "factor", id="factor-str"),
        pytest.param(FLOAT, True, TypeError, "factor", id="factor-bool"),
        # It downsamples the first two axes: fewer than two is an error.
        pytest.param(GREY[0], 2, ValueError, DIMENSIONS, id="1-D"),
        pytest.param(np.float64(3.0), 2, ValueError, DIMENSIONS, id="0-D"),
    ],
)
def test_box_downsample_rejects_bad_arguments(
    image: Any, factor: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        fsimlib.box_downsample(image, factor)


def test_use_fft_engine_rejects_unknown_names() -> None:
    with (
        pytest.raises(ValueError, match="Unknown"),
        fsimlib.backends.use_fft_engine("fftpack"),  # type: ignore[arg-type]
    ):
        pass


# --- no asserts ---------------------------------------------------------------


def test_validation_survives_python_optimisation() -> None:
    """Checks are explicit raises, not asserts, so ``python -O`` keeps them."""
    script = textwrap.dedent(
        """
        import numpy as np
        import fsimlib

        assert False, "asserts must be disabled in this interpreter"
        """
    )
    # Under -O the assert above is stripped; if it ran, the child would fail.
    script += textwrap.dedent(
        """
        grey = np.zeros((16, 16), np.uint8)
        cases = {
            "shape": lambda: fsimlib.fsim(grey, grey[:15]),
            "float": lambda: fsimlib.fsim(grey * 1.0, grey * 1.0),
            "nan": lambda: fsimlib.fsim(grey * np.nan, grey * 1.0, data_range=1),
            "rgba": lambda: fsimlib.fsim(np.zeros((8, 8, 4)), np.zeros((8, 8, 4))),
            "small": lambda: fsimlib.fsim(grey[:1], grey[:1]),
            "downsample": lambda: fsimlib.fsim(grey, grey, downsample=0),
            "gradient": lambda: fsimlib.fsim(grey, grey, gradient="nope"),
            "n_scales": lambda: fsimlib.PhaseCongruencyParameters(n_scales=0),
            "batch": lambda: fsimlib.fsim_batch(grey, grey),
            "reference": lambda: fsimlib.Reference(grey).fsim(grey[:15]),
        }
        for name, case in cases.items():
            try:
                case()
            except (ValueError, TypeError) as error:
                print(name, type(error).__name__)
            else:
                print(name, "no error")
        """
    )
    completed = subprocess.run(
        [sys.executable, "-O", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert len(lines) == 10, completed.stdout
    for line in lines:
        assert line.endswith("Error"), f"no ValueError/TypeError under -O: {line}"


# --- limits: values that would overflow, lose precision or never finish ---


def huge_gradient(image: NDArray[np.float64]) -> NDArray[np.float64]:
    return fsimlib.SCHARR.magnitude(image) * 1e160


LIMIT_CASES: dict[str, tuple[Any, Any, dict[str, Any], str]] = {
    # 255 / 1e-307 overflows: the score used to be NaN.
    "data_range-tiny": (
        FLOAT * 1e-310,
        FLOAT2 * 1e-310,
        {"data_range": 1e-307},
        r"data_range=1e-307 scales .* by 255 / data_range = inf",
    ),
    # Values far from zero compared with their range overflow when squared.
    "offset-huge": (
        FLOAT + 1e110,
        FLOAT2 + 1e110,
        {"data_range": 255.0},
        r"grey levels up to 1e\+110 in magnitude; they must stay within 1e\+100",
    ),
    "gradient-kernel-huge": (
        FLOAT,
        FLOAT2,
        {"data_range": 255, "gradient": (SCHARR_X * 1e153, SCHARR_Y)},
        r"kernel_x's absolute values sum to 2e\+153; at most 1e\+50",
    ),
    "gradient-callable-huge": (
        FLOAT,
        FLOAT2,
        {"data_range": 255, "gradient": huge_gradient},
        r"gradient function huge_gradient returned magnitudes up to .*e\+16\d; "
        r"at most 1e\+150",
    ),
    # Beyond 2**53 float64 rounds neighbouring integers together: the pair
    # used to score 1.0.
    "uint64-near-2**63": (
        GREY.astype(np.uint64) + np.uint64(2**63 - 256),
        GREY2.astype(np.uint64) + np.uint64(2**63 - 256),
        {"data_range": 255},
        r"holds uint64 values from 9223372036854775552 to .* beyond "
        r"2\*\*53 = 9007199254740992",
    ),
    "int64-below-minus-2**53": (
        GREY.astype(np.int64) - 2**60,
        GREY2.astype(np.int64) - 2**60,
        {"data_range": 255},
        r"holds int64 values from -1152921504606846\d+ .* beyond 2\*\*53",
    ),
    "workers-100000": (GREY, GREY2, {"workers": 100000}, "workers must be at most 64"),
}


@pytest.mark.parametrize("entry", ALL_ENTRY_POINTS)
@pytest.mark.parametrize(
    ("image1", "image2", "options", "match"),
    [pytest.param(*case, id=name) for name, case in LIMIT_CASES.items()],
)
def test_limits_are_value_errors(
    entry: Callable[..., object],
    image1: Any,
    image2: Any,
    options: dict[str, Any],
    match: str,
) -> None:
    with pytest.raises(ValueError, match=match):
        entry(image1, image2, **options)


def test_values_just_inside_the_limits_score_finitely() -> None:
    # Grey levels of 1e100 with kernels summing to 1e50: gradients of
    # 1e150, whose squares are still finite.
    big = fsimlib.GradientOperator(SCHARR_X * 0.5e50, SCHARR_Y * 0.5e50)
    score = fsimlib.fsim(
        FLOAT * (1e100 / 255), FLOAT2 * (1e100 / 255), data_range=1e100, gradient=big
    )
    assert 0.0 < score < 1.0
    # Integers up to 2**53 are exact in float64: accepted, and scored as
    # the same values given as float64.
    exact = (GREY.astype(np.int64) + 2**53 - 255, GREY2.astype(np.int64) + 2**53 - 255)
    as_float = tuple(image.astype(np.float64) for image in exact)
    assert fsimlib.fsim(*exact, data_range=255) == fsimlib.fsim(
        *as_float, data_range=255
    )


def test_workers_up_to_the_maximum_give_the_same_score() -> None:
    expected = fsimlib.fsim(FLOAT, FLOAT2, data_range=255)
    assert fsimlib.fsim(FLOAT, FLOAT2, data_range=255, workers=64) == expected
    many = fsimlib.fsim_batch(GREY, np.stack([GREY2] * 3), workers=64)
    np.testing.assert_array_equal(many, expected)


def test_non_finite_scores_are_never_returned() -> None:
    from fsimlib._similarity import pooled_scores

    ones = np.ones((4, 4))
    overflowing = np.full((4, 4), 1e200)  # squares overflow to inf
    with pytest.raises(ValueError, match=r"FSIM came out nan .*overflowed"):
        pooled_scores(ones, ones, overflowing, overflowing, None)


def test_phase_congruency_refuses_values_whose_squares_overflow() -> None:
    # 1e200 used to give an all-zero map without a word.
    with pytest.raises(ValueError, match=r"image values reach 2\.55e\+202 .* 1e\+100"):
        fsimlib.phase_congruency(FLOAT * 1e200)
    scaled = fsimlib.phase_congruency(FLOAT * (1e100 / 255))
    assert np.isfinite(scaled).all()
    assert scaled.max() > 0.1
