"""FSIM and FSIMc of a pair of images: :func:`fsim` and :func:`compare`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from numpy.typing import ArrayLike

from ._features import ImageFeatures, extract_features
from ._options import FSIMKeywords, FSIMOptions, document_options, options_from_keywords
from ._pair import (
    FSIMResult,
    PreparedImage,
    feature_options,
    pair_score,
    prepare_image,
    score_features,
)
from ._parallel import map_pair
from ._validation import check_flag, check_pair_layout

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["FSIMResult", "compare", "fsim"]

#: What fsim() and compare() do with their threads.
_PAIR_WORKERS = (
    "With two or more, the two images are processed at the same time, each "
    "with half the threads for its FFTs.  For throughput over many pairs, "
    ":func:`fsim_batch` scores pairs in parallel."
)


def _pair_features(
    image1: ArrayLike,
    image2: ArrayLike,
    *,
    chromatic: bool,
    options: FSIMOptions,
    workers: int | None,
) -> tuple[ImageFeatures, ImageFeatures, int]:
    """Validate a pair and compute both images' features (and the factor)."""
    first = prepare_image(image1, "image1", options.channel_axis)
    second = prepare_image(image2, "image2", options.channel_axis)
    check_pair_layout(
        first.layout, second.layout, first.array.shape, second.array.shape
    )
    feature_opts = feature_options((first, second), options, workers)
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


@document_options(workers=_PAIR_WORKERS)
def fsim(
    image1: ArrayLike,
    image2: ArrayLike,
    /,
    *,
    chromatic: bool = False,
    workers: int | None = None,
    **options: Unpack[FSIMKeywords],
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
    chromatic : bool, optional
        Return FSIMc instead of FSIM.  For greyscale images both are equal.
    {options}

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
        large once scaled (see ``data_range``), 64-bit integers beyond
        ``2**53`` (not exact in float64), gradient kernels whose absolute values sum
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
    fsim_options = options_from_keywords("fsim", options)
    chromatic = check_flag(chromatic, "chromatic")
    features1, features2, _ = _pair_features(
        image1, image2, chromatic=chromatic, options=fsim_options, workers=workers
    )
    return pair_score(features1, features2, chromatic=chromatic)


@document_options(workers=_PAIR_WORKERS)
def compare(
    image1: ArrayLike,
    image2: ArrayLike,
    /,
    *,
    workers: int | None = None,
    **options: Unpack[FSIMKeywords],
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
    {options}

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
    fsim_options = options_from_keywords("compare", options)
    features1, features2, factor = _pair_features(
        image1, image2, chromatic=True, options=fsim_options, workers=workers
    )
    return score_features(features1, features2, factor)
