"""FSIM and FSIMc: the metric, its options and its result object."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._features import (
    FeatureOptions,
    ImageFeatures,
    extract_features,
    resolve_factor,
)
from ._fft import resolve_workers
from ._gradient import GradientSpec, resolve_gradient
from ._parallel import map_pair
from ._parameters import PhaseCongruencyParameters
from ._phase_congruency import Precision
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
    check_flag,
    check_pair_layout,
    check_precision,
    check_scaled_values,
    check_values_within_range,
    image_layout,
    resolve_data_range,
)

#: The grey-level scale FSIM's constants were tuned for.
REFERENCE_RANGE = 255.0
DEFAULT_PARAMETERS = PhaseCongruencyParameters()


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
    prepared: tuple[PreparedImage, ...],
    *,
    data_range: float | None,
    downsample: bool | int,
    gradient: GradientSpec,
    precision: Precision,
    workers: int | None,
    params: PhaseCongruencyParameters = DEFAULT_PARAMETERS,
) -> FeatureOptions:
    """Check the options against the images and bundle them."""
    arrays = tuple(item.array for item in prepared)
    resolved_range = resolve_data_range(data_range, tuple(a.dtype for a in arrays))
    if data_range is not None or any(
        np.issubdtype(a.dtype, np.floating) for a in arrays
    ):
        low, high = check_values_within_range(arrays, resolved_range)
        check_scaled_values(low, high, resolved_range, REFERENCE_RANGE)
    return FeatureOptions(
        factor=resolve_factor(downsample, prepared[0].layout.spatial_shape),
        scale=REFERENCE_RANGE / resolved_range,
        gradient=resolve_gradient(gradient),
        params=params,
        precision=check_precision(precision),  # type: ignore[arg-type]
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


def _pair_features(
    image1: ArrayLike,
    image2: ArrayLike,
    *,
    chromatic: bool,
    options: dict[str, Any],
) -> tuple[ImageFeatures, ImageFeatures, int]:
    """Validate a pair and compute both images' features (and the factor)."""
    channel_axis = options.pop("channel_axis")
    first = prepare_image(image1, "image1", channel_axis)
    second = prepare_image(image2, "image2", channel_axis)
    check_pair_layout(
        first.layout, second.layout, first.array.shape, second.array.shape
    )
    feature_opts = feature_options((first, second), **options)
    if first.array is second.array:
        features = extract_features(
            first.array, first.layout, feature_opts, chromatic=chromatic, name="image1"
        )
        return features, features, feature_opts.factor
    # With two or more workers, the two images are processed at once, and
    # each image's FFTs share out the rest.
    parallel = feature_opts.threads >= 2
    if parallel:
        feature_opts = replace(feature_opts, threads=feature_opts.threads // 2)

    def features_of(item: tuple[PreparedImage, str]) -> ImageFeatures:
        prepared, name = item
        return extract_features(
            prepared.array,
            prepared.layout,
            feature_opts,
            chromatic=chromatic,
            name=name,
        )

    features1, features2 = map_pair(
        features_of, (first, "image1"), (second, "image2"), parallel=parallel
    )
    return features1, features2, feature_opts.factor


def fsim(
    image1: ArrayLike,
    image2: ArrayLike,
    /,
    *,
    data_range: float | None = None,
    channel_axis: int | None = None,
    chromatic: bool = False,
    downsample: bool | int = True,
    gradient: GradientSpec = "scharr",
    precision: Precision = "float64",
    workers: int | None = None,
) -> float:
    """Feature similarity index (FSIM, or FSIMc with ``chromatic=True``).

    FSIM compares two images by their phase congruency (how feature-like
    each point is) and gradient magnitude (local contrast), and pools the
    local similarity weighted by phase congruency, so that it counts most
    where either image has structure.  FSIMc also compares the YIQ
    chrominance.  This reproduces the authors' reference implementation,
    automatic downsampling included, to floating-point round-off.

    Parameters
    ----------
    image1, image2 : array_like
        The reference and distorted images: 2-D greyscale or 3-D RGB
        arrays of the same shape.  The score is symmetric in the two.
    data_range : float, optional
        Span of the values the images can take (255 for 8-bit).  Inferred
        from integer dtypes (uint8: 255, uint16: 65535); required for
        floating-point images.  Images are scaled by ``255 / data_range``,
        the range FSIM's constants assume; the scaled values must stay
        within 1e100 in magnitude, which keeps every step finite.
    channel_axis : int, optional
        Axis of the colour channels of 3-D images.  By default 2-D images
        are greyscale and 3-D images have channels last.
    chromatic : bool, optional
        Return FSIMc instead of FSIM.  For greyscale images both are equal.
    downsample : bool or int, optional
        ``True`` (default) applies the reference's automatic factor
        ``max(1, round(min(rows, cols) / 256))``; ``False`` processes the full
        image; an int is used as the factor.
    gradient : str, GradientOperator, pair of kernels or callable, optional
        Gradient operator: ``"scharr"`` (the reference's, for which the
        constant ``T2`` was tuned), ``"sobel"``, ``"prewitt"``, a
        :class:`GradientOperator`, a pair ``(kernel_x, kernel_y)``, or a
        function mapping a float image to its gradient magnitude.
    precision : {"float64", "float32"}, optional
        Precision of the phase-congruency FFTs.  ``"float32"`` is faster
        and deviates from the float64 score by about 1e-7.
    workers : int, optional
        Threads, with ``scipy.fft``'s meaning (``None``: one, negative:
        counted back from the number of CPUs), at most 64.  With two or
        more, the two images are processed at the same time, each with
        half the threads for its FFTs; the score is the same to the bit.
        For throughput over many pairs, :func:`fsim_batch` scores pairs in
        parallel.

    Returns
    -------
    float
        FSIM (or FSIMc), at most 1.  Identical images score exactly 1.0.

    Raises
    ------
    TypeError
        For arrays that are not real numeric (bool, complex, object), or
        options of the wrong type.
    ValueError
        For mismatched shapes or channel counts, arrays that are not 2-D or
        3-D, RGBA input, images that are empty or smaller than 2 x 2 after
        downsampling, NaN or infinite values, floating-point images without
        ``data_range``, values spanning more than ``data_range`` or too
        large once scaled (above), 64-bit integers beyond ``2**53`` (not
        exact in float64), gradient kernels whose absolute values sum
        above 1e50 or a gradient callable returning magnitudes above 1e150,
        ``workers`` above 64, or, as a last guard, a score that is not
        finite.

    See Also
    --------
    compare : both scores and all the maps.
    phase_congruency : the feature map on its own.

    Notes
    -----
    Where the reference returns NaN, fsimlib returns a number:

    * A constant image has phase congruency 0 everywhere (the reference
      divides 0 by 0).  A textured image compared with a flat one is then
      scored on the textured image's features.
    * If neither image has any phase congruency (for example, two flat
      images of different grey levels), the local similarity is averaged
      with equal weights instead of being weighted by phase congruency.

    References
    ----------
    .. [1] L. Zhang, L. Zhang, X. Mou and D. Zhang, "FSIM: A Feature
       Similarity Index for Image Quality Assessment", IEEE Trans. Image
       Processing 20(8):2378-2386, 2011.

    Examples
    --------
    >>> import numpy as np
    >>> import fsimlib
    >>> from skimage import data
    >>> reference = data.camera()
    >>> rng = np.random.default_rng(0)
    >>> noise = rng.normal(0, 15, reference.shape)
    >>> noisy = np.clip(reference + noise, 0, 255).astype(np.uint8)
    >>> round(fsimlib.fsim(reference, noisy), 4)
    0.8956
    >>> fsimlib.fsim(reference, reference)
    1.0
    """
    chromatic = check_flag(chromatic, "chromatic")
    features1, features2, _ = _pair_features(
        image1,
        image2,
        chromatic=chromatic,
        options={
            "data_range": data_range,
            "channel_axis": channel_axis,
            "downsample": downsample,
            "gradient": gradient,
            "precision": precision,
            "workers": workers,
        },
    )
    return pair_score(features1, features2, chromatic=chromatic)


def compare(
    image1: ArrayLike,
    image2: ArrayLike,
    /,
    *,
    data_range: float | None = None,
    channel_axis: int | None = None,
    downsample: bool | int = True,
    gradient: GradientSpec = "scharr",
    precision: Precision = "float64",
    workers: int | None = None,
) -> FSIMResult:
    """FSIM and FSIMc of a pair, with the maps behind them.

    Takes the same options as :func:`fsim` (except ``chromatic``: both
    scores are computed) and returns an :class:`FSIMResult`, as
    scikit-image's ``structural_similarity(..., full=True)`` returns the
    SSIM map.

    Parameters
    ----------
    image1, image2 : array_like
        The two images; see :func:`fsim`.
    data_range, channel_axis, downsample, gradient, precision, workers
        See :func:`fsim`.

    Returns
    -------
    FSIMResult
        Scores, the downsampling factor, and every map at the processing
        size.

    Raises
    ------
    TypeError, ValueError
        As :func:`fsim`.

    Examples
    --------
    >>> import fsimlib
    >>> from skimage import data
    >>> image = data.astronaut()
    >>> result = fsimlib.compare(image, image[:, ::-1])
    >>> result.downsample_factor, result.similarity_map.shape
    (2, (256, 256))
    >>> result.fsimc <= result.fsim
    True
    """
    features1, features2, factor = _pair_features(
        image1,
        image2,
        chromatic=True,
        options={
            "data_range": data_range,
            "channel_axis": channel_axis,
            "downsample": downsample,
            "gradient": gradient,
            "precision": precision,
            "workers": workers,
        },
    )
    return score_features(features1, features2, factor)
