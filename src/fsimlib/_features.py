"""Per-image work of FSIM: channels at the processing size, PC and gradient.

Everything FSIM needs from one image is an :class:`ImageFeatures`; the score
of a pair combines two of them.  :class:`fsimlib.Reference` keeps one to
score many distorted images against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._colour import YIQ_MATRIX
from ._downsample import automatic_factor, box_downsample, downsampled_shape
from ._gradient import CallableGradient, GradientOperator
from ._parameters import PhaseCongruencyParameters
from ._phase_congruency import phase_congruency_map
from ._validation import ImageLayout, Precision, check_downsample, check_min_size
from .backends._loops import get_kernels


@dataclass(frozen=True)
class FeatureOptions:
    """Options that decide how one image becomes its features.

    Two images can only be compared if their features were made with equal
    options (the same factor, scale, operator and precision).
    """

    factor: int
    scale: float
    gradient: GradientOperator | CallableGradient
    params: PhaseCongruencyParameters
    precision: Precision
    threads: int


@dataclass(frozen=True, eq=False)
class ImageFeatures:
    """One image at the processing size, with its feature maps.

    Attributes
    ----------
    luminance : ndarray
        Downsampled, scaled luminance ``Y`` (grey levels 0..255).
    chroma : tuple of ndarray or None
        Downsampled, scaled ``(I, Q)``; ``None`` for greyscale images or when
        chroma was not asked for.
    phase_congruency : ndarray
        Phase congruency of ``luminance``.
    gradient : ndarray
        Gradient magnitude of ``luminance``.
    """

    luminance: NDArray[np.float64]
    chroma: tuple[NDArray[np.float64], NDArray[np.float64]] | None
    phase_congruency: NDArray[np.float64]
    gradient: NDArray[np.float64]


def resolve_factor(downsample: object, spatial_shape: tuple[int, int]) -> int:
    """Downsampling factor from the ``downsample=`` option.

    ``True`` is the reference's automatic factor, ``False`` is 1, and a
    positive int is used as given.
    """
    checked = check_downsample(downsample)
    if isinstance(checked, bool):
        return automatic_factor(spatial_shape) if checked else 1
    return checked


def spatial_view(array: NDArray[np.number], layout: ImageLayout) -> NDArray[np.number]:
    """View the image as ``rows x cols`` (grey) or ``rows x cols x 3`` (colour)."""
    if layout.channel_axis is None:
        return array
    moved = np.moveaxis(array, layout.channel_axis, -1)
    return moved if layout.is_colour else moved[..., 0]


def processed_planes(
    array: NDArray[np.number],
    layout: ImageLayout,
    options: FeatureOptions,
    *,
    chromatic: bool,
) -> tuple[NDArray[np.float64], tuple[NDArray[np.float64], NDArray[np.float64]] | None]:
    """Downsample and scale the channels, then convert to Y (and I, Q).

    Colour conversion and box filtering are both linear, so the channels are
    downsampled first: the full-size image is never converted to float64,
    which keeps the memory of very large images low.  The results differ
    from the reference's order by floating-point round-off only (with no
    downsampling, they are the reference's to the bit).
    """
    image = spatial_view(array, layout)
    if not layout.is_colour:
        grey = box_downsample(image, options.factor)
        return (grey * options.scale if options.scale != 1.0 else grey), None
    if options.factor == 1:
        pixels = np.ascontiguousarray(image, dtype=np.float64)
    else:
        pixels = np.ascontiguousarray(box_downsample(image, options.factor))
    weights = YIQ_MATRIX if chromatic else YIQ_MATRIX[:1]
    planes = tuple(np.empty(pixels.shape[:2]) for _ in weights)
    # Scaled, then weighted in the reference's order: w_R R + w_G G + w_B B.
    get_kernels().weighted_planes(pixels, options.scale, weights, planes)
    if not chromatic:
        return planes[0], None
    return planes[0], (planes[1], planes[2])


def extract_features(
    array: NDArray[np.number],
    layout: ImageLayout,
    options: FeatureOptions,
    *,
    chromatic: bool,
    name: str = "image",
) -> ImageFeatures:
    """Compute the features of one validated image."""
    check_min_size(
        downsampled_shape(layout.spatial_shape, options.factor),
        f"{name} after downsampling by {options.factor}",
    )
    y, chroma = processed_planes(array, layout, options, chromatic=chromatic)
    pc = phase_congruency_map(y, options.params, options.precision, options.threads)
    gradient = options.gradient.magnitude(y)
    if chroma is not None:
        chroma = (read_only_view(chroma[0]), read_only_view(chroma[1]))
    return ImageFeatures(
        read_only_view(y), chroma, read_only_view(pc), read_only_view(gradient)
    )


def read_only_view(plane: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return a read-only view of ``plane``, leaving its own flags alone.

    The luminance plane may be the caller's own float64 array (greyscale
    input, no downsampling): only the new view is flagged, never the array
    the caller holds.
    """
    view: NDArray[np.float64] = plane.view()
    view.flags.writeable = False
    return view
