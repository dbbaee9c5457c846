"""Local similarity measures and the phase-congruency-weighted pooling."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from .backends._loops import get_kernels, similarity_map

#: Constants of the reference implementation (for 0..255 grey levels).
T1_PHASE_CONGRUENCY = 0.85
T2_GRADIENT = 160.0
T3_CHROMA_I = 200.0
T4_CHROMA_Q = 200.0
LAMBDA_CHROMA = 0.03


#: ``(2 a b + c) / (a**2 + b**2 + c)``, the local similarity of two maps.
similarity = similarity_map


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
    product = np.empty(np.shape(i1))
    negatives = get_kernels().chroma_product(
        i1, i2, q1, q2, T3_CHROMA_I, T4_CHROMA_Q, product
    )
    negative = product < 0 if negatives else None
    result = np.abs(product, out=product)
    np.power(result, exponent, out=result)
    if negative is not None:
        result[negative] *= math.cos(exponent * math.pi)
    return result


def pooled_scores(
    pc1: NDArray[np.float64],
    pc2: NDArray[np.float64],
    gradient1: NDArray[np.float64],
    gradient2: NDArray[np.float64],
    chroma: NDArray[np.float64] | None,
) -> tuple[float, float]:
    """FSIM and FSIMc: the local similarities pooled with weights ``max(PC)``.

    ``chroma`` is the map of :func:`chroma_similarity`; without it FSIMc is
    FSIM.  If neither image has any phase congruency anywhere (for example
    two flat images) every weight is 0: the reference then returns NaN, and
    fsimlib falls back to weighting every pixel equally.  The sums are made
    in one pass (compiled) without forming the maps.
    """
    weight, weighted, plain, weighted_c, plain_c = get_kernels().pooled_sums(
        pc1, pc2, gradient1, gradient2, chroma, T1_PHASE_CONGRUENCY, T2_GRADIENT
    )
    if weight > 0:
        score, score_c = weighted / weight, weighted_c / weight
    else:
        score, score_c = plain / pc1.size, plain_c / pc1.size
    if not (math.isfinite(score) and math.isfinite(score_c)):
        # Validation of the inputs keeps every value finite; this guards
        # what it cannot see, so that no NaN is ever returned as a score.
        msg = (
            f"FSIM came out {score!r} (FSIMc {score_c!r}): an intermediate "
            "value overflowed; check the images' data_range and the gradient "
            "operator's scale"
        )
        raise ValueError(msg)
    return score, (score if chroma is None else score_c)
