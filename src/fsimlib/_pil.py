"""Pillow images as FSIM takes them: their colours, never palette indices.

``numpy.asarray`` of a palette (mode ``"P"``) image gives its palette
indices, and of a bilevel (``"1"``) image booleans; scoring those would be
silently wrong.  :func:`pillow_samples` expands an opened Pillow image to
its samples, as :func:`fsimlib.read_image` does for the images it decodes
with Pillow, and :func:`array_from_pillow` applies read_image's remaining
rules (bilevel to 0/255, opaque alpha dropped, partly transparent images
refused).

Pillow is not imported here: an object is recognised as a Pillow image by
the module its class comes from, and only then is ``PIL.Image`` imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:
    from PIL import Image

#: Modes whose samples FSIM can score, after the expansion below.
SUPPORTED_MODES = frozenset(
    {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "I", "I;16", "I;16L", "I;16B"}
)
#: Largest value of a 32-bit (mode ``"I"``) image stored as 16 bits.
UINT16_MAX = 65535


def is_pillow_image(obj: object) -> bool:
    """Tell whether ``obj`` is a ``PIL.Image.Image``, importing Pillow only if so."""
    if not type(obj).__module__.startswith("PIL."):
        return False
    from PIL import Image

    return isinstance(obj, Image.Image)


def pillow_samples(image: Image.Image) -> NDArray[np.generic]:
    """Return the samples of a Pillow image: palettes expanded, 16-bit kept.

    A palette image (``"P"``, ``"PA"``) becomes its palette's colours
    (RGB, or RGBA if the palette or the image has alpha); a 32-bit integer
    image (``"I"``) becomes uint16 if its values fit 16 bits.  Other
    supported modes are taken as they are.

    Raises
    ------
    ValueError
        For modes that are not grey, RGB, palette or alpha (``"CMYK"``,
        ``"YCbCr"``, ``"F"``, premultiplied ``"RGBa"`` ...), and for a
        mode ``"I"`` image with values outside 0..65535.
    """
    mode = image.mode
    if mode not in SUPPORTED_MODES:
        msg = (
            f'mode "{mode}" images are not supported; expected greyscale or RGB '
            '(convert first, e.g. image.convert("RGB"))'
        )
        raise ValueError(msg)
    if mode == "P":
        palette = image.palette
        image = image.convert("RGB" if palette is None else palette.mode)
    elif mode == "PA":
        image = image.convert("RGBA")
    samples = np.asarray(image)
    if mode == "I":
        return _int32_as_uint16(samples)
    if mode.startswith("I;16"):
        return samples.astype(np.uint16, copy=False)
    return samples


def _int32_as_uint16(samples: NDArray[np.generic]) -> NDArray[np.uint16]:
    """Return a mode ``"I"`` image as uint16, as a 16-bit file stores it."""
    low, high = int(np.min(samples)), int(np.max(samples))
    if low < 0 or high > UINT16_MAX:
        msg = (
            f'mode "I" image holds values from {low} to {high}, beyond the '
            f"16-bit range 0..{UINT16_MAX}; pass np.asarray(image) with an "
            "explicit data_range instead"
        )
        raise ValueError(msg)
    return samples.astype(np.uint16)


def array_from_pillow(
    image: Image.Image, name: str
) -> NDArray[np.uint8] | NDArray[np.uint16]:
    """Return a Pillow image as the uint8/uint16 array read_image would give.

    Raises
    ------
    ValueError
        As :func:`pillow_samples`, and for partly transparent images.
    """
    from ._io import normalise_samples

    try:
        samples = pillow_samples(image)
    except ValueError as error:
        msg = f"{name} (a Pillow image): {error}"
        raise ValueError(msg) from None
    return normalise_samples(samples, f"{name} (a Pillow image)")


def convert_pillow(obj: object, name: str) -> ArrayLike:
    """``obj`` as an array if it is a Pillow image, else ``obj`` unchanged."""
    if is_pillow_image(obj):
        return array_from_pillow(cast("Image.Image", obj), name)
    return cast("ArrayLike", obj)


def convert_pillow_stack(obj: object, name: str) -> ArrayLike:
    """Like :func:`convert_pillow`, also for a list or tuple of images."""
    if isinstance(obj, (list, tuple)) and any(is_pillow_image(item) for item in obj):
        arrays = [
            np.asarray(convert_pillow(item, f"{name}[{index}]"))
            for index, item in enumerate(obj)
        ]
        shapes = sorted({array.shape for array in arrays})
        dtypes = sorted({str(array.dtype) for array in arrays})
        if len(shapes) > 1 or len(dtypes) > 1:
            listed = ", ".join(str(shape) for shape in shapes)
            msg = (
                f"the images of {name} must have one shape and dtype, got "
                f"shapes {listed} and dtypes {', '.join(dtypes)}"
            )
            raise ValueError(msg)
        return np.stack(arrays)
    return convert_pillow(obj, name)
