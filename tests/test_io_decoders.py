"""read_image gives the same array whichever decoder reads the file.

Plain PNGs (8- and 16-bit grey, grey+alpha, RGB, RGBA) are decoded by
fsimlib's own reader (libdeflate through imagecodecs, then ``_cpng``'s
unfiltering) when it is there, interlaced ones by libpng through
imagecodecs, 24-bit uncompressed BMPs by imagecodecs' BMP codec; without
imagecodecs they take the Pillow/pypng path.  Every
path must give identical arrays (dtype, shape, every value; no tolerance:
the samples are integers) on the corpus images and on every kind of file
read_image takes, and the fast paths must be the ones taken.
(``test_png_reader.py`` tests the plain reader itself against libpng.)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import png
import pytest
import tifffile
from corpus import DATA_DIR
from numpy.typing import NDArray
from PIL import Image

import fsimlib
from fsimlib import _io

SHAPE = (40, 56)
CORPUS_IMAGES = sorted((DATA_DIR / "images").glob("*.png"))


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _pypng(path: Path, array: NDArray[np.integer], *, interlace: bool = False) -> None:
    planes = 1 if array.ndim == 2 else array.shape[2]
    rows, cols = array.shape[:2]
    writer = png.Writer(
        cols,
        rows,
        greyscale=planes < 3,
        alpha=planes in (2, 4),
        bitdepth=array.dtype.itemsize * 8,
        interlace=interlace,
    )
    with path.open("wb") as handle:
        writer.write(handle, array.reshape(rows, cols * planes))


def _opaque(colour: NDArray[np.integer]) -> NDArray[np.integer]:
    full = np.full(SHAPE, np.iinfo(colour.dtype).max, colour.dtype)
    return np.dstack([colour, full])


def _rgb8() -> NDArray[np.uint8]:
    return _rng(1).integers(0, 256, (*SHAPE, 3), dtype=np.uint8)


def _rgb16() -> NDArray[np.uint16]:
    return _rng(2).integers(0, 65536, (*SHAPE, 3), dtype=np.uint16)


def _grey8() -> NDArray[np.uint8]:
    return _rng(3).integers(0, 256, SHAPE, dtype=np.uint8)


def _grey16() -> NDArray[np.uint16]:
    return _rng(4).integers(0, 65536, SHAPE, dtype=np.uint16)


def _apng(path: Path) -> None:
    frames = [Image.fromarray(_rgb8()), Image.fromarray(255 - _rgb8())]
    frames[0].save(path, save_all=True, append_images=frames[1:], format="PNG")


def _multipage_tiff(path: Path) -> None:
    tifffile.imwrite(path, np.stack([_rgb8(), 255 - _rgb8()]), photometric="rgb")


def _rgb_with_trns(path: Path) -> None:
    # A colour key: Pillow reads RGB and ignores it; libpng would add alpha.
    image = _rgb8()
    image[0, 0] = (1, 2, 3)
    Image.fromarray(image).save(path, transparency=(1, 2, 3))


def _pypng4(path: Path) -> None:
    values = _rng(5).integers(0, 16, SHAPE, dtype=np.uint8)
    writer = png.Writer(SHAPE[1], SHAPE[0], greyscale=True, bitdepth=4)
    with path.open("wb") as handle:
        writer.write(handle, values)


#: (file name, writer, the reader that decodes it: fsimlib's plain-PNG
#: reader, libpng through imagecodecs, the plain-BMP path, or another)
FILES: list[tuple[str, Callable[[Path], object], str]] = [
    ("rgb8.png", lambda p: Image.fromarray(_rgb8()).save(p), "plain"),
    ("grey8.png", lambda p: Image.fromarray(_grey8()).save(p), "plain"),
    ("rgba8.png", lambda p: iio.imwrite(p, _opaque(_rgb8())), "plain"),
    ("la8.png", lambda p: iio.imwrite(p, _opaque(_grey8())), "plain"),
    ("grey16.png", lambda p: _pypng(p, _grey16()), "plain"),
    ("rgb16.png", lambda p: _pypng(p, _rgb16()), "plain"),
    ("rgba16.png", lambda p: _pypng(p, _opaque(_rgb16())), "plain"),
    ("la16.png", lambda p: _pypng(p, _opaque(_grey16())), "plain"),
    ("interlaced.png", lambda p: _pypng(p, _rgb8(), interlace=True), "libpng"),
    ("interlaced16.png", lambda p: _pypng(p, _rgb16(), interlace=True), "libpng"),
    ("animated.png", _apng, "plain"),
    (
        "level9.png",
        lambda p: Image.fromarray(_rgb8()).save(p, compress_level=9),
        "plain",
    ),
    ("palette.png", lambda p: Image.fromarray(_rgb8()).quantize(32).save(p), "other"),
    ("bilevel.png", lambda p: Image.fromarray(_grey8() > 127).save(p), "other"),
    ("grey4.png", _pypng4, "other"),
    ("colour-key.png", _rgb_with_trns, "other"),
    ("photo.jpg", lambda p: Image.fromarray(_rgb8()).save(p, quality=80), "other"),
    ("grey.jpg", lambda p: Image.fromarray(_grey8()).save(p, quality=80), "other"),
    ("rgb8.tif", lambda p: tifffile.imwrite(p, _rgb8()), "other"),
    ("rgb16.tif", lambda p: tifffile.imwrite(p, _rgb16()), "other"),
    ("pages.tif", _multipage_tiff, "other"),
    ("rgb8.bmp", lambda p: Image.fromarray(_rgb8()).save(p), "bmp"),
    ("rgba.bmp", lambda p: Image.fromarray(_opaque(_rgb8())).save(p), "other"),
    ("palette.bmp", lambda p: Image.fromarray(_rgb8()).quantize(16).save(p), "other"),
]


def _read_without_imagecodecs(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> fsimlib.LoadedImage:
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "imagecodecs", None)  # import fails
        return fsimlib.read_image(path)


def _assert_identical(got: fsimlib.LoadedImage, want: fsimlib.LoadedImage) -> None:
    assert got.array.dtype == want.array.dtype
    assert got.array.shape == want.array.shape
    assert got.data_range == want.data_range
    np.testing.assert_array_equal(got.array, want.array)


@pytest.mark.parametrize(
    ("name", "write", "reader"), FILES, ids=[name for name, *_ in FILES]
)
def test_every_decoder_gives_todays_array(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    write: Callable[[Path], object],
    reader: str,
) -> None:
    pytest.importorskip("imagecodecs")
    pytest.importorskip("fsimlib._cpng")
    path = tmp_path / name
    write(path)
    used: list[str] = []
    plain, bmp, codec = _io.read_plain_png, _io.read_plain_bmp, _io._decode_png_codec

    def plain_spy(
        file: Path,
        check: Callable[[int, int], None],
        *,
        pillow_opens: Callable[[Path], bool],
    ) -> NDArray[np.generic] | None:
        decoded = plain(file, check, pillow_opens=pillow_opens)
        if decoded is not None:
            used.append("plain")
        return decoded

    def codec_spy(file: Path) -> NDArray[np.generic] | None:
        decoded = codec(file)
        if decoded is not None:
            used.append("libpng")
        return decoded

    def bmp_spy(
        file: Path, check: Callable[[int, int], None]
    ) -> NDArray[np.generic] | None:
        decoded = bmp(file, check)
        if decoded is not None:
            used.append("bmp")
        return decoded

    monkeypatch.setattr(_io, "read_plain_png", plain_spy)
    monkeypatch.setattr(_io, "read_plain_bmp", bmp_spy)
    monkeypatch.setattr(_io, "_decode_png_codec", codec_spy)
    got = fsimlib.read_image(path)
    assert used == ([] if reader == "other" else [reader]), name
    _assert_identical(got, _read_without_imagecodecs(path, monkeypatch))


@pytest.mark.parametrize("path", CORPUS_IMAGES, ids=lambda path: path.name)
def test_corpus_images_read_the_same_by_every_decoder(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("imagecodecs")
    with Image.open(path) as image:
        pillow = np.asarray(image)
    got = fsimlib.read_image(path)
    _assert_identical(got, _read_without_imagecodecs(path, monkeypatch))
    np.testing.assert_array_equal(got.array, pillow)


@pytest.mark.parametrize("keep", [60, 200, -30])
def test_broken_plain_png_is_a_value_error_on_every_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep: int
) -> None:
    whole = tmp_path / "whole.png"
    Image.fromarray(_rgb8()).save(whole)
    cut = tmp_path / "cut.png"
    cut.write_bytes(whole.read_bytes()[:keep])
    with pytest.raises(ValueError, match=r"cut\.png: not a readable image"):
        fsimlib.read_image(cut)
    with pytest.raises(ValueError, match=r"cut\.png: not a readable image"):
        _read_without_imagecodecs(cut, monkeypatch)


@pytest.mark.parametrize("cut", [10, 13, 20])
def test_png_that_libpng_refuses_reads_as_it_always_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut: int
) -> None:
    # The image data is whole; only the end (IEND, then IDAT's checksum)
    # is cut off.  libpng refuses a cut checksum, Pillow does not: the
    # file must read as it does without imagecodecs.
    image = _rgb8()
    whole = tmp_path / "whole.png"
    Image.fromarray(image).save(whole)
    path = tmp_path / "tail.png"
    path.write_bytes(whole.read_bytes()[:-cut])
    got = fsimlib.read_image(path)
    _assert_identical(got, _read_without_imagecodecs(path, monkeypatch))
    np.testing.assert_array_equal(got.array, image)
