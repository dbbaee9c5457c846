"""One pair of images: validated inputs, options, and the scores and maps.

What :func:`fsimlib.fsim`, :func:`fsimlib.compare` and
:class:`fsimlib.Reference` share: checking an image and finding its
layout, bundling the options once the images are known, and combining two
images' features into the scores (:func:`pair_score`) or into an
:class:`FSIMResult` with every map (:func:`score_features`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._features import FeatureOptions, ImageFeatures, resolve_factor
from ._gradient import resolve_gradient
from ._options import FSIMOptions
from ._similarity import (
    T1_PHASE_CONGRUENCY,
    T2_GRADIENT,
    chroma_similarity,
    pooled_scores,
    similarity,
)
from ._validation import (
    ImageLayout,
    as_real_array,
    check_scaled_values,
    check_values_within_range,
    image_layout,
    resolve_data_range,
)
from .backends._fft import resolve_workers

#: The grey-level scale FSIM's constants were tuned for.
REFERENCE_RANGE = 255.0


@dataclass(frozen=True, eq=False)
class FSIMResult:
    """Both scores of a pair and the maps behind them.

    All maps are at the processing (downsampled) size.

    Attributes
    ----------
    fsim : float
        FSIM, from luminance only.
    fsimc : float
        FSIMc, which adds the chromatic term; equal to ``fsim`` for
        greyscale images.
    downsample_factor : int
        The factor the images were downsampled by.
    phase_congruency1, phase_congruency2 : ndarray
        Phase congruency maps ``PC1``, ``PC2``.
    gradient1, gradient2 : ndarray
        Gradient magnitude maps ``G1``, ``G2``.
    weight : ndarray
        ``PCm = max(PC1, PC2)``, the pooling weight.
    pc_similarity : ndarray
        ``S_PC``.
    gradient_similarity : ndarray
        ``S_G``.
    chroma_similarity : ndarray
        ``Re((S_I S_Q) ** lambda)``; all ones for greyscale images.

    Examples
    --------
    >>> import numpy as np
    >>> import fsimlib
    >>> from skimage import data
    >>> image = data.camera()
    >>> result = fsimlib.compare(image, image[::-1])
    >>> isinstance(result, fsimlib.FSIMResult), result.weight.shape
    (True, (256, 256))
    >>> total = np.sum(result.similarity_map * result.weight)
    >>> bool(abs(total / np.sum(result.weight) - result.fsim) < 1e-12)
    True
    """

    fsim: float
    fsimc: float
    downsample_factor: int
    phase_congruency1: NDArray[np.float64]
    phase_congruency2: NDArray[np.float64]
    gradient1: NDArray[np.float64]
    gradient2: NDArray[np.float64]
    weight: NDArray[np.float64]
    pc_similarity: NDArray[np.float64]
    gradient_similarity: NDArray[np.float64]
    chroma_similarity: NDArray[np.float64]

    @property
    def similarity_map(self) -> NDArray[np.float64]:
        """Local similarity ``S_L = S_PC * S_G`` that FSIM pools."""
        return self.gradient_similarity * self.pc_similarity

    @property
    def chromatic_similarity_map(self) -> NDArray[np.float64]:
        """Local similarity ``S_PC * S_G * S_C`` that FSIMc pools."""
        return self.similarity_map * self.chroma_similarity


class Scores(NamedTuple):
    """FSIM and FSIMc of one pair, from one feature extraction.

    Attributes
    ----------
    fsim : float
        FSIM, from luminance only.
    fsimc : float
        FSIMc, which adds the chromatic term; equal to ``fsim`` for
        greyscale images.

    Examples
    --------
    >>> import fsimlib
    >>> from skimage import data
    >>> image = data.astronaut()
    >>> fsim, fsimc = fsimlib.Reference(image).scores(image[::-1])
    >>> bool(fsimc < fsim)
    True
    """

    fsim: float
    fsimc: float


@dataclass(frozen=True)
class PreparedImage:
    """A validated input array with its layout."""

    array: NDArray[np.number]
    layout: ImageLayout


def prepare_image(
    image: ArrayLike, name: str, channel_axis: int | None
) -> PreparedImage:
    """Validate one image and find its layout."""
    array = as_real_array(image, name)
    return PreparedImage(array, image_layout(array, name, channel_axis))


def feature_options(
    prepared: tuple[PreparedImage, ...], options: FSIMOptions, workers: int | None
) -> FeatureOptions:
    """Check the options against the images and bundle them."""
    arrays = tuple(item.array for item in prepared)
    data_range = options.data_range
    resolved_range = resolve_data_range(data_range, tuple(a.dtype for a in arrays))
    if data_range is not None or any(
        np.issubdtype(a.dtype, np.floating) for a in arrays
    ):
        low, high = check_values_within_range(arrays, resolved_range)
        check_scaled_values(low, high, resolved_range, REFERENCE_RANGE)
    return FeatureOptions(
        factor=resolve_factor(options.downsample, prepared[0].layout.spatial_shape),
        scale=REFERENCE_RANGE / resolved_range,
        gradient=resolve_gradient(options.gradient),
        params=options.pc_parameters,
        precision=options.precision,
        threads=resolve_workers(workers),
    )


def score_features(
    features1: ImageFeatures, features2: ImageFeatures, factor: int
) -> FSIMResult:
    """Combine two images' features into both scores and all the maps."""
    pc1, pc2 = features1.phase_congruency, features2.phase_congruency
    chroma = chroma_map(features1, features2)
    score, score_c = pooled_scores(
        pc1, pc2, features1.gradient, features2.gradient, chroma
    )
    pc_sim = similarity(pc1, pc2, T1_PHASE_CONGRUENCY)
    gradient_sim = similarity(features1.gradient, features2.gradient, T2_GRADIENT)
    # The feature maps may belong to a Reference that scores again: the
    # result gets its own copies, which the caller may modify freely.
    return FSIMResult(
        fsim=score,
        fsimc=score_c,
        downsample_factor=factor,
        phase_congruency1=pc1.copy(),
        phase_congruency2=pc2.copy(),
        gradient1=features1.gradient.copy(),
        gradient2=features2.gradient.copy(),
        weight=np.maximum(pc1, pc2),
        pc_similarity=pc_sim,
        gradient_similarity=gradient_sim,
        chroma_similarity=np.ones_like(pc_sim) if chroma is None else chroma,
    )


def chroma_map(
    features1: ImageFeatures, features2: ImageFeatures
) -> NDArray[np.float64] | None:
    """FSIMc's chromatic factor, or ``None`` if either image has no chroma."""
    if features1.chroma is None or features2.chroma is None:
        return None
    (i1, q1), (i2, q2) = features1.chroma, features2.chroma
    return chroma_similarity(i1, i2, q1, q2)


def pair_score(
    features1: ImageFeatures, features2: ImageFeatures, *, chromatic: bool
) -> float:
    """FSIM (or FSIMc) of two images' features, without making the maps.

    Equal, to the bit, to the score :func:`score_features` gives.
    """
    chroma = chroma_map(features1, features2) if chromatic else None
    score, score_c = pooled_scores(
        features1.phase_congruency,
        features2.phase_congruency,
        features1.gradient,
        features2.gradient,
        chroma,
    )
    return score_c if chromatic else score


def pair_scores(features1: ImageFeatures, features2: ImageFeatures) -> Scores:
    """FSIM and FSIMc of two images' features, without making the maps.

    Each equal, to the bit, to :func:`pair_score`'s (and so to the scores
    :func:`score_features` gives).
    """
    score, score_c = pooled_scores(
        features1.phase_congruency,
        features2.phase_congruency,
        features1.gradient,
        features2.gradient,
        chroma_map(features1, features2),
    )
    return Scores(score, score_c)
