"""Make the corpus images of ``tests/data/images`` from their file names.

Every image of the reference corpus is a crop of a picture that scikit-image
ships (``skimage.data``), possibly distorted, and its file name says exactly
how it was made:

``ref_<picture>_<g|c>_<H>x<W>_<row>_<col>.png``
    ``skimage.data.<picture>()[row:row + H, col:col + W]``, never resampled
    (``stereo`` is the left view of ``stereo_motorcycle``).
    ``c`` keeps RGB; ``g`` is the grey picture, or for a colour picture its
    luminance ``0.299 R + 0.587 G + 0.114 B`` (ITU-R BT.601, as FSIM's own
    colour conversion) rounded to the nearest integer.
``flat_g_<H>x<W>_<v>.png``, ``flat_c_<H>x<W>_<r>_<g>_<b>.png``
    A constant image.
``dist_<reference stem>_<distortion>_<parameter>.png``
    The reference image ``ref_<reference stem>.png`` distorted as
    :data:`DISTORTIONS` and :data:`RANDOM_DISTORTIONS` describe; a ``p`` in
    the parameter is a decimal point (``0p6`` is 0.6).  Random distortions draw from
    ``numpy.random.default_rng(zlib.crc32(key))``, where ``key`` is the file
    name without ``dist_`` and ``.png`` and with the parameter as a decimal
    number (``camera_g_256x256_40_150_saltpepper_0.02``): each image has its
    own fixed seed.

Results are rounded to the nearest integer and clipped to 0..255 before
being written as 8-bit PNG (mode L or RGB), except JPEG, which is Pillow's
decoding of Pillow's encoding at the given quality.

Usage (from the repository root)::

    python tests/reference/make_images.py OUT_DIR          # every image
    python tests/reference/make_images.py OUT_DIR --check tests/data/images

``--check`` compares each made image with the one of the same name in the
given folder and exits non-zero on any difference.  The rules here reproduce
every image of the corpus bit for bit (``tests/test_reference_images.py``
checks the copy in ``tests/data``).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage
from skimage import color, data

Array = NDArray[np.float64]

#: The cases table of the corpus copy in the repository.
CASES = Path(__file__).resolve().parent.parent / "data" / "cases.csv"

_REFERENCE = re.compile(
    r"^ref_(?P<picture>.+)_(?P<mode>[gc])_(?P<rows>\d+)x(?P<cols>\d+)"
    r"_(?P<row>\d+)_(?P<col>\d+)$"
)
_FLAT = re.compile(
    r"^flat_(?P<mode>[gc])_(?P<rows>\d+)x(?P<cols>\d+)_(?P<value>[\d_]+)$"
)
_DISTORTED = re.compile(
    r"^dist_(?P<stem>.+)_(?P<distortion>[a-z]+)_(?P<parameter>\d+(?:p\d+)?)$"
)

#: BT.601 luminance weights of R, G and B.
LUMA = (0.299, 0.587, 0.114)


def luminance(rgb: Array) -> Array:
    """BT.601 luminance, summed in the order R, G, B."""
    return LUMA[0] * rgb[..., 0] + LUMA[1] * rgb[..., 1] + LUMA[2] * rgb[..., 2]


def to_uint8(values: Array) -> NDArray[np.uint8]:
    """Round to the nearest integer (halves to even) and clip to 0..255."""
    return np.clip(np.round(values), 0, 255).astype(np.uint8)


def noise(image: Array, sigma: float, rng: np.random.Generator) -> Array:
    """Add white Gaussian noise of standard deviation ``sigma`` grey levels."""
    return image + rng.normal(0.0, sigma, image.shape)


def blur(image: Array, sigma: float) -> Array:
    """Gaussian blur of ``sigma`` pixels in each plane (scipy's defaults)."""
    sigmas = (sigma, sigma, 0.0) if image.ndim == 3 else sigma
    return np.asarray(ndimage.gaussian_filter(image, sigmas))


def jpeg(image: Array, quality: float) -> Array:
    """Encode and decode as JPEG at ``quality`` with Pillow's defaults."""
    buffer = io.BytesIO()
    Image.fromarray(image.astype(np.uint8)).save(
        buffer, format="JPEG", quality=int(quality)
    )
    return np.asarray(Image.open(buffer), dtype=np.float64)


def contrast(image: Array, factor: float) -> Array:
    """Scale the distance of every value from the image's mean by ``factor``."""
    mean = image.mean()
    return mean + factor * (image - mean)


def brightness(image: Array, offset: float) -> Array:
    """Add ``offset`` grey levels."""
    return image + offset


def saltpepper(image: Array, amount: float, rng: np.random.Generator) -> Array:
    """Set a fraction ``amount`` of pixels (all channels) to 255 or 0.

    One uniform draw per pixel: below ``amount / 2`` the pixel becomes 255
    (salt), from there up to ``amount`` it becomes 0 (pepper).
    """
    draw = rng.random(image.shape[:2])
    out = image.copy()
    out[draw < amount / 2] = 255.0
    out[(draw >= amount / 2) & (draw < amount)] = 0.0
    return out


def desaturate(image: Array, keep: float) -> Array:
    """Move each colour towards its luminance, keeping ``keep`` of the chroma."""
    grey = luminance(image)[..., np.newaxis]
    return grey + keep * (image - grey)


def hueshift(image: Array, degrees: float) -> Array:
    """Rotate the hue by ``degrees`` in scikit-image's HSV."""
    hsv = color.rgb2hsv(image.astype(np.uint8))
    hsv[..., 0] = (hsv[..., 0] + degrees / 360.0) % 1.0
    return np.asarray(color.hsv2rgb(hsv)) * 255.0


def shift(image: Array, pixels: float) -> Array:
    """Move the content down and right by ``pixels``, repeating the edge."""
    step = int(pixels)
    pad = ((step, 0), (step, 0)) + ((0, 0),) * (image.ndim - 2)
    return np.pad(image, pad, mode="edge")[: image.shape[0], : image.shape[1]]


def quantize(image: Array, levels: float) -> Array:
    """Round to the nearest of ``levels`` evenly spaced values from 0 to 255."""
    step = 255.0 / (levels - 1)
    return np.round(image / step) * step


#: How each distortion named in a file name is applied to the reference.
DISTORTIONS: dict[str, Callable[[Array, float], Array]] = {
    "blur": blur,
    "jpeg": jpeg,
    "contrast": contrast,
    "brightness": brightness,
    "desaturate": desaturate,
    "hueshift": hueshift,
    "shift": shift,
    "quantize": quantize,
}

#: The random distortions, which also take the image's own generator.
RANDOM_DISTORTIONS: dict[str, Callable[[Array, float, np.random.Generator], Array]] = {
    "noise": noise,
    "saltpepper": saltpepper,
}


#: Pictures whose name is not a ``skimage.data`` function of one image.
SPECIAL_PICTURES: dict[str, Callable[[], NDArray[np.generic]]] = {
    # The left view of the stereo pair.
    "stereo": lambda: np.asarray(data.stereo_motorcycle()[0]),
}


def picture(name: str, mode: str) -> NDArray[np.uint8]:
    """The whole ``skimage.data`` picture, grey (``g``) or RGB (``c``).

    A boolean picture (the horse silhouette) is taken as its file shows it:
    0 where the picture is True (the silhouette), 255 elsewhere.
    """
    load = SPECIAL_PICTURES.get(name) or getattr(data, name)
    whole = np.asarray(load())
    if whole.dtype == np.bool_:
        whole = np.where(whole, 0, 255).astype(np.uint8)
    if mode == "g" and whole.ndim == 3:
        return to_uint8(luminance(whole[..., :3].astype(np.float64)))
    if mode == "c" and whole.ndim == 2:
        msg = f"{name} is a grey picture; no colour crop can be made of it"
        raise ValueError(msg)
    return whole[..., :3] if whole.ndim == 3 else whole


def make(name: str) -> NDArray[np.uint8]:
    """The image a corpus file name describes (without ``.png`` or with it)."""
    stem = name.removesuffix(".png")
    if found := _REFERENCE.match(stem):
        rows, cols = int(found["rows"]), int(found["cols"])
        row, col = int(found["row"]), int(found["col"])
        whole = picture(found["picture"], found["mode"])
        crop = whole[row : row + rows, col : col + cols]
        if crop.shape[:2] != (rows, cols):
            msg = f"{name}: the picture is {whole.shape[:2]}, too small for the crop"
            raise ValueError(msg)
        return crop
    if found := _FLAT.match(stem):
        values = [int(v) for v in found["value"].split("_")]
        shape = (int(found["rows"]), int(found["cols"]))
        if found["mode"] == "c":
            return np.broadcast_to(np.array(values, np.uint8), (*shape, 3)).copy()
        return np.full(shape, values[0], np.uint8)
    if found := _DISTORTED.match(stem):
        reference = make(f"ref_{found['stem']}").astype(np.float64)
        parameter = float(found["parameter"].replace("p", "."))
        distortion = found["distortion"]
        if distortion in RANDOM_DISTORTIONS:
            key = f"{found['stem']}_{distortion}_{parameter:g}"
            rng = np.random.default_rng(zlib.crc32(key.encode()))
            return to_uint8(RANDOM_DISTORTIONS[distortion](reference, parameter, rng))
        if distortion in DISTORTIONS:
            return to_uint8(DISTORTIONS[distortion](reference, parameter))
        msg = f"{name}: unknown distortion {distortion!r}"
        raise ValueError(msg)
    msg = f"{name!r} is not a corpus image name (ref_..., flat_... or dist_...)"
    raise ValueError(msg)


def corpus_names(cases: Path) -> list[str]:
    """Every image file named in a cases table, each once, sorted."""
    with cases.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sorted(
        {Path(row[key]).name for row in rows for key in ("ref_png", "dist_png")}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the PNGs to")
    parser.add_argument(
        "--cases", type=Path, default=CASES, help="cases table naming the images"
    )
    parser.add_argument(
        "--check", type=Path, help="folder of images to compare with, bit for bit"
    )
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    differ = []
    for name in corpus_names(args.cases):
        target = args.out / name
        if target.exists():
            msg = f"{target} exists; give an empty or new folder"
            raise SystemExit(msg)
        image = make(name)
        Image.fromarray(image).save(target)
        if args.check is not None and (args.check / name).exists():
            stored = np.asarray(Image.open(args.check / name))
            if not np.array_equal(stored, image):
                differ.append(name)
    print(f"wrote {len(corpus_names(args.cases))} images to {args.out}")
    for name in differ:
        print(f"DIFFERS: {name}", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
