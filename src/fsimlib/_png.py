"""Plain PNG files decoded fast: libdeflate, then compiled unfiltering.

The PNGs of quality databases are plain: 8- or 16-bit grey or RGB (with or
without alpha), not interlaced, no palette, no transparency key.  For such
a file :func:`read_plain_png` checks every chunk (order, lengths, CRCs),
inflates the image data with libdeflate (through imagecodecs; it checks the
zlib checksum) and undoes the row filters with ``fsimlib._cpng``.  That is
the whole of decoding a plain PNG, so the bytes are those libpng gives;
libpng inflates with zlib, about 2.5x slower than libdeflate, and inflating
was most of a 512 x 384 image's decoding (``docs/performance.rst``).

Any other file, and any file that is not strictly valid (a bad CRC or zlib
checksum, image data of the wrong length, a chunk out of order, data after
the end), gives None without raising: :func:`fsimlib.read_image` then
reads it through libpng or Pillow, which read it, or refuse it, as they
always did.  None too when imagecodecs was built without libdeflate or
``fsimlib._cpng`` was not compiled.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._codecs import imagecodecs_with

__all__ = ["SIGNATURE", "read_plain_png"]

#: The eight bytes every PNG file starts with.
SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Samples per pixel of the colour types taken: grey, RGB, grey+alpha, RGBA.
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}

#: libpng's default limit on either side of an image (PNG_USER_WIDTH_MAX and
#: PNG_USER_HEIGHT_MAX); a larger image is left to the other readers, as
#: libpng refuses it.
_LIBPNG_SIDE_LIMIT = 1_000_000

#: The most bytes one byte of deflate data inflates to (a run of 258 bytes
#: costs at least two bits), with room for the zlib header and checksum:
#: image data claiming more is cut short, and is not inflated.
_MAX_INFLATE_RATIO = 1032

_CHUNK_HEAD = struct.Struct(">I4s")

#: ``fsimlib._cpng.unfilter(filtered, bytes_per_pixel, out)``.
Unfilter = Callable[[bytes, int, NDArray[np.uint8]], None]


class _Header(NamedTuple):
    """What a plain PNG's IHDR says."""

    width: int
    height: int
    depth: int
    colour: int


_IHDR = struct.Struct(">IIBBBBB")


class _NotPlainError(Exception):
    """The file is not one this reader takes; the other readers decide."""


def read_plain_png(
    file: Path,
    check_size: Callable[[int, int], None],
    *,
    pillow_opens: Callable[[Path], bool],
) -> NDArray[np.uint8] | NDArray[np.uint16] | None:
    """Decode ``file`` if it is a plain PNG; None if it is anything else.

    Returns ``rows x cols`` (grey) or ``rows x cols x channels`` samples,
    uint8 or native-endian uint16, as libpng gives them.  ``check_size``
    is called with the header's width and height before anything is
    inflated; what it raises (an image too big) is raised.

    Ancillary chunks are skipped, but :func:`fsimlib.read_image` has always
    opened every file with Pillow first, and Pillow refuses some malformed
    ones before the image data (a truncated pHYs, an iCCP profile
    compressed by an unknown method, APNG frame chunks out of order):
    when any ancillary chunk comes before the image data,
    ``pillow_opens(file)`` must be true too, so that such a file fails as
    it did.  Files of the usual encoders (Pillow's, by default) have none
    there, and are not opened twice.
    """
    codecs = imagecodecs_with("DEFLATE")
    unfilter = _unfilter()
    if codecs is None or unfilter is None:
        return None
    # The signature, then the whole file in one unbuffered read: reading
    # "the rest" through a buffer, or joining it to the head, costs a copy
    # into freshly mapped memory (0.3 ms for a 0.6 MB file).
    with file.open("rb", buffering=0) as handle:
        if handle.read(len(SIGNATURE)) != SIGNATURE:
            return None
        data = handle.readall()
    try:
        crc32 = getattr(codecs, "deflate_crc32", zlib.crc32)
        header, idat, ancillary_first = _image_chunks(memoryview(data), crc32)
        check_size(header.width, header.height)
        if ancillary_first and not pillow_opens(file):
            return None
        return _decode(idat, header, codecs, unfilter)
    except _NotPlainError:
        return None


def _unfilter() -> Unfilter | None:
    """Return the compiled unfiltering, if ``fsimlib._cpng`` was built."""
    try:
        from fsimlib._cpng import unfilter
    except ImportError:
        return None
    return unfilter


def _image_chunks(
    data: memoryview,
    crc32: Any,  # noqa: ANN401
) -> tuple[_Header, bytes, bool]:
    """Return the header and the joined image data of a plain PNG's chunks.

    And whether an ancillary chunk comes before the image data.

    ``data`` is the file after its signature.  Raises _NotPlainError unless the
    chunks are IHDR first, ancillary chunks anywhere, one run of IDAT,
    IEND last and nothing after it, each with a correct CRC.  The one
    ancillary chunk that changes the samples read, a colour key (tRNS,
    which libpng turns into alpha), is left to the other readers.
    """
    position = 0
    header: _Header | None = None
    idat: list[memoryview] = []
    idat_ended = False
    ancillary_first = False
    while True:
        if position + 12 > len(data):
            raise _NotPlainError
        length, kind = _CHUNK_HEAD.unpack_from(data, position)
        end = position + 8 + length
        if length > 0x7FFFFFFF or end + 4 > len(data) or not kind.isalpha():
            raise _NotPlainError
        body = data[position + 8 : end]
        (stored,) = struct.unpack_from(">I", data, end)
        if crc32(data[position + 4 : end]) != stored:
            raise _NotPlainError
        position = end + 4
        if header is None:
            if kind != b"IHDR":
                raise _NotPlainError
            header = _plain_header(body)
        elif kind == b"IDAT":
            if idat_ended:
                raise _NotPlainError
            idat.append(body)
        elif kind == b"IEND":
            if position != len(data) or not idat:
                raise _NotPlainError
            return header, b"".join(idat), ancillary_first
        elif kind[0] & 0x20 and kind != b"tRNS":  # ancillary: skipped
            idat_ended = bool(idat)
            ancillary_first = ancillary_first or not idat
        else:  # PLTE, a colour key, a second IHDR, an unknown critical chunk
            raise _NotPlainError


def _plain_header(body: memoryview) -> _Header:
    """Return the fields of a plain image's IHDR chunk."""
    if len(body) != _IHDR.size:
        raise _NotPlainError
    width, height, depth, colour, compression, filtering, interlace = _IHDR.unpack(body)
    if not (
        0 < width <= _LIBPNG_SIDE_LIMIT
        and 0 < height <= _LIBPNG_SIDE_LIMIT
        and depth in (8, 16)
        and colour in _CHANNELS
        and compression == filtering == interlace == 0
    ):
        raise _NotPlainError
    return _Header(width, height, depth, colour)


def _decode(
    idat: bytes,
    header: _Header,
    codecs: Any,  # noqa: ANN401
    unfilter: Unfilter,
) -> NDArray[np.uint8] | NDArray[np.uint16]:
    width, height, depth, colour = header
    channels = _CHANNELS[colour]
    pixel_bytes = channels * depth // 8
    row_bytes = width * pixel_bytes
    expected = height * (row_bytes + 1)
    if expected > _MAX_INFLATE_RATIO * len(idat):
        raise _NotPlainError
    try:
        filtered = codecs.deflate_decode(idat, out=expected)
    except codecs.DeflateError:  # bad data or checksum, or too much of it
        raise _NotPlainError from None
    if len(filtered) != expected:
        raise _NotPlainError
    rows = np.empty((height, row_bytes), np.uint8)
    try:
        unfilter(filtered, pixel_bytes, rows)
    except ValueError:  # a row of unknown filter type
        raise _NotPlainError from None
    shape = (height, width) if channels == 1 else (height, width, channels)
    if depth == 8:
        return rows.reshape(shape)
    return rows.view(">u2").reshape(shape).astype(np.uint16)
