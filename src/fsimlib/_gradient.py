"""Gradient operators: pairs of 3 x 3 (or larger, odd) derivative kernels.

An operator is data: a frozen :class:`GradientOperator` holding its two
kernels.  The named ones (Scharr, the reference's; Sobel; Prewitt) are built
by one helper from their smoothing weights.  Users may also pass their own
pair of kernels, an operator object, or a callable that maps an image to its
gradient magnitude.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .backends._loops import get_kernels

#: Central difference along x, as the columns of the kernels read it.
_DERIVATIVE = np.array([1.0, 0.0, -1.0])


@dataclass(frozen=True, eq=False)
class GradientOperator:
    """A gradient operator given by its horizontal and vertical kernels.

    The gradient magnitude is ``sqrt(Gx**2 + Gy**2)`` with ``Gx`` and ``Gy``
    the "same"-size 2-D convolutions (true convolution, zeros outside the
    image, as MATLAB's ``conv2(..., 'same')``) of the image with
    ``kernel_x`` and ``kernel_y``.

    Parameters
    ----------
    kernel_x, kernel_y : array_like
        Real, finite 2-D kernels with odd sides, so that each has a centre,
        whose absolute values sum to at most 1e50 (so the squared gradient
        stays finite).
    name : str, optional
        A label for reprs and results.

    Examples
    --------
    >>> import numpy as np
    >>> from fsimlib import GradientOperator
    >>> roberts_like = GradientOperator(
    ...     [[0, 0, 0], [0, 1, 0], [0, 0, -1]],
    ...     [[0, 0, 0], [0, 0, 1], [0, -1, 0]],
    ...     name="roberts",
    ... )
    >>> roberts_like.kernel_x.shape
    (3, 3)
    """

    kernel_x: NDArray[np.float64] = field(repr=False)
    kernel_y: NDArray[np.float64] = field(repr=False)
    name: str = "custom"

    def __init__(
        self, kernel_x: ArrayLike, kernel_y: ArrayLike, name: str = "custom"
    ) -> None:
        object.__setattr__(self, "kernel_x", _check_kernel(kernel_x, "kernel_x"))
        object.__setattr__(self, "kernel_y", _check_kernel(kernel_y, "kernel_y"))
        object.__setattr__(self, "name", str(name))

    def magnitude(self, image: NDArray[np.float64]) -> NDArray[np.float64]:
        """Gradient magnitude of a 2-D float image."""
        out = np.empty(image.shape)
        get_kernels().gradient_magnitude(
            np.ascontiguousarray(image, dtype=np.float64),
            self.kernel_x,
            self.kernel_y,
            out,
        )
        return out


def _check_kernel(kernel: ArrayLike, name: str) -> NDArray[np.float64]:
    array = _real_array(kernel, name)
    if array.ndim != 2 or array.shape[0] % 2 == 0 or array.shape[1] % 2 == 0:
        msg = f"{name} must be 2-D with odd sides, got shape {array.shape}"
        raise ValueError(msg)
    if not np.isfinite(array).all():
        msg = f"{name} contains NaN or infinite values"
        raise ValueError(msg)
    total = float(np.sum(np.abs(array)))
    if not total <= MAX_KERNEL_SUM:  # an overflowing sum is inf
        msg = (
            f"{name}'s absolute values sum to {total:.4g}; at most "
            f"{MAX_KERNEL_SUM:g} keeps the squared gradient finite (scale "
            "the kernel down: FSIM's gradient constant is tuned for kernels "
            "summing to about 2)"
        )
        raise ValueError(msg)
    array.flags.writeable = False
    return array


#: Largest sum of a kernel's absolute values.  With grey levels of at most
#: 1e100 in magnitude (see ``fsimlib._validation.MAX_GREY_LEVEL``) the
#: gradient stays below 1e150 and its square, summed over two kernels and
#: two images, finite.
MAX_KERNEL_SUM = 1e50
#: Largest gradient magnitude a gradient callable may return, for the same
#: reason: ``G1**2 + G2**2`` of two such values is finite.
MAX_GRADIENT = 1e150


def _real_array(values: object, name: str) -> NDArray[np.float64]:
    """``values`` as a float64 array, or a TypeError naming ``name``."""
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:
        msg = f"{name} must be a 2-D array of real numbers: {error}"
        raise TypeError(msg) from error
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.integer)
        or np.issubdtype(array.dtype, np.floating)
    ):
        msg = f"{name} must be a 2-D array of real numbers, got dtype {array.dtype}"
        raise TypeError(msg)
    return np.array(array, dtype=np.float64, order="C")


def separable_operator(
    smoothing: tuple[float, float, float], name: str
) -> GradientOperator:
    """Operator whose ``kernel_x`` is ``outer(smoothing, [1, 0, -1]) / sum(smoothing)``.

    ``kernel_y`` is its transpose.  Scharr, Sobel and Prewitt differ only in
    the smoothing weights.
    """
    weights = np.asarray(smoothing, dtype=np.float64)
    kernel_x = np.outer(weights, _DERIVATIVE) / weights.sum()
    return GradientOperator(kernel_x, kernel_x.T, name=name)


#: The reference's operator: ``[[3, 0, -3], [10, 0, -10], [3, 0, -3]] / 16``.
SCHARR = separable_operator((3.0, 10.0, 3.0), "scharr")
#: ``[[1, 0, -1], [2, 0, -2], [1, 0, -1]] / 4``.
SOBEL = separable_operator((1.0, 2.0, 1.0), "sobel")
#: ``[[1, 0, -1], [1, 0, -1], [1, 0, -1]] / 3``.
PREWITT = separable_operator((1.0, 1.0, 1.0), "prewitt")

GRADIENT_OPERATORS: dict[str, GradientOperator] = {
    op.name: op for op in (SCHARR, SOBEL, PREWITT)
}

GradientFunction = Callable[[NDArray[np.float64]], NDArray[np.float64]]
#: What ``gradient=`` accepts.
GradientSpec = Union[  # noqa: UP007 (a runtime alias must work on Python 3.10)
    str, GradientOperator, tuple[ArrayLike, ArrayLike], GradientFunction
]


@dataclass(frozen=True)
class CallableGradient:
    """Adapter that checks a user's gradient-magnitude function's output."""

    function: GradientFunction
    name: str

    def magnitude(self, image: NDArray[np.float64]) -> NDArray[np.float64]:
        """Call the function on a copy and check its result."""
        result = _real_array(
            self.function(image.copy()), f"gradient function {self.name}'s result"
        )
        if result.shape != image.shape:
            msg = (
                f"gradient function {self.name} returned shape {result.shape}, "
                f"expected {image.shape} (the shape of its input)"
            )
            raise ValueError(msg)
        if not np.isfinite(result).all() or (result < 0).any():
            msg = (
                f"gradient function {self.name} returned negative, NaN or "
                "infinite values; expected a non-negative magnitude"
            )
            raise ValueError(msg)
        largest = float(np.max(result))
        if largest > MAX_GRADIENT:
            msg = (
                f"gradient function {self.name} returned magnitudes up to "
                f"{largest:.4g}; at most {MAX_GRADIENT:g} keeps their squares "
                "finite (FSIM's gradient constant is tuned for magnitudes of "
                "0..255 grey levels)"
            )
            raise ValueError(msg)
        return result


def resolve_gradient(spec: object) -> GradientOperator | CallableGradient:
    """Turn a ``gradient=`` argument into an object with ``magnitude``.

    Raises
    ------
    ValueError
        For an unknown operator name or malformed kernels.
    TypeError
        For anything else.
    """
    if isinstance(spec, GradientOperator):
        return spec
    if isinstance(spec, str):
        operator = GRADIENT_OPERATORS.get(spec.lower())
        if operator is None:
            msg = (
                f"Unknown gradient operator {spec!r}; expected one of "
                f"{tuple(GRADIENT_OPERATORS)}, a GradientOperator, a pair of "
                "kernels or a callable"
            )
            raise ValueError(msg)
        return operator
    if isinstance(spec, tuple) and len(spec) == 2:
        return GradientOperator(spec[0], spec[1])
    if callable(spec):
        name = getattr(spec, "__name__", type(spec).__name__)
        return CallableGradient(spec, name)
    msg = (
        "gradient must be an operator name, a GradientOperator, a pair of "
        f"kernels (kernel_x, kernel_y) or a callable, got {type(spec).__name__}"
    )
    raise TypeError(msg)
