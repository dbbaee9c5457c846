"""A PNG writer for tests that controls what encoders choose for us.

Pillow and pypng pick each row's filter themselves; :func:`png_bytes` takes
the filter of every row, and can write the irregular files a reader must
refuse or leave to another reader (extra chunks, a wrong CRC, data after
the end), with correct CRCs unless told otherwise.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: PNG colour type of each number of channels: grey, grey+alpha, RGB, RGBA.
COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}


def chunk(kind: bytes, body: bytes, *, crc: int | None = None) -> bytes:
    """One chunk; its CRC is computed unless ``crc`` is given."""
    value = zlib.crc32(kind + body) if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", value)


def header(
    width: int,
    height: int,
    depth: int,
    colour: int,
    *,
    interlace: int = 0,
) -> bytes:
    """The body of an IHDR chunk."""
    return struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)


def _paeth(
    a: NDArray[np.int32], b: NDArray[np.int32], c: NDArray[np.int32]
) -> NDArray[np.int32]:
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    return np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))


def filter_rows(
    raw: NDArray[np.uint8], pixel_bytes: int, filters: Sequence[int]
) -> bytes:
    """``raw`` (rows x row bytes) filtered row by row, each with its filter byte.

    Filtering predicts from the unfiltered bytes, so every row is one
    vector operation (unfiltering is the sequential direction).
    """
    out = []
    previous = np.zeros(raw.shape[1], np.int32)
    for row, kind in zip(raw.astype(np.int32), filters, strict=True):
        left = np.concatenate([np.zeros(pixel_bytes, np.int32), row[:-pixel_bytes]])
        left = left[: row.size]
        upper_left = np.concatenate(
            [np.zeros(pixel_bytes, np.int32), previous[:-pixel_bytes]]
        )[: row.size]
        predicted = [
            np.zeros_like(row),
            left,
            previous,
            (left + previous) // 2,
            _paeth(left, previous, upper_left),
        ][kind]
        out.append(bytes([kind]) + ((row - predicted) % 256).astype(np.uint8).tobytes())
        previous = row
    return b"".join(out)


def raw_bytes(samples: NDArray[np.integer]) -> tuple[NDArray[np.uint8], int]:
    """Rows of big-endian sample bytes, and the bytes per pixel."""
    rows = samples.shape[0]
    channels = 1 if samples.ndim == 2 else samples.shape[2]
    big = samples.astype(samples.dtype.newbyteorder(">"))
    raw = np.frombuffer(big.tobytes(), np.uint8).reshape(rows, -1)
    return raw, channels * samples.dtype.itemsize


def png_bytes(
    samples: NDArray[np.integer],
    filters: Sequence[int] | None = None,
    *,
    before_idat: Sequence[bytes] = (),
    after_idat: Sequence[bytes] = (),
    idat_parts: int = 1,
    data: bytes | None = None,
    trailer: bytes = b"",
) -> bytes:
    """A PNG of ``samples`` (uint8 or uint16, rows x cols [x channels]).

    ``filters``: each row's filter type (default Paeth everywhere);
    ``before_idat``/``after_idat``: whole chunks put there; ``idat_parts``:
    IDAT chunks the zlib stream is split into; ``data``: the zlib stream
    to store instead of the image's; ``trailer``: bytes after IEND.
    """
    raw, pixel_bytes = raw_bytes(samples)
    rows, cols = samples.shape[:2]
    channels = 1 if samples.ndim == 2 else samples.shape[2]
    kinds = [4] * rows if filters is None else list(filters)
    stream = (
        zlib.compress(filter_rows(raw, pixel_bytes, kinds)) if data is None else data
    )
    step = -(-len(stream) // idat_parts)
    idat = [
        chunk(b"IDAT", stream[start : start + step])
        for start in range(0, max(len(stream), 1), step or 1)
    ]
    ihdr = header(cols, rows, samples.dtype.itemsize * 8, COLOUR_TYPES[channels])
    return b"".join(
        [
            SIGNATURE,
            chunk(b"IHDR", ihdr),
            *before_idat,
            *idat,
            *after_idat,
            chunk(b"IEND", b""),
            trailer,
        ]
    )
