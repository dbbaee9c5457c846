"""Image decoders on the files a data-set run reads: ms per image, exactness.

Each candidate decodes the same file (bytes read from disk included) into
the array :func:`fsimlib.read_image` returns; a candidate whose array
differs in dtype, shape or any value is reported as inexact and not timed
further.  Files: a 512 x 384 RGB image of the KADID-shaped set
(``dataset.py``'s first reference) saved as an 8-bit PNG with Pillow's
defaults (as the data-set benchmark writes them), a 16-bit RGB PNG, a
quality-90 JPEG, an 8-bit RGB TIFF (uncompressed) and a BMP.

Timed in one process, interleaved (every candidate of a format once per
round, the order reversed every other round), the median over rounds;
ratios are against ``fsimlib.read_image``: fsimlib's own reader for plain
PNGs (libdeflate through imagecodecs, then ``fsimlib._cpng``'s
unfiltering), else a Pillow probe of the header, then imagecodecs (libpng)
for other PNGs, imagecodecs for 24-bit uncompressed BMPs, and imageio's
Pillow plugin for the rest.  "libpng" and "Pillow" are ``read_image``
without its own PNG and BMP paths (as before it had them); "no
imagecodecs" is the path it takes without imagecodecs installed (pypng for
16-bit colour PNG), as before imagecodecs was used.

Run on its own: ``python benchmarks/decoders.py [--quick]``.  Candidates
whose library is not installed are left out of the table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import format_table
from dataset import make_references
from numpy.typing import NDArray
from PIL import Image

import fsimlib

Decoder = Callable[[Path], NDArray[Any]]


def _pillow(path: Path) -> NDArray[Any]:
    with Image.open(path) as image:
        return np.asarray(image)


def _imageio(path: Path) -> NDArray[Any]:
    import imageio.v3 as iio

    return np.asarray(iio.imread(path, plugin="pillow", index=0))


def _pyspng(path: Path) -> NDArray[Any]:
    import pyspng

    return np.asarray(pyspng.load(path.read_bytes()))


def _imagecodecs(path: Path) -> NDArray[Any]:
    import imagecodecs

    return np.asarray(imagecodecs.imread(path))


def _cv2(path: Path) -> NDArray[Any]:
    import cv2

    buffer = np.frombuffer(path.read_bytes(), np.uint8)
    array = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if array.ndim == 3:
        array = array[..., ::-1]  # BGR to RGB
    return np.ascontiguousarray(array)


def _simplejpeg(path: Path) -> NDArray[Any]:
    import simplejpeg

    return np.asarray(simplejpeg.decode_jpeg(path.read_bytes(), colorspace="RGB"))


def _tifffile(path: Path) -> NDArray[Any]:
    import tifffile

    return np.asarray(tifffile.imread(path))


def _read_image(path: Path) -> NDArray[Any]:
    return fsimlib.read_image(path).array


def _read_image_without(reader: str) -> Decoder:
    """``read_image`` without one of its own readers (``_io.<reader>``)."""
    from fsimlib import _io

    def decode(path: Path) -> NDArray[Any]:
        saved = getattr(_io, reader)
        setattr(_io, reader, lambda *_, **__: None)
        try:
            return fsimlib.read_image(path).array
        finally:
            setattr(_io, reader, saved)

    return decode


#: ``read_image`` as it was before it had its own plain-PNG reader.
_read_image_libpng = _read_image_without("read_plain_png")
#: ``read_image`` as it was before it had its own plain-BMP path.
_read_image_pillow_bmp = _read_image_without("read_plain_bmp")


def _read_image_without_imagecodecs(path: Path) -> NDArray[Any]:
    """``read_image`` as it was before it used imagecodecs for plain PNGs."""
    saved = sys.modules.get("imagecodecs")
    sys.modules["imagecodecs"] = None  # type: ignore[assignment]
    try:
        return fsimlib.read_image(path).array
    finally:
        if saved is None:
            del sys.modules["imagecodecs"]
        else:
            sys.modules["imagecodecs"] = saved


CANDIDATES: dict[str, dict[str, Decoder]] = {
    "png8": {
        "read_image": _read_image,
        "read_image, libpng": _read_image_libpng,
        "read_image, no imagecodecs": _read_image_without_imagecodecs,
        "pillow": _pillow,
        "imageio": _imageio,
        "pyspng": _pyspng,
        "imagecodecs": _imagecodecs,
        "opencv": _cv2,
    },
    "png16": {
        "read_image": _read_image,
        "read_image, libpng": _read_image_libpng,
        "read_image, no imagecodecs": _read_image_without_imagecodecs,
        "pyspng": _pyspng,
        "imagecodecs": _imagecodecs,
        "opencv": _cv2,
    },
    "jpeg": {
        "read_image": _read_image,
        "pillow": _pillow,
        "simplejpeg": _simplejpeg,
        "imagecodecs": _imagecodecs,
        "opencv": _cv2,
    },
    "tiff8": {
        "read_image": _read_image,
        "pillow": _pillow,
        "tifffile": _tifffile,
        "imagecodecs": _imagecodecs,
    },
    "bmp": {
        "read_image": _read_image,
        "read_image, Pillow": _read_image_pillow_bmp,
        "pillow": _pillow,
        "imagecodecs": _imagecodecs,
        "opencv": _cv2,
    },
}


def write_files(folder: Path, image: NDArray[np.uint8]) -> dict[str, Path]:
    """The test files, one per format, of ``image`` (8-bit RGB)."""
    import png

    files = {name: folder / f"image.{name}" for name in CANDIDATES}
    Image.fromarray(image).save(files["png8"], format="PNG")
    deep = image.astype(np.uint16) * 257
    rows, cols = deep.shape[:2]
    with files["png16"].open("wb") as handle:
        png.Writer(cols, rows, greyscale=False, bitdepth=16).write(
            handle, deep.reshape(rows, cols * 3)
        )
    Image.fromarray(image).save(files["jpeg"], format="JPEG", quality=90)
    Image.fromarray(image).save(files["tiff8"], format="TIFF")
    Image.fromarray(image).save(files["bmp"], format="BMP")
    return files


def _available(decoder: Decoder, path: Path) -> NDArray[Any] | None:
    try:
        return decoder(path)
    except ImportError:
        return None


def run(*, quick: bool = False) -> dict[str, Any]:
    rounds = 5 if quick else 25
    image = make_references(1)[0]
    results: dict[str, Any] = {"rounds": rounds, "formats": {}}
    with tempfile.TemporaryDirectory() as folder:
        files = write_files(Path(folder), image)
        for name, candidates in CANDIDATES.items():
            expected = fsimlib.read_image(files[name]).array
            exact: dict[str, Decoder] = {}
            rows: dict[str, dict[str, Any]] = {}
            for label, decoder in candidates.items():
                array = _available(decoder, files[name])
                if array is None:
                    continue
                same = (
                    array.dtype == expected.dtype
                    and array.shape == expected.shape
                    and bool(np.array_equal(array, expected))
                )
                rows[label] = {"exact": same}
                if same:
                    exact[label] = decoder
            times: dict[str, list[float]] = {label: [] for label in exact}
            labels = list(exact)
            for index in range(rounds):
                for label in labels if index % 2 == 0 else labels[::-1]:
                    start = time.perf_counter()
                    exact[label](files[name])
                    times[label].append(time.perf_counter() - start)
            base = float(np.median(times["read_image"]))
            for label, seconds in times.items():
                median = float(np.median(seconds))
                rows[label]["ms"] = median * 1e3
                rows[label]["ratio_to_read_image"] = median / base
            results["formats"][name] = rows
    return results


def report(result: dict[str, Any]) -> str:
    body = []
    for name, rows in result["formats"].items():
        for label, row in rows.items():
            body.append(
                [
                    name,
                    label,
                    "yes" if row["exact"] else "NO",
                    f"{row['ms']:.2f}" if "ms" in row else "-",
                    f"{row['ratio_to_read_image']:.2f}" if "ms" in row else "-",
                ]
            )
    title = (
        "Decoders, 512x384 RGB, median of "
        f"{result['rounds']} interleaved rounds (exact: same array as read_image)"
    )
    return (
        title
        + "\n"
        + format_table(body, ["format", "decoder", "exact", "ms", "/ read_image"])
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds")
    args = parser.parse_args()
    print(report(run(quick=args.quick)))


if __name__ == "__main__":
    main()
