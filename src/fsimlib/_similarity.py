"""Local similarity measures and the phase-congruency-weighted pooling."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

#: Constants of the reference implementation (for 0..255 grey levels).
T1_PHASE_CONGRUENCY = 0.85
T2_GRADIENT = 160.0
T3_CHROMA_I = 200.0
T4_CHROMA_Q = 200.0
LAMBDA_CHROMA = 0.03


def similarity(
    a: NDArray[np.float64], b: NDArray[np.float64], constant: float
) -> NDArray[np.float64]:
    """``(2 a b + c) / (a**2 + b**2 + c)``: 1 where ``a == b``, else below 1."""
    numerator = 2 * a * b
    numerator += constant
    denominator = a * a
    denominator += b * b
    denominator += constant
    numerator /= denominator
    return numerator


def chroma_similarity(
    i1: NDArray[np.float64],
    i2: NDArray[np.float64],
    q1: NDArray[np.float64],
    q2: NDArray[np.float64],
    exponent: float = LAMBDA_CHROMA,
) -> NDArray[np.float64]:
    """``Re((S_I S_Q) ** lambda)``, the chromatic factor of FSIMc.

    ``S_I S_Q`` is negative where the two images' chroma have opposite
    signs; the reference takes the real part of the complex power there,
    ``|x| ** lambda * cos(lambda * pi)``.
    """
    product = similarity(i1, i2, T3_CHROMA_I)
    product *= similarity(q1, q2, T4_CHROMA_Q)
    negative = product < 0
    result = np.power(np.abs(product), exponent)
    if negative.any():
        result[negative] *= math.cos(exponent * math.pi)
    return result


def weighted_mean(local: NDArray[np.float64], weight: NDArray[np.float64]) -> float:
    """``sum(local * weight) / sum(weight)``; the plain mean if all weights are 0.

    The zero-weight case arises only when neither image has any phase
    congruency anywhere (for example two flat images): the reference then
    returns NaN, and fsimlib falls back to weighting every pixel equally.
    """
    total = float(np.sum(weight))
    if total > 0:
        return float(np.sum(local * weight) / total)
    return float(np.mean(local))
