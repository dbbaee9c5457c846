"""The plain-BMP path (imagecodecs) reads 24-bit BMPs as Pillow does.

``fsimlib._bmp.read_plain_bmp`` hands 24-bit uncompressed BMPs with a
Windows header to imagecodecs.  For each such file it must give Pillow's
array exactly (integers: no tolerance): bottom-up and top-down rows, every
row padding (widths 1 to 9), the three header sizes; and every other BMP,
or one cut short, must read through :func:`fsimlib.read_image` exactly as
without this path: the same array, or the same error.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

import fsimlib
from fsimlib import _bmp, _io

pytest.importorskip("imagecodecs")


def _rgb(rows: int, cols: int, seed: int = 0) -> NDArray[np.uint8]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (rows, cols, 3), dtype=np.uint8)


def bmp_bytes(
    image: NDArray[np.uint8], *, info_size: int = 40, top_down: bool = False
) -> bytes:
    """A 24-bit uncompressed BMP of ``image`` with an info header of that size."""
    rows, cols = image.shape[:2]
    row_bytes = (24 * cols + 31) // 32 * 4
    ordered = image if top_down else image[::-1]
    pixels = b"".join(
        row[:, ::-1].tobytes() + b"\0" * (row_bytes - 3 * cols) for row in ordered
    )
    height = -rows if top_down else rows
    info = struct.pack(
        "<IiiHHIIiiII", info_size, cols, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0
    )
    info += b"\0" * (info_size - len(info))
    offset = 14 + info_size
    head = b"BM" + struct.pack("<IHHI", offset + len(pixels), 0, 0, offset)
    return head + info + pixels


def _pillow(path: Path) -> NDArray[np.generic]:
    with Image.open(path) as image:
        return np.asarray(image)


def _no_limit(width: int, height: int) -> None:
    del width, height


@pytest.mark.parametrize("info_size", [40, 108, 124])
@pytest.mark.parametrize("top_down", [False, True])
@pytest.mark.parametrize("cols", range(1, 10))
def test_every_padding_order_and_header_reads_as_pillow(
    tmp_path: Path, info_size: int, top_down: bool, cols: int
) -> None:
    image = _rgb(5, cols, seed=cols)
    path = tmp_path / "image.bmp"
    path.write_bytes(bmp_bytes(image, info_size=info_size, top_down=top_down))
    got = _bmp.read_plain_bmp(path, _no_limit)
    assert got is not None
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, image)
    np.testing.assert_array_equal(got, _pillow(path))


def test_pillows_own_bmp_is_taken(tmp_path: Path) -> None:
    image = _rgb(384, 512)
    path = tmp_path / "image.bmp"
    Image.fromarray(image).save(path)
    np.testing.assert_array_equal(_bmp.read_plain_bmp(path, _no_limit), image)


def _pillow_save(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="BMP")
    return buffer.getvalue()


def _cut(keep: int) -> Callable[[NDArray[np.uint8]], bytes]:
    return lambda image: bmp_bytes(image)[:keep]


def _with_field(
    offset: int, fmt: str, value: int
) -> Callable[[NDArray[np.uint8]], bytes]:
    def write(image: NDArray[np.uint8]) -> bytes:
        data = bytearray(bmp_bytes(image))
        struct.pack_into(fmt, data, offset, value)
        return bytes(data)

    return write


#: BMPs the path takes (True) or leaves to Pillow.
FILES: list[tuple[str, Callable[[NDArray[np.uint8]], bytes], bool]] = [
    ("plain", bmp_bytes, True),
    ("palette", lambda im: _pillow_save(Image.fromarray(im).quantize(16)), False),
    ("grey", lambda im: _pillow_save(Image.fromarray(im[..., 0])), False),
    (
        "32-bit",
        lambda im: _pillow_save(Image.fromarray(np.dstack([im, im[..., :1]]))),
        False,
    ),
    ("cut in the header", _cut(30), False),
    ("cut in the pixels", _cut(100), False),
    ("last padding cut", _cut(-1), False),
    ("run-length encoded", _with_field(30, "<I", 1), False),
    ("two planes", _with_field(26, "<H", 2), False),
    ("OS/2 header size", _with_field(14, "<I", 12), False),
    ("width zero", _with_field(18, "<i", 0), False),
    ("pixels before the headers", _with_field(10, "<I", 20), False),
    # The file size field is not needed to read the pixels; imagecodecs
    # refuses a size beyond the end, so Pillow reads that one.
    ("file size field small", _with_field(2, "<I", 10), True),
    ("file size field large", _with_field(2, "<I", 10**6), False),
]


def _outcome(path: Path) -> object:
    try:
        image = fsimlib.read_image(path)
    except ValueError as error:
        return ("ValueError", str(error))
    return (image.array.dtype, image.array.shape, image.array.tobytes())


@pytest.mark.parametrize(("name", "write", "taken"), FILES, ids=[f[0] for f in FILES])
def test_a_bmp_reads_as_without_the_path(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    write: Callable[[NDArray[np.uint8]], bytes],
    taken: bool,
) -> None:
    image = _rgb(6, 7, seed=2)
    path = tmp_path / "image.bmp"
    path.write_bytes(write(image))
    assert (_bmp.read_plain_bmp(path, _no_limit) is not None) == taken, name
    with_path = _outcome(path)
    with monkeypatch.context() as patch:
        patch.setattr(_io, "read_plain_bmp", lambda *_: None)
        without = _outcome(path)
    assert with_path == without


def test_header_over_max_pixels_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "big.bmp"
    path.write_bytes(bmp_bytes(_rgb(40, 50)))
    with pytest.raises(ValueError, match=r"big\.bmp: its header declares 50 x 40"):
        fsimlib.read_image(path, max_pixels=1000)


def test_other_files_are_left(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    Image.fromarray(_rgb(4, 4)).save(path)
    assert _bmp.read_plain_bmp(path, _no_limit) is None
