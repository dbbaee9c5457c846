"""Image files in, integer arrays and the data range of their bit depth out.

The plain PNGs data sets are made of (8- or 16-bit grey, grey+alpha, RGB,
RGBA; not interlaced, no palette, no transparency chunk) are decoded by
``_png.py``: libdeflate, then compiled unfiltering, about 2.5x faster than
libpng and 3.8x faster than Pillow (``benchmarks/decoders.py``); 24-bit
uncompressed BMPs (TID2013's, LIVE's) by imagecodecs, through ``_bmp.py``,
about 2x faster than Pillow.  For every other file Pillow reads the header
first (format, mode, size); other PNGs (interlaced, say) are then decoded
by imagecodecs (libpng), at full bit depth.  Everything else goes through
Pillow (palettes expanded as for Pillow images passed in, see
``_pil.py``) and tifffile for deep TIFFs, except 16-bit colour PNGs,
which Pillow silently truncates to 8 bits: without imagecodecs, those are
decoded with pypng.  Every path gives the same array for the same file.
"""

from __future__ import annotations

import functools
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._bmp import read_plain_bmp
from ._png import read_plain_png

#: The data range of each sample type a file can hold.
BIT_DEPTH_RANGES = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}

#: Default largest image, in pixels, :func:`read_image` decodes: 2**28, a
#: 16384 x 16384 image (768 MiB as 8-bit RGB).  Larger than any camera or
#: quality database image, small enough that a forged header (a 140-byte
#: PNG claiming 50000 x 50000) cannot exhaust memory.
DEFAULT_MAX_PIXELS = 2**28


class LoadedImage(NamedTuple):
    """An image read from a file, as FSIM takes it.

    Attributes
    ----------
    array : ndarray of uint8 or uint16
        ``rows x cols`` (greyscale) or ``rows x cols x 3`` (RGB).
    data_range : float
        The range of the file's bit depth: 255.0 for 8-bit (and bilevel)
        files, 65535.0 for 16-bit files.

    Examples
    --------
    >>> import numpy as np
    >>> from fsimlib import LoadedImage
    >>> image, data_range = LoadedImage(np.zeros((4, 4), np.uint8), 255.0)
    >>> data_range
    255.0
    """

    array: NDArray[np.uint8] | NDArray[np.uint16]
    data_range: float


def read_image(
    path: str | os.PathLike[str], /, *, max_pixels: int | None = DEFAULT_MAX_PIXELS
) -> LoadedImage:
    """Read an image file into an array and the data range of its bit depth.

    PNG, JPEG, TIFF, BMP and the other formats Pillow reads are supported,
    8- or 16-bit, greyscale or RGB.  Files are converted as FSIM needs:

    * palette images are expanded to RGB (their palette entries are 8-bit);
    * bilevel (1-bit) images become uint8 with values 0 and 255 (not 0
      and 1 as GNU Octave's ``imread`` returns them), data range 255;
    * 2- and 4-bit greyscale PNGs are scaled to 8 bits by Pillow;
    * an alpha channel is dropped if every pixel is fully opaque;
    * of a multi-frame file (animated GIF, multi-page TIFF) the first
      frame is read.

    The data range comes from the sample type the file stores (8 or 16
    bits), not from the values in it nor from a PNG's significant-bits
    chunk.  EXIF orientation is not applied (as in MATLAB's ``imread``).

    The image size is read from the file's header and checked against
    ``max_pixels`` before anything is decoded.  That limit replaces
    Pillow's own decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``,
    about 89 million pixels, with an error above twice that), which is
    neither applied nor changed for other code.

    Parameters
    ----------
    path : str or os.PathLike
        The image file.
    max_pixels : int or None, optional
        Largest ``rows * cols`` to decode; default ``2**28`` (a 16384 x
        16384 image).  ``None`` lifts the limit: only for trusted files.

    Returns
    -------
    LoadedImage
        ``(array, data_range)``: a uint8 or uint16 array, 2-D or
        ``rows x cols x 3``, and 255.0 or 65535.0.

    Raises
    ------
    TypeError
        If ``path`` is not a str or path, or ``max_pixels`` not an int or
        None.
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not a readable image (corrupt, truncated or of an
        unknown format), has partly transparent pixels, or holds samples
        other than 8- or 16-bit integers (e.g. floating-point TIFF) or
        channels other than grey, RGB and alpha (e.g. CMYK); if its header
        declares more than ``max_pixels`` pixels; or if ``max_pixels`` is
        below 1.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import imageio.v3 as iio
    >>> import fsimlib
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = Path(folder.name) / "ramp.png"
    >>> ramp = np.arange(0, 65536, 257, dtype=np.uint16).reshape(16, 16)
    >>> iio.imwrite(path, ramp)
    >>> image, data_range = fsimlib.read_image(path)
    >>> image.dtype, image.shape, data_range
    (dtype('uint16'), (16, 16), 65535.0)
    >>> folder.cleanup()
    """
    given: object = path
    if not isinstance(given, (str, os.PathLike)):
        msg = f"path must be a str or os.PathLike, got {type(given).__name__}"
        raise TypeError(msg)
    limit = _check_max_pixels(max_pixels)
    file = Path(path)
    if not file.is_file():
        msg = f"no such image file: {file}"
        raise FileNotFoundError(msg)
    try:
        array = _decode(file, limit)
    except TooManyPixelsError as error:
        msg = f"{file}: {error}"
        raise ValueError(msg) from None
    except (
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        struct.error,
        zlib.error,
    ) as error:
        # Pillow signals corrupt data with OSError ("image file is
        # truncated"), SyntaxError (broken PNG chunks) or ValueError, and
        # lets struct.error (a chunk too short, e.g. cHRM) and zlib.error
        # (a compressed text chunk that does not inflate) through; an
        # unknown format with UnidentifiedImageError, an OSError.
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        msg = f"{file}: not a readable image ({reason})"
        raise ValueError(msg) from error
    array = normalise_samples(array, str(file))
    return LoadedImage(array, BIT_DEPTH_RANGES[array.dtype])


def _check_max_pixels(max_pixels: object) -> int | None:
    """``max_pixels`` if it is None or an int of at least 1."""
    if max_pixels is None:
        return None
    if isinstance(max_pixels, bool) or not isinstance(max_pixels, (int, np.integer)):
        msg = (
            "max_pixels must be an int or None, got "
            f"{type(max_pixels).__name__} {max_pixels!r}"
        )
        raise TypeError(msg)
    if max_pixels < 1:
        msg = f"max_pixels must be at least 1 (or None for no limit), got {max_pixels}"
        raise ValueError(msg)
    return int(max_pixels)


class TooManyPixelsError(ValueError):
    """An image file declares more pixels than ``max_pixels`` allows."""


def _check_size(width: int, height: int, max_pixels: int | None) -> None:
    """Raise TooManyPixelsError if a header's size is above ``max_pixels``."""
    pixels = width * height
    if max_pixels is not None and pixels > max_pixels:
        msg = (
            f"its header declares {width} x {height} = {pixels} pixels, more "
            f"than max_pixels={max_pixels}; pass a larger max_pixels (or "
            "None) if the file is trusted"
        )
        raise TooManyPixelsError(msg)


#: Serialises the calls that lift Pillow's process-wide pixel limit.
_PILLOW_LIMIT_LOCK = threading.Lock()


@contextmanager
def _pillow_limit_lifted(pixels: int | None) -> Iterator[None]:
    """Let Pillow open an image of ``pixels`` pixels (None: unknown yet).

    Pillow refuses images above twice its module-level ``MAX_IMAGE_PIXELS``
    and warns above it; :func:`read_image` applies its own limit instead.
    Only when Pillow would object is its limit lifted, under a lock, and
    restored at once.
    """
    from PIL import Image

    pillow_limit = Image.MAX_IMAGE_PIXELS
    if pixels is not None and (pillow_limit is None or pixels <= pillow_limit):
        yield
        return
    with _PILLOW_LIMIT_LOCK:
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = pillow_limit


def _decode(file: Path, max_pixels: int | None) -> NDArray[np.generic]:
    """Decode ``file`` with the reader that keeps its full bit depth.

    The header is read first; a size above ``max_pixels`` is refused
    before any pixel is decoded.  Plain PNGs and BMPs are decoded by
    ``_png.py`` and ``_bmp.py`` when they can; every other file, and one
    they leave, is probed by Pillow and decoded by the reader for its kind.
    """
    from PIL import Image

    check = functools.partial(_check_size, max_pixels=max_pixels)
    plain = read_plain_png(file, check, pillow_opens=_pillow_opens)
    if plain is None:
        plain = read_plain_bmp(file, check)
    if plain is not None:
        return plain
    with _pillow_limit_lifted(None), Image.open(file) as probe:
        image_format = probe.format
        mode = probe.mode
        rawmode = _rawmode(probe)
        width, height = probe.size
        transparency = "transparency" in probe.info
    _check_size(width, height, max_pixels)
    pixels = width * height
    if image_format == "PNG" and rawmode in _PLAIN_PNG_RAWMODES and not transparency:
        decoded = _decode_png_codec(file)
        if decoded is not None:
            return decoded
    if image_format == "PNG" and mode in {"RGB", "RGBA", "LA"} and "16" in rawmode:
        return _decode_png16(file)
    if image_format == "TIFF":
        with _pillow_limit_lifted(pixels):
            return _decode_tiff(file, mode)
    if mode in {"CMYK", "LAB", "HSV"}:
        msg = f"{mode} colour is not supported; expected greyscale or RGB"
        raise ValueError(msg)
    with _pillow_limit_lifted(pixels):
        return _decode_with_pillow(file)


def _pillow_opens(file: Path) -> bool:
    """Whether Pillow opens ``file`` (reads its header) as :func:`_decode` does."""
    from PIL import Image

    try:
        with _pillow_limit_lifted(None), Image.open(file):
            return True
    except Exception:  # any refusal: _decode then says why, as before
        return False


def _decode_with_pillow(file: Path) -> NDArray[np.generic]:
    """Decode the first frame with Pillow, palettes expanded to colours."""
    from PIL import Image

    from ._pil import pillow_samples

    with Image.open(file) as image:
        return pillow_samples(image)


#: Pillow's raw modes of the PNGs imagecodecs decodes to today's arrays:
#: 8- and 16-bit grey, grey+alpha, RGB and RGBA.  Palette, 1-, 2- and
#: 4-bit PNGs (which Pillow expands or rescales) are not among them.
_PLAIN_PNG_RAWMODES = frozenset(
    {"L", "LA", "RGB", "RGBA", "I;16B", "LA;16B", "RGB;16B", "RGBA;16B"}
)


def _decode_png_codec(file: Path) -> NDArray[np.generic] | None:
    """Decode a plain PNG with imagecodecs; None if it cannot.

    libpng applies neither gamma nor significant bits unless asked, and
    returns native-endian samples at the file's depth: the same array as
    Pillow (8-bit) or pypng (16-bit) give.  The decoding runs without the
    GIL, so files are read on one thread while another scores.

    None when imagecodecs is not installed, and when libpng refuses the
    file: it is stricter than Pillow (a checksum cut off after complete
    image data is an error to it, not to Pillow), so such a file goes the
    other path and reads, or fails, as it always did.
    """
    try:
        import imagecodecs
    except ImportError:
        return None
    try:
        return np.asarray(imagecodecs.png_decode(file.read_bytes()))
    except (imagecodecs.PngError, UnicodeDecodeError):
        # imagecodecs raises UnicodeDecodeError for some of libpng's
        # refusals (a chunk name with the reserved bit set), whose message
        # it cannot decode: a refusal all the same.
        return None


def _rawmode(image: object) -> str:
    """Return the raw sample layout Pillow decodes from, e.g. ``"RGB;16B"``."""
    tiles = getattr(image, "tile", None) or []
    if not tiles:
        return ""
    args = tiles[0].args
    return str(args[0] if isinstance(args, tuple) else args)


def _decode_png16(file: Path) -> NDArray[np.uint16]:
    """Decode a 16-bit colour (or grey + alpha) PNG at full depth with pypng."""
    import png

    try:
        with file.open("rb") as handle:
            width, height, rows, info = png.Reader(file=handle).read()
            data = np.vstack([np.asarray(row, dtype=np.uint16) for row in rows])
    except png.Error as error:  # corrupt: a ValueError like every reader's
        raise ValueError(str(error) or type(error).__name__) from error
    return data.reshape(height, width, int(info["planes"]))


def _decode_tiff(file: Path, mode: str) -> NDArray[np.generic]:
    """Decode a TIFF: tifffile for deep samples, else Pillow (it converts best)."""
    import tifffile

    with tifffile.TiffFile(file) as tiff:
        page = tiff.pages.first
        bits = int(page.bitspersample)
        photometric = page.photometric
        if bits <= 8 or mode in {"P", "1"}:
            # Pillow applies palettes and min-is-white inversion.
            return _decode_with_pillow(file)
        if photometric not in {
            tifffile.PHOTOMETRIC.MINISBLACK,
            tifffile.PHOTOMETRIC.MINISWHITE,
            tifffile.PHOTOMETRIC.RGB,
        }:
            msg = (
                f"TIFF photometric interpretation {photometric.name} is not "
                "supported; expected greyscale or RGB"
            )
            raise ValueError(msg)
        data = np.asarray(page.asarray())
        if data.ndim == 3 and page.axes.startswith("S"):
            data = np.moveaxis(data, 0, -1)
        if photometric == tifffile.PHOTOMETRIC.MINISWHITE and data.dtype == np.uint16:
            data = np.iinfo(np.uint16).max - data
        return data


def normalise_samples(
    array: NDArray[np.generic], source: str
) -> NDArray[np.uint8] | NDArray[np.uint16]:
    """Bring decoded samples to uint8/uint16, grey or RGB, without alpha.

    Bilevel (bool) samples become 0 and 255; an alpha channel is dropped if
    every pixel is fully opaque and refused otherwise.  ``source`` names
    the image in messages (a file, or a Pillow image passed in).
    """
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * np.uint8(255)
    if array.dtype not in BIT_DEPTH_RANGES:
        msg = (
            f"{source}: {array.dtype} samples are not supported; expected an "
            "8- or 16-bit integer image"
        )
        raise ValueError(msg)
    if array.ndim == 3 and array.shape[-1] in {2, 4}:
        alpha = array[..., -1]
        opaque = int(BIT_DEPTH_RANGES[array.dtype])
        transparent = int(np.count_nonzero(alpha != opaque))
        if transparent:
            msg = (
                f"{source}: {transparent} pixels are not fully opaque; FSIM "
                "needs opaque images (flatten the alpha channel first)"
            )
            raise ValueError(msg)
        array = array[..., :-1]
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 2 and not (array.ndim == 3 and array.shape[-1] == 3):
        msg = (
            f"{source}: decoded to shape {array.shape}; expected a greyscale "
            "(rows x cols) or RGB (rows x cols x 3) image"
        )
        raise ValueError(msg)
    return np.ascontiguousarray(array)
