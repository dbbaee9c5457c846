"""Built-in example pairs: scikit-image's pictures with fixed distortions.

Used by ``fsimlib example``, the browser demo and the docs, so that anyone
can see FSIM at work without images of their own.
"""

from __future__ import annotations

import io
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray


class ExamplePair(NamedTuple):
    """One built-in example: a scikit-image picture and a distorted copy.

    Attributes
    ----------
    label : str
        What the pair is, as shown on the page.
    reference, distorted : ndarray of uint8
        The two images, greyscale ``(rows, cols)`` or RGB ``(rows, cols, 3)``.
    near_lossless : bool
        Whether the distortion is hard to see (``True``) or plainly visible
        (``False``); the demo's default threshold separates the two groups.

    Examples
    --------
    >>> import fsimlib
    >>> labels = [pair.label for pair in fsimlib.example_pairs()]
    >>> labels[0]
    'astronaut, JPEG quality 90'
    """

    label: str
    reference: NDArray[np.uint8]
    distorted: NDArray[np.uint8]
    near_lossless: bool


def _jpeg(image: NDArray[np.uint8], quality: int) -> NDArray[np.uint8]:
    """Round-trip an image through Pillow's JPEG codec at ``quality``."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded, dtype=np.uint8)


def _gaussian_noise(
    image: NDArray[np.uint8], sigma: float, seed: int
) -> NDArray[np.uint8]:
    """Add seeded Gaussian noise of standard deviation ``sigma`` grey levels."""
    from skimage import util

    noisy = util.random_noise(image, mode="gaussian", var=(sigma / 255) ** 2, rng=seed)
    return np.asarray(util.img_as_ubyte(noisy), dtype=np.uint8)


def _gaussian_blur(image: NDArray[np.uint8], sigma: float) -> NDArray[np.uint8]:
    """Blur with a Gaussian of standard deviation ``sigma`` pixels."""
    from skimage import filters, util

    channel_axis = -1 if image.ndim == 3 else None
    blurred = filters.gaussian(image, sigma=sigma, channel_axis=channel_axis)
    return np.asarray(util.img_as_ubyte(blurred), dtype=np.uint8)


def example_pairs() -> tuple[ExamplePair, ...]:
    """Return the demo's example pairs, made from scikit-image's pictures.

    Two near-lossless distortions and three visible ones, all deterministic
    (fixed seeds, Pillow's JPEG codec), so the same call always returns the
    same arrays.  Requires Pillow (installed with scikit-image).

    Returns
    -------
    tuple of ExamplePair
        The pairs in the order the page lists them.

    Examples
    --------
    >>> import fsimlib
    >>> pair = fsimlib.example_pairs()[0]
    >>> pair.label, pair.reference.shape, pair.near_lossless
    ('astronaut, JPEG quality 90', (512, 512, 3), True)
    >>> round(fsimlib.fsim(pair.reference, pair.distorted), 4)
    0.9992
    """
    from skimage import data

    astronaut = np.asarray(data.astronaut(), dtype=np.uint8)
    camera = np.asarray(data.camera(), dtype=np.uint8)
    coffee = np.asarray(data.coffee(), dtype=np.uint8)
    return (
        ExamplePair(
            "astronaut, JPEG quality 90", astronaut, _jpeg(astronaut, 90), True
        ),
        ExamplePair(
            "camera, faint noise (sigma 3)",
            camera,
            _gaussian_noise(camera, 3.0, seed=1),
            True,
        ),
        ExamplePair(
            "camera, strong noise (sigma 25)",
            camera,
            _gaussian_noise(camera, 25.0, seed=1),
            False,
        ),
        ExamplePair(
            "astronaut, Gaussian blur (sigma 2)",
            astronaut,
            _gaussian_blur(astronaut, 2.0),
            False,
        ),
        ExamplePair("coffee, JPEG quality 10", coffee, _jpeg(coffee, 10), False),
    )
