"""Checks on what users pass in, with messages that say what was expected.

Nothing here copies or writes to an input array; checks read it only.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._pil import convert_pillow

#: Smallest side, in pixels, of an image at the processing (downsampled) size.
MIN_SIDE = 2
PRECISIONS = ("float64", "float32")


def as_real_array(image: ArrayLike, name: str) -> NDArray[np.number]:
    """Return ``image`` as an ndarray of a real integer or floating dtype.

    Raises
    ------
    TypeError
        For bool, complex or non-numeric data.
    ValueError
        If the array is empty or contains NaN or infinity, or a Pillow
        image has a mode or transparency FSIM cannot score.

    A Pillow image is taken by its colours (see :func:`array_from_pillow`),
    never by its palette indices.
    """
    image = convert_pillow(image, name)
    if isinstance(image, np.ndarray):
        array = image
    else:
        try:
            array = np.asarray(image)
        except (ValueError, TypeError) as error:
            msg = f"{name} could not be converted to an array: {error}"
            raise TypeError(msg) from error
    dtype = array.dtype
    if dtype == np.bool_:
        msg = (
            f"{name} has dtype bool; expected an integer or floating-point "
            "image (convert a mask with .astype(np.uint8) * 255)"
        )
        raise TypeError(msg)
    if np.issubdtype(dtype, np.complexfloating):
        msg = f"{name} has complex dtype {dtype}; expected a real-valued image"
        raise TypeError(msg)
    if not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
        msg = (
            f"{name} has non-numeric dtype {dtype}; expected an integer or "
            "floating-point image"
        )
        raise TypeError(msg)
    if array.size == 0:
        msg = f"{name} is empty (shape {array.shape}); expected a non-empty image"
        raise ValueError(msg)
    if np.issubdtype(dtype, np.floating) and not np.isfinite(array).all():
        msg = f"{name} contains NaN or infinite values; expected finite values"
        raise ValueError(msg)
    if np.issubdtype(dtype, np.integer) and dtype.itemsize * 8 > FLOAT64_MANTISSA:
        _check_exact_in_float64(array, name)
    return array


#: Bits of float64's significand: integers up to ``2**53`` are exact in it.
FLOAT64_MANTISSA = 53


def _check_exact_in_float64(array: NDArray[np.integer], name: str) -> None:
    """Raise if a 64-bit integer image holds values float64 cannot represent.

    FSIM works in float64; beyond ``2**53`` neighbouring integers round to
    the same float, and nearly equal images score 1.0.
    """
    limit = 2**FLOAT64_MANTISSA
    low, high = int(np.min(array)), int(np.max(array))
    if -limit <= low and high <= limit:
        return
    msg = (
        f"{name} holds {array.dtype} values from {low} to {high}, beyond "
        f"2**{FLOAT64_MANTISSA} = {limit} in magnitude, where float64 (FSIM's "
        "working precision) cannot represent every integer; subtract an "
        "offset or rescale the image first"
    )
    raise ValueError(msg)


def check_plane(image: ArrayLike, name: str) -> NDArray[np.float64]:
    """Validate a 2-D real image and return it as float64 (a copy if needed)."""
    array = as_real_array(image, name)
    if array.ndim != 2:
        msg = f"{name} must be 2-D, got {array.ndim}-D array of shape {array.shape}"
        raise ValueError(msg)
    check_min_size(array.shape, name)
    return np.asarray(array, dtype=np.float64)


def check_min_size(shape: tuple[int, ...], name: str) -> None:
    """Raise if either side of ``shape`` is below :data:`MIN_SIDE`."""
    if min(shape) < MIN_SIDE:
        msg = (
            f"{name} is too small: shape {tuple(shape)}; each side must be at "
            f"least {MIN_SIDE} pixels"
        )
        raise ValueError(msg)


def check_precision(precision: object) -> str:
    """Return ``precision`` if it names a supported working precision."""
    if precision not in PRECISIONS:
        msg = f"precision must be one of {PRECISIONS}, got {precision!r}"
        raise ValueError(msg)
    return str(precision)


def check_flag(value: object, name: str) -> bool:
    """Return ``value`` if it is a bool (numpy bools included)."""
    if not isinstance(value, (bool, np.bool_)):
        msg = f"{name} must be True or False, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return bool(value)


@dataclass(frozen=True)
class ImageLayout:
    """Where the channels of a validated image are.

    Attributes
    ----------
    spatial_shape : tuple of int
        ``(rows, cols)``.
    channel_axis : int or None
        Non-negative channel axis of a 3-D image, or ``None`` for 2-D input.
    n_channels : int
        1 (greyscale) or 3 (RGB).
    """

    spatial_shape: tuple[int, int]
    channel_axis: int | None
    n_channels: int

    @property
    def is_colour(self) -> bool:
        """True for a three-channel image."""
        return self.n_channels == 3


def image_layout(
    array: NDArray[np.number],
    name: str,
    channel_axis: int | None,
    *,
    stack_shape: tuple[int, ...] | None = None,
) -> ImageLayout:
    """Work out the layout of a 2-D grey or 3-D colour image.

    ``channel_axis=None`` means: greyscale for 2-D input, the last axis for
    3-D input.  A single-channel 3-D image is treated as greyscale.
    ``stack_shape`` is the shape of the stack ``array`` is one image of,
    for messages about :func:`fsimlib.fsim_batch`'s stacks.
    """
    if array.ndim not in (2, 3):
        hint = (
            "; for a stack of images use fsimlib.fsim_batch"
            if array.ndim == 4 and stack_shape is None
            else ""
        )
        msg = (
            f"{name} must be 2-D (greyscale) or 3-D (colour), got "
            f"{array.ndim}-D array of shape {array.shape}{hint}"
        )
        raise ValueError(msg)
    if array.ndim == 2:
        if channel_axis is not None:
            msg = (
                f"channel_axis={channel_axis} was given but {name} is 2-D "
                f"(shape {array.shape}); use channel_axis=None for greyscale"
            )
            raise ValueError(msg)
        return ImageLayout((array.shape[0], array.shape[1]), None, 1)
    axis = _normalise_axis(-1 if channel_axis is None else channel_axis, name)
    n_channels = array.shape[axis]
    spatial = tuple(size for i, size in enumerate(array.shape) if i != axis)
    spatial_shape = (spatial[0], spatial[1])
    if n_channels == 1:
        return ImageLayout(spatial_shape, axis, 1)
    likely_axis = _likely_channel_axis(array.shape, axis)
    if likely_axis is not None:
        msg = _wrong_channel_axis_message(
            name, array.shape, axis, likely_axis, stack_shape
        )
        raise ValueError(msg)
    if n_channels == 4:
        msg = (
            f"{name} has 4 channels (shape {array.shape}, channel_axis={axis}): "
            "RGBA is not supported; drop the alpha channel (e.g. image[..., :3]) "
            "or composite the image onto a background first"
        )
        raise ValueError(msg)
    if n_channels != 3:
        msg = (
            f"{name} has {n_channels} channels along axis {axis} (shape "
            f"{array.shape}); expected 3 (RGB) or a 2-D greyscale image"
        )
        raise ValueError(msg)
    return ImageLayout(spatial_shape, axis, 3)


#: Channel counts of the images fsimlib scores: grey and RGB.
CHANNEL_COUNTS = (1, 3)


def _likely_channel_axis(shape: tuple[int, ...], axis: int) -> int | None:
    """Return the axis that holds the channels if ``axis`` plainly does not.

    ``axis`` plainly does not if its size is not 1, 3 or 4 (RGBA gets its
    own message), and the other axes include exactly one of size 1, 3 or 4
    (e.g. ``(3, 512, 512)`` read with the last axis as channels; an RGBA
    image then gets the RGBA message once its channel axis is right).
    """
    counts = (*CHANNEL_COUNTS, 4)
    if shape[axis] in counts:
        return None
    others = [i for i, size in enumerate(shape) if i != axis and size in counts]
    return others[0] if len(others) == 1 else None


def _wrong_channel_axis_message(
    name: str,
    shape: tuple[int, ...],
    axis: int,
    likely_axis: int,
    stack_shape: tuple[int, ...] | None,
) -> str:
    """Say that ``axis`` cannot be the channels and which channel_axis to pass."""
    position = "first" if likely_axis == 0 else f"along axis {likely_axis}"
    if stack_shape is None:
        return (
            f"{name} has shape {shape}: {shape[axis]} channels along axis "
            f"{axis} is not an image layout fsimlib knows; if its channels "
            f"are {position}, pass channel_axis={likely_axis}"
        )
    return (
        f"{name} has shape {stack_shape}, images of shape {shape}: "
        f"{shape[axis]} channels along their axis {axis} is not an image "
        f"layout fsimlib knows; if their channels are {position} (the "
        f"stack's axis {likely_axis + 1}), pass channel_axis={likely_axis}: "
        "fsim_batch counts the axes of one image, not of the stack"
    )


def _normalise_axis(axis: object, name: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        msg = f"channel_axis must be an int or None, got {type(axis).__name__}"
        raise TypeError(msg)
    if not -3 <= int(axis) < 3:
        msg = f"channel_axis={axis} is out of range for 3-D {name}"
        raise ValueError(msg)
    return int(axis) % 3


def check_pair_layout(
    layout1: ImageLayout,
    layout2: ImageLayout,
    shape1: tuple[int, ...],
    shape2: tuple[int, ...],
) -> None:
    """Raise unless two images have the same size and channel count."""
    if layout1.is_colour != layout2.is_colour:
        channels1 = 3 if layout1.is_colour else 1
        channels2 = 3 if layout2.is_colour else 1
        msg = (
            f"images must have the same number of channels, got {channels1} "
            f"(shape {shape1}) and {channels2} (shape {shape2})"
        )
        raise ValueError(msg)
    if layout1.spatial_shape != layout2.spatial_shape:
        msg = (
            "images must have the same shape, got "
            f"{layout1.spatial_shape} and {layout2.spatial_shape}"
        )
        raise ValueError(msg)


#: Integer image formats whose dtype span is taken as the data range.
INFERABLE_INTEGER_BITS = (8, 16)


def dtype_range(dtype: np.dtype[np.number]) -> float | None:
    """Span of an 8- or 16-bit integer dtype (255 for uint8), else ``None``.

    Wider integers are no image format (``np.asarray`` of a list of ints
    gives int64): their dtype span would scale 0..255 values to ~1e-17 and
    every pair would score 1.0, so their range must be given.
    """
    if (
        np.issubdtype(dtype, np.integer)
        and dtype.itemsize * 8 in INFERABLE_INTEGER_BITS
    ):
        info = np.iinfo(dtype)  # type: ignore[type-var]
        return float(info.max) - float(info.min)
    return None


def resolve_data_range(
    data_range: object, dtypes: tuple[np.dtype[np.number], ...]
) -> float:
    """Return the data range: given, or inferred from integer dtypes."""
    if data_range is None:
        ranges = {dtype_range(dtype) for dtype in dtypes}
        if None in ranges:
            names = ", ".join(sorted({str(dtype) for dtype in dtypes}))
            kind = (
                "floating-point"
                if any(np.issubdtype(dtype, np.floating) for dtype in dtypes)
                else "32- and 64-bit integer"
            )
            msg = (
                f"data_range is required for {kind} images (got dtype {names}); "
                "pass e.g. data_range=1.0 for images scaled to [0, 1] or "
                "data_range=255 for images in [0, 255]"
            )
            raise ValueError(msg)
        if len(ranges) > 1:
            names = " and ".join(str(dtype) for dtype in dtypes)
            msg = (
                f"images have dtypes {names} with different ranges; pass "
                "data_range explicitly"
            )
            raise ValueError(msg)
        return float(ranges.pop())  # type: ignore[arg-type]
    if isinstance(data_range, bool) or not isinstance(data_range, numbers.Real):
        msg = (
            f"data_range must be a positive real number or None, got "
            f"{type(data_range).__name__} {data_range!r}"
        )
        raise TypeError(msg)
    value = float(data_range)
    if not (math.isfinite(value) and value > 0):
        msg = f"data_range must be positive and finite, got {data_range!r}"
        raise ValueError(msg)
    return value


def check_values_within_range(
    arrays: tuple[NDArray[np.number], ...], data_range: float
) -> tuple[float, float]:
    """Raise if the values of the images span more than ``data_range``.

    Integer images whose range was inferred from the dtype always pass.  A
    tolerance of a few ulps of ``data_range`` forgives rounding in the
    caller's own scaling.  Returns the smallest and largest value.
    """
    low = min(float(np.min(array)) for array in arrays)
    high = max(float(np.max(array)) for array in arrays)
    if high - low > data_range * (1 + 1e-9):
        msg = (
            f"image values span {low!r} to {high!r} (a range of {high - low!r}), "
            f"wider than data_range={data_range!r}; pass the range the images "
            "were scaled to (e.g. 255 for 8-bit values, 1.0 for [0, 1])"
        )
        raise ValueError(msg)
    return low, high


#: Largest magnitude of an image value once scaled to grey levels (0..255
#: for an image that spans its data range).  Every intermediate value of
#: FSIM then stays finite: squared Fourier responses and, with gradient
#: kernels whose absolute values sum to at most 1e50, squared gradients.
MAX_GREY_LEVEL = 1e100


def check_scaled_values(
    low: float, high: float, data_range: float, grey_levels: float
) -> None:
    """Raise unless the values, scaled to grey levels, are finite and moderate.

    ``low..high`` times ``grey_levels / data_range`` must be finite and
    within :data:`MAX_GREY_LEVEL` in magnitude.  A tiny ``data_range``
    (``1e-307``) or values far from zero compared with their range would
    overflow inside FSIM and give NaN.
    """
    scale = grey_levels / data_range
    largest = max(abs(low), abs(high)) * scale
    if math.isfinite(scale) and largest <= MAX_GREY_LEVEL:
        return
    msg = (
        f"data_range={data_range!r} scales the image values ({low!r} to "
        f"{high!r}) by {grey_levels:g} / data_range = {scale:.4g}, to grey "
        f"levels up to {largest:.4g} in magnitude; they must stay within "
        f"{MAX_GREY_LEVEL:g} for FSIM to be finite: pass the range the values "
        "actually span, or subtract their offset first"
    )
    raise ValueError(msg)
