"""Compiled loops of fsimlib's phase congruency (``_ckernels.c``)."""

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

def filter_product(
    spectrum: NDArray[np.complexfloating],
    filters: NDArray[np.floating],
    out: NDArray[np.complexfloating],
    /,
) -> None: ...
def oriented_energy(
    responses: NDArray[np.complexfloating],
    epsilon: float,
    energy: NDArray[np.floating],
    amplitude: NDArray[np.floating],
    magnitude: NDArray[np.floating],
    /,
) -> None: ...
def gradient_magnitude(
    image: NDArray[np.float64],
    kernel_x: NDArray[np.float64],
    kernel_y: NDArray[np.float64],
    out: NDArray[np.float64],
    /,
) -> None: ...
def count_and_collect(
    values: NDArray[np.floating],
    low: float,
    high: float,
    out: NDArray[np.floating],
    /,
) -> tuple[int, int]: ...
def combine_energy(
    energies: NDArray[np.floating],
    thresholds: Sequence[float],
    amplitude: NDArray[np.floating],
    out: NDArray[np.float64],
    /,
) -> None: ...
def pooled_sums(
    pc1: NDArray[np.float64],
    pc2: NDArray[np.float64],
    g1: NDArray[np.float64],
    g2: NDArray[np.float64],
    chroma: NDArray[np.float64] | None,
    t1: float,
    t2: float,
    /,
) -> tuple[float, float, float, float, float]: ...
def select_ranks(
    values: NDArray[np.floating], low_rank: int, high_rank: int, /
) -> tuple[float, float]: ...
def weighted_planes(
    pixels: NDArray[np.float64],
    scale: float,
    weights: NDArray[np.float64],
    outs: Sequence[NDArray[np.float64]],
    /,
) -> None: ...
def chroma_product(
    i1: NDArray[np.float64],
    i2: NDArray[np.float64],
    q1: NDArray[np.float64],
    q2: NDArray[np.float64],
    t3: float,
    t4: float,
    out: NDArray[np.float64],
    /,
) -> int: ...
def box_mean_u8(
    image: NDArray[np.uint8], factor: int, out: NDArray[np.float64], /
) -> None: ...

VECTOR_PATHS: tuple[str, ...]
