"""Scores and opinions as two checked, equally long arrays."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Fewest pairs a correlation is computed on.
MIN_PAIRS = 3


def paired(scores: ArrayLike, mos: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    """Validate two equally long 1-D finite float sequences."""
    arrays = []
    for name, values in (("scores", scores), ("mos", mos)):
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as error:
            msg = f"{name} must be a sequence of numbers: {error}"
            raise TypeError(msg) from error
        if array.ndim != 1:
            msg = f"{name} must be 1-D, got shape {array.shape}"
            raise ValueError(msg)
        if not np.isfinite(array).all():
            msg = f"{name} contains NaN or infinite values; expected finite numbers"
            raise ValueError(msg)
        arrays.append(array)
    if arrays[0].shape != arrays[1].shape:
        msg = (
            f"scores and mos must have the same length, got {arrays[0].size} "
            f"and {arrays[1].size}"
        )
        raise ValueError(msg)
    if arrays[0].size < MIN_PAIRS:
        msg = f"need at least {MIN_PAIRS} pairs to correlate, got {arrays[0].size}"
        raise ValueError(msg)
    return tuple(arrays)
