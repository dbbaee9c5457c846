"""read_image: every supported file kind comes back as FSIM needs it.

Files are written by the tests into ``tmp_path`` with imageio, tifffile,
Pillow or pypng (each the natural writer of its kind), from seeded random
arrays; lossless formats must round-trip exactly (no tolerance: the values
are integers).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import png
import pytest
import tifffile
from numpy.typing import NDArray
from PIL import Image

import fsimlib

SHAPE = (24, 36)


def grey(dtype: type[np.integer]) -> NDArray[np.integer]:
    info = np.iinfo(dtype)
    return np.random.default_rng(1).integers(
        0, info.max, SHAPE, dtype=dtype, endpoint=True
    )


def rgb(dtype: type[np.integer]) -> NDArray[np.integer]:
    info = np.iinfo(dtype)
    rng = np.random.default_rng(2)
    return rng.integers(0, info.max, (*SHAPE, 3), dtype=dtype, endpoint=True)


def write_png16(path: Path, array: NDArray[np.integer]) -> None:
    """16-bit colour PNG: Pillow cannot write one, pypng can."""
    rows, cols, planes = array.shape
    writer = png.Writer(
        cols, rows, greyscale=planes < 3, alpha=planes in (2, 4), bitdepth=16
    )
    with path.open("wb") as handle:
        writer.write(handle, array.reshape(rows, cols * planes))


Writer = Callable[[Path, NDArray[np.integer]], None]

LOSSLESS: list[tuple[str, str, Callable[[], NDArray[np.integer]], Writer, float]] = [
    ("png", "grey8", lambda: grey(np.uint8), iio.imwrite, 255.0),
    ("png", "rgb8", lambda: rgb(np.uint8), iio.imwrite, 255.0),
    ("png", "grey16", lambda: grey(np.uint16), iio.imwrite, 65535.0),
    ("png", "rgb16", lambda: rgb(np.uint16), write_png16, 65535.0),
    ("tif", "grey8", lambda: grey(np.uint8), tifffile.imwrite, 255.0),
    ("tif", "rgb8", lambda: rgb(np.uint8), tifffile.imwrite, 255.0),
    ("tif", "grey16", lambda: grey(np.uint16), tifffile.imwrite, 65535.0),
    ("tif", "rgb16", lambda: rgb(np.uint16), tifffile.imwrite, 65535.0),
    ("bmp", "grey8", lambda: grey(np.uint8), iio.imwrite, 255.0),
    ("bmp", "rgb8", lambda: rgb(np.uint8), iio.imwrite, 255.0),
]


@pytest.mark.parametrize(
    ("suffix", "kind", "make", "write", "data_range"),
    LOSSLESS,
    ids=[f"{kind}.{suffix}" for suffix, kind, *_ in LOSSLESS],
)
def test_lossless_files_round_trip_with_bit_depth_range(  # noqa: PLR0917
    tmp_path: Path,
    suffix: str,
    kind: str,
    make: Callable[[], NDArray[np.integer]],
    write: Writer,
    data_range: float,
) -> None:
    array = make()
    path = tmp_path / f"{kind}.{suffix}"
    write(path, array)
    loaded = fsimlib.read_image(path)
    assert loaded.data_range == data_range, kind
    assert loaded.array.dtype == array.dtype, kind
    np.testing.assert_array_equal(loaded.array, array, err_msg=f"{kind}.{suffix}")


def test_planar_16bit_rgb_tiff_is_channels_last(tmp_path: Path) -> None:
    array = rgb(np.uint16)
    path = tmp_path / "planar.tif"
    tifffile.imwrite(
        path, np.moveaxis(array, -1, 0), photometric="rgb", planarconfig="separate"
    )
    np.testing.assert_array_equal(fsimlib.read_image(path).array, array)


def test_min_is_white_tiffs_are_inverted(tmp_path: Path) -> None:
    for dtype in (np.uint8, np.uint16):
        array = grey(dtype)
        path = tmp_path / f"white{np.dtype(dtype).itemsize}.tif"
        tifffile.imwrite(path, array, photometric="miniswhite")
        expected = np.iinfo(dtype).max - array
        np.testing.assert_array_equal(fsimlib.read_image(path).array, expected)


@pytest.mark.parametrize("suffix", ["png", "jpg"])
def test_jpeg_and_png_read_as_pillow_decodes(tmp_path: Path, suffix: str) -> None:
    """JPEG is lossy: the reference is Pillow's own decoding of the same file."""
    path = tmp_path / f"photo.{suffix}"
    iio.imwrite(path, rgb(np.uint8))
    loaded = fsimlib.read_image(path)
    with Image.open(path) as image:
        expected = np.asarray(image.convert("RGB"))
    assert loaded.data_range == 255.0
    np.testing.assert_array_equal(loaded.array, expected)


@pytest.mark.parametrize("suffix", ["png", "tif", "bmp"])
def test_bilevel_images_read_as_0_and_255(tmp_path: Path, suffix: str) -> None:
    mask = grey(np.uint8) > 127
    path = tmp_path / f"mask.{suffix}"
    Image.fromarray(mask).save(path)
    loaded = fsimlib.read_image(path)
    assert loaded.array.dtype == np.uint8
    assert loaded.data_range == 255.0
    np.testing.assert_array_equal(loaded.array, mask.astype(np.uint8) * 255)


@pytest.mark.parametrize("suffix", ["png", "tif", "bmp", "gif"])
def test_palette_images_expand_to_rgb(tmp_path: Path, suffix: str) -> None:
    palette_image = Image.fromarray(rgb(np.uint8)).convert("P")
    path = tmp_path / f"palette.{suffix}"
    palette_image.save(path)
    with Image.open(path) as image:
        expected = np.asarray(image.convert("RGB"))
    loaded = fsimlib.read_image(path)
    assert loaded.array.shape == (*SHAPE, 3)
    np.testing.assert_array_equal(loaded.array, expected)


@pytest.mark.parametrize(
    ("name", "make", "write"),
    [
        ("rgba8.png", lambda: rgb(np.uint8), iio.imwrite),
        ("rgba16.png", lambda: rgb(np.uint16), write_png16),
        ("rgba16.tif", lambda: rgb(np.uint16), tifffile.imwrite),
    ],
)
def test_opaque_alpha_is_dropped(
    tmp_path: Path, name: str, make: Callable[[], NDArray[np.integer]], write: Writer
) -> None:
    colour = make()
    opaque = np.full(SHAPE, np.iinfo(colour.dtype).max, colour.dtype)
    path = tmp_path / name
    write(path, np.dstack([colour, opaque]))
    np.testing.assert_array_equal(fsimlib.read_image(path).array, colour)


def test_opaque_grey_alpha_is_dropped(tmp_path: Path) -> None:
    image = grey(np.uint8)
    path = tmp_path / "la.png"
    iio.imwrite(path, np.dstack([image, np.full(SHAPE, 255, np.uint8)]))
    np.testing.assert_array_equal(fsimlib.read_image(path).array, image)


def test_transparent_pixels_are_an_error(tmp_path: Path) -> None:
    alpha = np.full(SHAPE, 255, np.uint8)
    alpha[:2, :3] = 0
    path = tmp_path / "holes.png"
    iio.imwrite(path, np.dstack([rgb(np.uint8), alpha]))
    with pytest.raises(ValueError, match=r"6 pixels are not fully opaque"):
        fsimlib.read_image(path)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("garbage.png", b"definitely not an image", "not a readable image"),
        ("empty.png", b"", "not a readable image"),
    ],
)
def test_unreadable_files_are_value_errors(
    tmp_path: Path, name: str, content: bytes, match: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        fsimlib.read_image(path)


@pytest.mark.parametrize("keep", [60, 200])
def test_truncated_png_is_a_value_error(tmp_path: Path, keep: int) -> None:
    whole = tmp_path / "whole.png"
    iio.imwrite(whole, rgb(np.uint8))
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole.read_bytes()[:keep])
    with pytest.raises(ValueError, match="not a readable image"):
        fsimlib.read_image(cut)


def test_floating_point_tiff_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "float.tif"
    tifffile.imwrite(path, grey(np.uint8).astype(np.float32))
    with pytest.raises(ValueError, match=r"float32 samples are not supported"):
        fsimlib.read_image(path)


def test_cmyk_jpeg_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(rgb(np.uint8)).convert("CMYK").save(path)
    with pytest.raises(ValueError, match="CMYK colour is not supported"):
        fsimlib.read_image(path)


def test_missing_file_and_bad_path_type(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such image file"):
        fsimlib.read_image(tmp_path / "absent.png")
    with pytest.raises(FileNotFoundError, match="no such image file"):
        fsimlib.read_image(tmp_path)  # a folder is no image file
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike, got int"):
        fsimlib.read_image(3)  # type: ignore[arg-type]


def test_str_and_path_read_the_same(tmp_path: Path) -> None:
    path = tmp_path / "same.png"
    iio.imwrite(path, grey(np.uint8))
    first, second = fsimlib.read_image(path), fsimlib.read_image(str(path))
    np.testing.assert_array_equal(first.array, second.array)
    assert first.data_range == second.data_range


# --------------------------------------------------------------------------
# Size limit: the header is checked before decoding


def forged_png(path: Path, width: int, height: int) -> None:
    """A valid PNG header claiming ``width x height`` with almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 100))
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    forged_png(path, 50000, 50000)
    assert path.stat().st_size < 200
    # Decoding would fail as "truncated": this message shows nothing was.
    with pytest.raises(
        ValueError,
        match=r"bomb\.png: its header declares 50000 x 50000 = 2500000000 pixels, "
        r"more than max_pixels=268435456",
    ):
        fsimlib.read_image(path)


@pytest.mark.parametrize(
    ("kind", "writer"),
    [
        ("png8-grey", lambda path: iio.imwrite(path, grey(np.uint8))),
        ("png16-rgb", lambda path: write_png16(path, rgb(np.uint16))),
        ("tiff16-grey", lambda path: tifffile.imwrite(path, grey(np.uint16))),
        ("tiff8-rgb", lambda path: tifffile.imwrite(path, rgb(np.uint8))),
    ],
)
def test_max_pixels_is_the_limit(
    tmp_path: Path, kind: str, writer: Callable[[Path], None]
) -> None:
    path = tmp_path / (kind + (".tif" if kind.startswith("tiff") else ".png"))
    writer(path)
    pixels = SHAPE[0] * SHAPE[1]
    assert fsimlib.read_image(path, max_pixels=pixels).array.shape[:2] == SHAPE
    with pytest.raises(
        ValueError, match=rf"= {pixels} pixels, more than max_pixels={pixels - 1}"
    ):
        fsimlib.read_image(path, max_pixels=pixels - 1)


PILLOW_LIMIT_CASES: dict[str, tuple[str, Callable[[], NDArray[np.integer]], Writer]] = {
    "png8-grey": ("a.png", lambda: grey(np.uint8), iio.imwrite),
    "png8-rgb": ("a.png", lambda: rgb(np.uint8), iio.imwrite),
    "png16-rgb": ("a.png", lambda: rgb(np.uint16), write_png16),
    "tiff16-grey": ("a.tif", lambda: grey(np.uint16), tifffile.imwrite),
    "tiff8-rgb": ("a.tif", lambda: rgb(np.uint8), tifffile.imwrite),
}


@pytest.mark.parametrize("kind", list(PILLOW_LIMIT_CASES))
def test_pillows_own_limit_neither_applies_nor_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # Pillow raises above twice MAX_IMAGE_PIXELS (and warns above it): with
    # its limit at 100 pixels, an 864-pixel image is a "bomb" to Pillow,
    # but well within read_image's own limit.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    name, make, write = PILLOW_LIMIT_CASES[kind]
    path = tmp_path / name
    expected = make()
    write(path, expected)
    image, _ = fsimlib.read_image(path)
    np.testing.assert_array_equal(image, expected)
    assert Image.MAX_IMAGE_PIXELS == 100


def test_large_real_images_are_read(tmp_path: Path) -> None:
    # 12000 x 12000 (144 million pixels) is above Pillow's warning limit
    # of 89 million and below read_image's default of 2**28.
    path = tmp_path / "large.png"
    large = np.zeros((12000, 12000), np.uint8)
    large[::7, ::5] = 200
    Image.fromarray(large).save(path, compress_level=1)
    image, data_range = fsimlib.read_image(path)
    assert data_range == 255.0
    np.testing.assert_array_equal(image, large)


@pytest.mark.parametrize(
    ("max_pixels", "error", "match"),
    [
        (
            0,
            ValueError,
            r"max_pixels must be at least 1 \(or None for no limit\), got 0",
        ),
        (-5, ValueError, "got -5"),
        (1.5, TypeError, "max_pixels must be an int or None, got float 1.5"),
        (True, TypeError, "got bool"),
        ("100", TypeError, "got str '100'"),
    ],
)
def test_bad_max_pixels(
    tmp_path: Path, max_pixels: object, error: type[Exception], match: str
) -> None:
    path = tmp_path / "a.png"
    iio.imwrite(path, grey(np.uint8))
    with pytest.raises(error, match=match):
        fsimlib.read_image(path, max_pixels=max_pixels)  # type: ignore[arg-type]
