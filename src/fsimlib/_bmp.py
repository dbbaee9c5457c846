"""Plain BMP files decoded by imagecodecs: 24-bit, uncompressed.

TID2013, TID2008 and LIVE ship their images as 24-bit uncompressed BMPs.
For such a file :func:`read_plain_bmp` checks the headers (a Windows
bitmap header of 40, 108 or 124 bytes, one plane, 24 bits, no
compression, pixel data wholly inside the file) and lets imagecodecs
decode it: :func:`fsimlib.read_image` reads a 512 x 384 image in 0.19 ms,
against 0.44 ms as it did before (Pillow's header probe, then Pillow) and
0.36 ms for Pillow alone (``benchmarks/decoders.py``).  The samples are the file's bytes
reordered (BGR to RGB, bottom-up rows to top-down), so every decoder
gives the same array; the tests compare them.

Any other BMP (palette, 16- or 32-bit, bit fields, run-length encoded,
OS/2 headers), and any that imagecodecs refuses, gives None:
:func:`fsimlib.read_image` then reads it with Pillow as before, which
reads it, or fails, as it always did.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ._codecs import imagecodecs_with

__all__ = ["read_plain_bmp"]

#: The Windows bitmap headers taken: BITMAPINFOHEADER, V4, V5.
_INFO_HEADER_SIZES = frozenset({40, 108, 124})

# File header (signature, file size, reserved, pixel offset), then the
# info header's size, width, height, planes, bits per pixel, compression.
_HEADERS = struct.Struct("<2sIIIIiiHHI")


def read_plain_bmp(
    file: Path, check_size: Callable[[int, int], None]
) -> NDArray[np.uint8] | None:
    """Decode ``file`` if it is a 24-bit uncompressed BMP; None otherwise.

    Returns ``rows x cols x 3`` RGB samples.  ``check_size`` is called
    with the header's width and height before anything is decoded; what
    it raises (an image too big) is raised.
    """
    codecs = imagecodecs_with("BMP")
    if codecs is None:
        return None
    # The headers, then the whole file in one unbuffered read from the
    # start: joining the rest to the head would copy it into freshly
    # mapped memory (0.3 ms for a 0.6 MB file).
    with file.open("rb", buffering=0) as handle:
        head = handle.read(_HEADERS.size)
        if len(head) < _HEADERS.size or head[:2] != b"BM":
            return None
        handle.seek(0)
        data = handle.readall()
    (_, _, _, offset, info_size, width, height, planes, bits, compression) = (
        _HEADERS.unpack(head)
    )
    rows = abs(height)
    row_bytes = (24 * width + 31) // 32 * 4
    if (
        info_size not in _INFO_HEADER_SIZES
        or (planes, bits, compression) != (1, 24, 0)
        or width < 1
        or rows < 1
        or offset < 14 + info_size
        or offset + rows * row_bytes > len(data)
    ):
        return None
    check_size(width, rows)
    try:
        decoded = np.asarray(codecs.bmp_decode(data))
    except codecs.BmpError:  # e.g. a file size field that does not match
        return None
    if decoded.shape != (rows, width, 3) or decoded.dtype != np.uint8:
        return None
    return decoded
