"""The plain-PNG reader (libdeflate + compiled unfiltering) gives libpng's bytes.

``fsimlib._png.read_plain_png`` decodes the PNGs of quality databases
without libpng.  Its output must be identical (dtype, shape, every sample;
integers, so no tolerance) to what libpng gives, through imagecodecs,
for every filter type, every pixel size (1 to 8 bytes), every width
around the four-row SSE2 path's edges and random images; and every file
it does not take, or that is not strictly valid, must read through
:func:`fsimlib.read_image` exactly as it does without this reader: the
same array, or the same error.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from png_writer import chunk, filter_rows, header, png_bytes, raw_bytes

import fsimlib
from fsimlib import _io, _png

imagecodecs = pytest.importorskip("imagecodecs")
cpng = pytest.importorskip("fsimlib._cpng")

#: (channels, sample type) of every plain colour type and depth.
KINDS = [
    (1, np.uint8),
    (2, np.uint8),
    (3, np.uint8),
    (4, np.uint8),
    (1, np.uint16),
    (2, np.uint16),
    (3, np.uint16),
    (4, np.uint16),
]


def _samples(
    rng: np.random.Generator, rows: int, cols: int, channels: int, dtype: type
) -> NDArray[np.integer]:
    shape = (rows, cols) if channels == 1 else (rows, cols, channels)
    return rng.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)


def _no_limit(width: int, height: int) -> None:
    del width, height


def _read_plain(path: Path) -> NDArray[np.generic] | None:
    return _png.read_plain_png(path, _no_limit, pillow_opens=_io._pillow_opens)


def _libpng(path: Path) -> NDArray[np.generic]:
    return np.asarray(imagecodecs.png_decode(path.read_bytes()))


def _assert_same(got: NDArray[np.generic] | None, want: NDArray[np.generic]) -> None:
    assert got is not None, "the plain-PNG reader left a plain PNG"
    assert got.dtype == want.dtype
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("channels", "dtype"), KINDS)
@pytest.mark.parametrize("filter_type", [0, 1, 2, 3, 4])
def test_each_filter_and_pixel_size_gives_libpngs_samples(
    tmp_path: Path, channels: int, dtype: type, filter_type: int
) -> None:
    samples = _samples(np.random.default_rng(filter_type), 9, 13, channels, dtype)
    path = tmp_path / "image.png"
    path.write_bytes(png_bytes(samples, [filter_type] * 9))
    got = _read_plain(path)
    _assert_same(got, _libpng(path))
    _assert_same(got, samples)


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("width", range(1, 12))
def test_four_row_paeth_path_at_every_small_width(
    tmp_path: Path, channels: int, width: int
) -> None:
    # Nine Paeth rows: the first alone, two blocks of four; widths below 5
    # never enter the block's vector loop, 5 runs one step of it.
    samples = _samples(np.random.default_rng(width), 9, width, channels, np.uint8)
    path = tmp_path / "image.png"
    path.write_bytes(png_bytes(samples))
    _assert_same(_read_plain(path), _libpng(path))


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    shape=st.tuples(st.integers(1, 14), st.integers(1, 24)),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_random_images_and_filters_give_libpngs_samples(
    tmp_path_factory: pytest.TempPathFactory,
    kind: tuple[int, type],
    shape: tuple[int, int],
    seed: int,
    data: st.DataObject,
) -> None:
    rows, cols = shape
    # Runs of Paeth rows are likelier than chance, so that four-row blocks
    # start and stop among the other filters.
    filters = data.draw(
        st.lists(
            st.sampled_from([0, 1, 2, 3, 4, 4, 4, 4]), min_size=rows, max_size=rows
        )
    )
    channels, dtype = kind
    samples = _samples(np.random.default_rng(seed), rows, cols, channels, dtype)
    path = tmp_path_factory.mktemp("png") / "image.png"
    path.write_bytes(png_bytes(samples, filters))
    _assert_same(_read_plain(path), samples)


def test_several_idat_chunks_and_ancillary_chunks_are_read(tmp_path: Path) -> None:
    samples = _samples(np.random.default_rng(7), 20, 30, 3, np.uint8)
    path = tmp_path / "image.png"
    path.write_bytes(
        png_bytes(
            samples,
            before_idat=[chunk(b"gAMA", struct.pack(">I", 45455))],
            after_idat=[chunk(b"tEXt", b"Comment\x00made for a test")],
            idat_parts=5,
        )
    )
    _assert_same(_read_plain(path), _libpng(path))


def _good(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples)


def _bad_idat_crc(samples: NDArray[np.integer]) -> bytes:
    whole = bytearray(png_bytes(samples))
    end = whole.index(b"IEND") - 4  # the IDAT chunk's CRC ends here
    whole[end - 1] ^= 0xFF
    return bytes(whole)


def _bad_ancillary_crc(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples, before_idat=[chunk(b"gAMA", b"\0\0\xb1\x8f", crc=1)])


def _bad_adler(samples: NDArray[np.integer]) -> bytes:
    stream = bytearray(zlib.compress(_filtered(samples)))
    stream[-1] ^= 0xFF
    return png_bytes(samples, data=bytes(stream))


def _filtered(samples: NDArray[np.integer]) -> bytes:
    raw, pixel_bytes = raw_bytes(samples)
    return filter_rows(raw, pixel_bytes, [4] * samples.shape[0])


def _short_data(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples, data=zlib.compress(_filtered(samples)[:-7]))


def _long_data(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples, data=zlib.compress(_filtered(samples) + b"\0" * 9))


def _data_after_stream(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples, data=zlib.compress(_filtered(samples)) + b"more")


def _filter_type_five(samples: NDArray[np.integer]) -> bytes:
    filtered = bytearray(_filtered(samples))
    filtered[0] = 5
    return png_bytes(samples, data=zlib.compress(bytes(filtered)))


def _split_idat(samples: NDArray[np.integer]) -> bytes:
    whole = png_bytes(samples, idat_parts=2)
    second = whole.index(b"IDAT", whole.index(b"IDAT") + 4) - 4
    text = chunk(b"tEXt", b"Comment\x00between")
    return whole[:second] + text + whole[second:]


def _unknown_critical(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples, before_idat=[chunk(b"ABCD", b"data")])


def _palette_in_rgb(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples, before_idat=[chunk(b"PLTE", bytes(range(12)))])


def _colour_key(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples, before_idat=[chunk(b"tRNS", b"\0\1\0\2\0\3")])


def _after_end(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples, trailer=b"junk after the end")


def _no_end(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples)[:-12]


def _cut(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples)[:200]


def _interlaced(samples: NDArray[np.integer]) -> bytes:
    whole = png_bytes(samples)
    rows, cols = samples.shape[:2]
    old = chunk(b"IHDR", header(cols, rows, 8, 2))
    return whole.replace(old, chunk(b"IHDR", header(cols, rows, 8, 2, interlace=1)))


def _bad_header_length(samples: NDArray[np.integer]) -> bytes:
    whole = png_bytes(samples)
    rows, cols = samples.shape[:2]
    old = chunk(b"IHDR", header(cols, rows, 8, 2))
    return whole.replace(old, chunk(b"IHDR", header(cols, rows, 8, 2) + b"\0"))


def _bad_chunk_name(samples: NDArray[np.integer]) -> bytes:
    return png_bytes(samples, before_idat=[chunk(b"gA1A", b"\0\0\xb1\x8f")])


#: Files the plain reader takes (True) or leaves to the other readers.
FILES: list[tuple[str, Callable[[NDArray[np.integer]], bytes], bool]] = [
    ("good", _good, True),
    ("data after the zlib stream", _data_after_stream, True),
    ("bad IDAT CRC", _bad_idat_crc, False),
    ("bad ancillary CRC", _bad_ancillary_crc, False),
    ("bad zlib checksum", _bad_adler, False),
    ("image data short", _short_data, False),
    ("image data long", _long_data, False),
    ("filter type 5", _filter_type_five, False),
    ("IDAT split by a chunk", _split_idat, False),
    ("unknown critical chunk", _unknown_critical, False),
    ("palette in RGB", _palette_in_rgb, False),
    ("colour key", _colour_key, False),
    ("data after IEND", _after_end, False),
    ("no IEND", _no_end, False),
    ("cut short", _cut, False),
    ("interlaced", _interlaced, False),
    ("IHDR of 14 bytes", _bad_header_length, False),
    ("chunk name with a digit", _bad_chunk_name, False),
]


def _outcome(read: Callable[[Path], fsimlib.LoadedImage], path: Path) -> object:
    try:
        image = read(path)
    except ValueError as error:
        return ("ValueError", str(error))
    return (image.array.dtype, image.array.shape, image.array.tobytes())


@pytest.mark.parametrize(
    ("name", "write", "taken"), FILES, ids=[name for name, *_ in FILES]
)
def test_a_file_reads_as_without_the_plain_reader(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    write: Callable[[NDArray[np.integer]], bytes],
    taken: bool,
) -> None:
    samples = _samples(np.random.default_rng(3), 16, 24, 3, np.uint8)
    path = tmp_path / "image.png"
    path.write_bytes(write(samples))
    plain = _read_plain(path)
    assert (plain is not None) == taken, name
    with_reader = _outcome(fsimlib.read_image, path)
    with monkeypatch.context() as patch:
        patch.setattr(_io, "read_plain_png", lambda *_, **__: None)
        without = _outcome(fsimlib.read_image, path)
    assert with_reader == without
    if taken:
        np.testing.assert_array_equal(plain, samples)


def test_header_over_max_pixels_is_refused_before_inflating(tmp_path: Path) -> None:
    # A 50000 x 50000 header over a few bytes of data: refused by the size
    # check, with read_image's message, not by inflating.
    path = tmp_path / "bomb.png"
    samples = np.zeros((2, 2, 3), np.uint8)
    whole = png_bytes(samples)
    old = chunk(b"IHDR", header(2, 2, 8, 2))
    path.write_bytes(whole.replace(old, chunk(b"IHDR", header(50000, 50000, 8, 2))))
    checks: list[tuple[int, int]] = []

    def check(width: int, height: int) -> None:
        checks.append((width, height))
        _io._check_size(width, height, max_pixels=1000)

    with pytest.raises(_io.TooManyPixelsError, match="50000 x 50000"):
        _png.read_plain_png(path, check, pillow_opens=_io._pillow_opens)
    assert checks == [(50000, 50000)]
    with pytest.raises(ValueError, match=r"bomb\.png: its header declares 50000 x"):
        fsimlib.read_image(path, max_pixels=1000)


def test_data_too_short_for_the_header_is_left_unread(tmp_path: Path) -> None:
    # Without a size limit a forged header must not make the reader
    # allocate what no deflate stream of that length can fill.
    path = tmp_path / "forged.png"
    whole = png_bytes(np.zeros((2, 2, 3), np.uint8))
    old = chunk(b"IHDR", header(2, 2, 8, 2))
    path.write_bytes(whole.replace(old, chunk(b"IHDR", header(90000, 90000, 8, 2))))
    assert _read_plain(path) is None


def test_side_over_libpngs_limit_is_left_to_the_other_readers(tmp_path: Path) -> None:
    path = tmp_path / "wide.png"
    samples = np.zeros((1, 1_000_001), np.uint8)
    path.write_bytes(png_bytes(samples, [0]))
    assert _read_plain(path) is None


def test_other_files_are_left_without_reading_them_whole(tmp_path: Path) -> None:
    path = tmp_path / "image.bmp"
    path.write_bytes(b"BM" + b"\0" * 100)
    assert _read_plain(path) is None


def test_without_imagecodecs_or_the_compiled_module_nothing_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = _samples(np.random.default_rng(5), 8, 8, 3, np.uint8)
    path = tmp_path / "image.png"
    path.write_bytes(png_bytes(samples))
    for module in ("imagecodecs", "fsimlib._cpng"):
        with monkeypatch.context() as patch:
            patch.setitem(sys.modules, module, None)
            assert _read_plain(path) is None, module
            np.testing.assert_array_equal(fsimlib.read_image(path).array, samples)


def test_read_image_takes_the_plain_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = _samples(np.random.default_rng(6), 8, 8, 3, np.uint8)
    path = tmp_path / "image.png"
    path.write_bytes(png_bytes(samples))
    calls: list[Path] = []
    real = _io.read_plain_png

    def spy(
        file: Path,
        check: Callable[[int, int], None],
        *,
        pillow_opens: Callable[[Path], bool],
    ) -> object:
        calls.append(file)
        return real(file, check, pillow_opens=pillow_opens)

    monkeypatch.setattr(_io, "read_plain_png", spy)
    monkeypatch.setattr(_io, "_decode_png_codec", lambda *_: pytest.fail("libpng"))
    np.testing.assert_array_equal(fsimlib.read_image(path).array, samples)
    assert calls == [path]


class TestUnfilterArguments:
    """The compiled function refuses what it cannot unfilter, by name."""

    def test_wrong_length(self) -> None:
        with pytest.raises(ValueError, match="filtered holds 5 bytes"):
            cpng.unfilter(b"\0" * 5, 1, np.empty((2, 2), np.uint8))

    def test_bad_pixel_size(self) -> None:
        with pytest.raises(ValueError, match="bytes_per_pixel must be between 1 and 8"):
            cpng.unfilter(b"\0" * 6, 9, np.empty((2, 2), np.uint8))

    def test_bad_filter_type_names_the_row(self) -> None:
        with pytest.raises(ValueError, match="row 1 has filter type 7"):
            cpng.unfilter(b"\0\0\0\x07\0\0", 1, np.empty((2, 2), np.uint8))

    def test_out_must_be_writable_uint8(self) -> None:
        with pytest.raises(TypeError, match="2-D uint8"):
            cpng.unfilter(b"\0" * 6, 1, np.empty((2, 2), np.uint16))
        read_only = np.empty((2, 2), np.uint8)
        read_only.flags.writeable = False
        with pytest.raises(TypeError, match="writable"):
            cpng.unfilter(b"\0" * 6, 1, read_only)


def _frame_control(sequence: int, width: int, height: int) -> bytes:
    """The body of an APNG frame-control (fcTL) chunk at offset (0, 0)."""
    return struct.pack(">IIIIIHHBB", sequence, width, height, 0, 0, 1, 1, 0, 0)


#: Ancillary chunks, before the image data, that Pillow refuses when it
#: opens the file: without the plain reader such a file is not a readable
#: image, so the plain reader must not read it either.
CHUNKS_PILLOW_REFUSES = [
    ("iCCP compressed by method 1", chunk(b"iCCP", b"name\0\1" + zlib.compress(b"x"))),
    (
        "iCCP inflating past 1 MB",
        chunk(b"iCCP", b"name\0\0" + zlib.compress(bytes(2 * 1024 * 1024))),
    ),
    ("zTXt compressed by method 1", chunk(b"zTXt", b"key\0\1text")),
    ("empty gAMA", chunk(b"gAMA", b"")),
    ("empty sRGB", chunk(b"sRGB", b"")),
    ("pHYs of 2 bytes", chunk(b"pHYs", b"\0\0")),
    ("cHRM of 3 bytes", chunk(b"cHRM", b"\0\0\0")),
    ("acTL of 1 byte", chunk(b"acTL", b"\0")),
    ("fcTL of 4 bytes", chunk(b"fcTL", b"\0" * 4)),
    ("fcTL numbered 5 first", chunk(b"fcTL", _frame_control(5, 24, 16))),
    ("fcTL frame outside the image", chunk(b"fcTL", _frame_control(0, 99, 99))),
    ("fdAT before the image data", chunk(b"fdAT", b"\0\0\0\0data")),
]


@pytest.mark.parametrize(
    "extra",
    [body for _, body in CHUNKS_PILLOW_REFUSES],
    ids=[name for name, _ in CHUNKS_PILLOW_REFUSES],
)
def test_a_chunk_pillow_refuses_reads_as_without_the_plain_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: bytes
) -> None:
    # The plain reader skips these ancillary chunks and decodes the image;
    # read_image without it probes the file with Pillow first, which raises
    # (SyntaxError, ValueError or struct.error: "not a readable image").
    samples = _samples(np.random.default_rng(8), 16, 24, 3, np.uint8)
    path = tmp_path / "image.png"
    path.write_bytes(png_bytes(samples, before_idat=[extra]))
    with_reader = _outcome(fsimlib.read_image, path)
    with monkeypatch.context() as patch:
        patch.setattr(_io, "read_plain_png", lambda *_, **__: None)
        without = _outcome(fsimlib.read_image, path)
    assert without[0] == "ValueError"
    assert with_reader == without


def test_a_chunk_with_the_reserved_bit_reads_as_without_the_plain_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "abcd": an ancillary chunk whose third letter is lower case (the
    # reserved bit set).  The plain reader skips it; libpng refuses the file
    # and imagecodecs reports that with an undecodable message, so
    # png_decode raises UnicodeDecodeError, not PngError, and read_image
    # without the plain reader fails instead of trying Pillow, which reads
    # the file.  Both ways must give the samples.
    samples = _samples(np.random.default_rng(9), 16, 24, 3, np.uint8)
    path = tmp_path / "image.png"
    path.write_bytes(png_bytes(samples, before_idat=[chunk(b"abcd", b"x")]))
    with_reader = _outcome(fsimlib.read_image, path)
    with monkeypatch.context() as patch:
        patch.setattr(_io, "read_plain_png", lambda *_, **__: None)
        without = _outcome(fsimlib.read_image, path)
    assert with_reader == without
    np.testing.assert_array_equal(fsimlib.read_image(path).array, samples)


def test_corrupt_sixteen_bit_colour_png_is_a_value_error(tmp_path: Path) -> None:
    # Too little image data for the header: libpng refuses it, then pypng
    # (the 16-bit colour reader behind it) raised its own FormatError,
    # which is not a ValueError.
    samples = _samples(np.random.default_rng(10), 64, 64, 4, np.uint16)
    path = tmp_path / "short.png"
    path.write_bytes(png_bytes(samples, data=zlib.compress(bytes(1000))))
    assert _read_plain(path) is None
    with pytest.raises(ValueError, match=r"short\.png: not a readable image"):
        fsimlib.read_image(path)


def test_chunk_pillow_cannot_unpack_is_a_value_error(tmp_path: Path) -> None:
    # A cHRM chunk of 3 bytes: Pillow's probe lets struct.error through.
    samples = _samples(np.random.default_rng(11), 8, 8, 3, np.uint8)
    path = tmp_path / "chrm.png"
    path.write_bytes(png_bytes(samples, before_idat=[chunk(b"cHRM", b"\0\0\0")]))
    with pytest.raises(ValueError, match=r"chrm\.png: not a readable image"):
        fsimlib.read_image(path)
