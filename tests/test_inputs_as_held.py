"""Images as users hold them: channels-first arrays, NCHW stacks, Pillow images.

A channels-first array read with the default layout is refused with the
``channel_axis`` to pass, and that value gives, to the bit, the score of
the channels-last array.  A Pillow image is scored on the array
:func:`fsimlib.read_image` gives for the same image saved to a PNG file:
palettes by their colours, never by their indices.  Scores are compared
exactly: the same pixel values go through the same computation.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from PIL import Image
from skimage import data

import fsimlib

RNG_SEED = 12


def distorted(image: NDArray[np.uint8], seed: int = RNG_SEED) -> NDArray[np.uint8]:
    """``image`` with seeded uniform noise of +-20 grey levels."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(-20, 21, image.shape)
    noisy: NDArray[np.uint8] = np.clip(image + noise, 0, 255).astype(np.uint8)
    return noisy


COLOUR = np.ascontiguousarray(data.astronaut()[100:164, 180:244])
COLOUR2 = distorted(COLOUR)
GREY = np.ascontiguousarray(data.camera()[200:264, 200:264])
GREY2 = distorted(GREY)

Score = Callable[..., float]


def score_fsim(image1: object, image2: object, **options: object) -> float:
    return fsimlib.fsim(image1, image2, chromatic=True, **options)  # type: ignore[arg-type]


def score_compare(image1: object, image2: object, **options: object) -> float:
    return fsimlib.compare(image1, image2, **options).fsimc  # type: ignore[arg-type]


def score_reference(image1: object, image2: object, **options: object) -> float:
    reference = fsimlib.Reference(image1, **options)  # type: ignore[arg-type]
    return reference.fsim(image2, chromatic=True)  # type: ignore[arg-type]


def batch(images1: object, images2: object) -> NDArray[np.float64]:
    """FSIMc of stacks: Pillow images are no ``ArrayLike`` to type checkers."""
    return fsimlib.fsim_batch(images1, images2, chromatic=True)  # type: ignore[arg-type]


def score_batch(image1: object, image2: object, **options: object) -> float:
    scores = fsimlib.fsim_batch(image1, [image2], chromatic=True, **options)  # type: ignore[arg-type]
    return float(scores[0])


ENTRIES = {
    "fsim": score_fsim,
    "compare": score_compare,
    "Reference": score_reference,
    "fsim_batch": score_batch,
}
SINGLE_IMAGE_ENTRIES = {k: v for k, v in ENTRIES.items() if k != "fsim_batch"}

# --- channels-first arrays -------------------------------------------------

#: (image pair in the channels-last layout, name).
LAYOUTS = {
    "rgb": (COLOUR, COLOUR2),
    "one-channel": (GREY[..., None], GREY2[..., None]),
}


@pytest.mark.parametrize(
    "entry", SINGLE_IMAGE_ENTRIES.values(), ids=list(SINGLE_IMAGE_ENTRIES)
)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_channels_first_is_told_to_pass_channel_axis_0(
    entry: Score, layout: str
) -> None:
    last1, last2 = LAYOUTS[layout]
    first1, first2 = np.moveaxis(last1, -1, 0), np.moveaxis(last2, -1, 0)
    pattern = (
        rf"has shape \({first1.shape[0]}, 64, 64\): 64 channels along axis 2 is "
        r"not an image layout fsimlib knows; if its channels are first, pass "
        r"channel_axis=0"
    )
    with pytest.raises(ValueError, match=pattern):
        entry(first1, first2)
    assert entry(first1, first2, channel_axis=0) == entry(last1, last2)


#: Image sides that cannot be mistaken for a channel count (1, 3 or 4).
SIDES = st.integers(2, 40).filter(lambda side: side not in {3, 4})


@settings(deadline=None, max_examples=60)
@given(channels=st.sampled_from([1, 3]), rows=SIDES, cols=SIDES, stack=st.booleans())
def test_any_channels_first_layout_gets_channel_axis_0(
    channels: int, rows: int, cols: int, stack: bool
) -> None:
    """Whatever the size, channels first are recognised (no score computed)."""
    shape = (2, channels, rows, cols) if stack else (channels, rows, cols)
    images = np.zeros(shape, np.uint8)
    score: Callable[[NDArray[np.uint8], NDArray[np.uint8]], object] = (
        fsimlib.fsim_batch if stack else fsimlib.fsim
    )
    with pytest.raises(ValueError, match=r"channels are first.*pass channel_axis=0"):
        score(images, images)


@pytest.mark.parametrize(
    "entry", SINGLE_IMAGE_ENTRIES.values(), ids=list(SINGLE_IMAGE_ENTRIES)
)
def test_a_wrong_channel_axis_is_told_the_right_one(entry: Score) -> None:
    with pytest.raises(
        ValueError, match=r"channels are along axis 2, pass channel_axis=2"
    ):
        entry(COLOUR, COLOUR2, channel_axis=0)


def test_rgba_channels_first_is_told_the_axis_then_to_drop_alpha() -> None:
    rgba = np.moveaxis(np.dstack([COLOUR, GREY]), -1, 0)
    with pytest.raises(ValueError, match=r"channels are first, pass channel_axis=0"):
        fsimlib.fsim(rgba, rgba)
    with pytest.raises(ValueError, match=r"4 channels.*drop the alpha channel"):
        fsimlib.fsim(rgba, rgba, channel_axis=0)


def test_a_stack_passed_as_one_image_is_pointed_to_fsim_batch() -> None:
    with pytest.raises(ValueError, match=r"got 4-D .*use fsimlib\.fsim_batch"):
        fsimlib.fsim(COLOUR[None], COLOUR2[None])


#: (stack of channels-last images, the same channels first, name).
STACKS = {
    "N x 3 x H x W": (np.stack([COLOUR, COLOUR2]), np.stack([COLOUR2, COLOUR])),
    "N x 1 x H x W": (
        np.stack([GREY, GREY2])[..., None],
        np.stack([GREY2, GREY])[..., None],
    ),
}


@pytest.mark.parametrize("single_reference", [False, True], ids=["pairs", "reference"])
@pytest.mark.parametrize("layout", STACKS)
def test_channels_first_stacks_are_told_the_axis_of_one_image(
    layout: str, single_reference: bool
) -> None:
    last1, last2 = STACKS[layout]
    first1, first2 = np.moveaxis(last1, -1, 1), np.moveaxis(last2, -1, 1)
    if single_reference:
        last1, first1 = last1[0], first1[0]
    channels = first2.shape[1]
    pattern = (
        rf"images2 has shape \(2, {channels}, 64, 64\), images of shape "
        rf"\({channels}, 64, 64\): 64 channels along their axis 2 .* if their "
        r"channels are first \(the stack's axis 1\), pass channel_axis=0: "
        r"fsim_batch counts the axes of one image, not of the stack"
    )
    with pytest.raises(ValueError, match=pattern):
        fsimlib.fsim_batch(last1, first2, chromatic=True)
    scores = fsimlib.fsim_batch(first1, first2, channel_axis=0, chromatic=True)
    expected = fsimlib.fsim_batch(last1, last2, chromatic=True)
    np.testing.assert_array_equal(scores, expected)
    assert 0.5 < scores.min() < 1.0


def test_a_channels_first_first_stack_is_named() -> None:
    first1 = np.moveaxis(np.stack([COLOUR, COLOUR2]), -1, 1)
    with pytest.raises(
        ValueError, match=r"images1 has shape \(2, 3, 64, 64\).*channel_axis=0"
    ):
        fsimlib.fsim_batch(first1, np.stack([COLOUR, COLOUR2]))


# --- Pillow images ---------------------------------------------------------


def opaque(image: NDArray[np.uint8], alpha_channel: int = 255) -> NDArray[np.uint8]:
    """``image`` with a fully opaque alpha channel appended."""
    planes = image if image.ndim == 3 else image[..., None]
    alpha = np.full((*planes.shape[:2], 1), alpha_channel, np.uint8)
    return np.concatenate([planes, alpha], axis=-1)


def palette_image(image: NDArray[np.uint8]) -> Image.Image:
    """A 32-colour palette image; each image gets its own palette."""
    return Image.fromarray(image).quantize(32, dither=Image.Dither.NONE)


def palette_alpha_image(image: NDArray[np.uint8]) -> Image.Image:
    """A ``"PA"`` image: palette indices and an opaque alpha band."""
    palette = palette_image(image)
    converted = palette.convert("PA")
    assert converted.mode == "PA"
    return converted


def wide_grey(image: NDArray[np.uint8]) -> NDArray[np.int32]:
    return image.astype(np.int32) * 257


#: How to make each mode from an 8-bit array, and the array to start from.
MODES: dict[str, tuple[Callable[[NDArray[np.uint8]], Image.Image], bool]] = {
    "L": (Image.fromarray, False),
    "RGB": (Image.fromarray, True),
    "P": (palette_image, True),
    "PA": (palette_alpha_image, True),
    "LA": (lambda image: Image.fromarray(opaque(image), mode="LA"), False),
    "RGBA": (lambda image: Image.fromarray(opaque(image)), True),
    "1": (lambda image: Image.fromarray(image).convert("1"), False),
    "I;16": (lambda image: Image.fromarray(image.astype(np.uint16) * 257), False),
    "I": (lambda image: Image.fromarray(wide_grey(image)), False),
}


def pillow_pair(mode: str) -> tuple[Image.Image, Image.Image]:
    make, colour = MODES[mode]
    image1, image2 = (COLOUR, COLOUR2) if colour else (GREY, GREY2)
    pair = make(image1), make(image2)
    assert pair[0].mode == mode
    return pair


def as_read_from_png(image: Image.Image, path: Path) -> NDArray[np.generic]:
    """What read_image gives for ``image`` saved as a PNG file.

    PNG holds no ``"PA"`` mode, and Pillow deprecates saving 32-bit
    (``"I"``) images as PNG: those are saved as the RGBA and 16-bit images
    they stand for.
    """
    stored = {"PA": "RGBA", "I": "I;16"}.get(image.mode)
    (image if stored is None else image.convert(stored)).save(path)
    array, data_range = fsimlib.read_image(path)
    expected_range = 65535.0 if image.mode.startswith("I") else 255.0
    assert data_range == expected_range
    return array


@pytest.mark.parametrize("entry", ENTRIES.values(), ids=list(ENTRIES))
@pytest.mark.parametrize("mode", MODES)
def test_pillow_images_score_as_read_image_reads_them(
    mode: str, entry: Score, tmp_path: Path
) -> None:
    image1, image2 = pillow_pair(mode)
    array1 = as_read_from_png(image1, tmp_path / "1.png")
    array2 = as_read_from_png(image2, tmp_path / "2.png")
    score = entry(image1, image2)
    assert score == entry(array1, array2)
    # The data range is inferred from the bit depth, as for the arrays.
    data_range = 65535 if mode.startswith("I") else 255
    assert score == entry(array1, array2, data_range=data_range)
    assert 0.5 < score < 1.0


def test_a_palette_image_is_scored_on_its_colours_not_its_indices() -> None:
    image1, image2 = pillow_pair("P")
    colours = score_fsim(image1.convert("RGB"), image2.convert("RGB"))
    indices = score_fsim(np.asarray(image1), np.asarray(image2))
    score = score_fsim(image1, image2)
    assert score == colours
    assert abs(score - indices) > 0.01


def test_a_list_of_pillow_images_is_a_stack() -> None:
    images1 = [palette_image(COLOUR), palette_image(COLOUR2)]
    images2 = [palette_image(COLOUR2), palette_image(COLOUR)]
    scores = batch(images1, images2)
    expected = [score_fsim(a, b) for a, b in zip(images1, images2, strict=True)]
    np.testing.assert_array_equal(scores, expected)


def test_a_list_of_pillow_images_of_two_sizes_is_refused() -> None:
    images = [Image.fromarray(COLOUR), Image.fromarray(COLOUR[:32])]
    with pytest.raises(ValueError, match=r"images2 must have one shape and dtype"):
        batch(COLOUR, images)


def transparent(mode: str) -> Image.Image:
    image = pillow_pair(mode)[0].copy()
    image.putpixel((3, 5), (0, 0) if mode in {"LA", "PA"} else (0, 0, 0, 0))
    return image


@pytest.mark.parametrize("mode", ["LA", "PA", "RGBA"])
def test_partly_transparent_pillow_images_are_refused_like_files(mode: str) -> None:
    image = transparent(mode)
    pattern = r"image1 \(a Pillow image\): 1 pixels are not fully opaque.*flatten"
    with pytest.raises(ValueError, match=pattern):
        score_fsim(image, image)


@pytest.mark.parametrize("mode", ["CMYK", "YCbCr", "F", "RGBa", "HSV"])
def test_pillow_modes_other_than_grey_and_rgb_are_refused(mode: str) -> None:
    image = Image.new(mode, (16, 16))
    pattern = (
        rf'image1 \(a Pillow image\): mode "{mode}" images are not supported.*convert'
    )
    with pytest.raises(ValueError, match=pattern):
        score_fsim(image, image)


def test_32_bit_pillow_images_beyond_16_bits_are_refused() -> None:
    image = Image.fromarray(wide_grey(GREY) * 2)
    with pytest.raises(
        ValueError,
        match=r'mode "I" image holds values from 1542 to 111538, beyond the 16-bit',
    ):
        score_compare(image, image)


@pytest.mark.parametrize("mode", MODES)
def test_pillow_images_are_not_modified(mode: str) -> None:
    image1, image2 = pillow_pair(mode)
    before = [
        (im.mode, im.size, im.tobytes(), im.getpalette(), dict(im.info))
        for im in (image1, image2)
    ]
    score_compare(image1, image2)
    batch([image1], [image2])
    after = [
        (im.mode, im.size, im.tobytes(), im.getpalette(), dict(im.info))
        for im in (image1, image2)
    ]
    assert after == before


def test_importing_and_scoring_arrays_does_not_import_pillow() -> None:
    code = (
        "import sys, numpy as np, fsimlib\n"
        "a = np.arange(1024, dtype=np.uint8).reshape(32, 32)\n"
        "fsimlib.fsim(a, a.T); fsimlib.fsim_batch(a[None], a.T[None])\n"
        "print('PIL' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
