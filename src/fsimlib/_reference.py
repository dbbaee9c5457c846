"""Score many distorted images against one prepared reference image."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._features import FeatureOptions, ImageFeatures, extract_features
from ._options import FSIMKeywords, document_options, options_from_keywords
from ._pair import (
    REFERENCE_RANGE,
    FSIMResult,
    PreparedImage,
    Scores,
    feature_options,
    pair_score,
    pair_scores,
    prepare_image,
    score_features,
)
from ._validation import (
    check_flag,
    check_pair_layout,
    check_scaled_values,
    check_values_within_range,
    resolve_data_range,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack


@document_options(
    workers="They are the FFT threads of each image (one image at a time)."
)
class Reference:
    """A reference image prepared once, to be scored against many others.

    Preparing computes the reference's downsampled channels, phase
    congruency and gradient map; :meth:`fsim` and :meth:`compare` then do
    only the distorted image's half of the work.  Scores are exactly those
    of :func:`fsimlib.fsim` with the same options.

    Parameters
    ----------
    image : array_like
        The reference image: 2-D greyscale or 3-D RGB.  It is not kept:
        only its features are.
    {options}

    Notes
    -----
    The options apply to every image scored against this reference.  With
    ``data_range=None`` the distorted images must have an integer dtype
    with the same range as the reference's.

    Examples
    --------
    >>> import numpy as np
    >>> import fsimlib
    >>> from skimage import data
    >>> image = data.camera()
    >>> reference = fsimlib.Reference(image)
    >>> rng = np.random.default_rng(1)
    >>> noisy = [
    ...     np.clip(image + rng.normal(0, s, image.shape), 0, 255).astype(np.uint8)
    ...     for s in (5, 20)
    ... ]
    >>> scores = [reference.fsim(d) for d in noisy]
    >>> scores[0] > scores[1]
    True
    >>> scores[1] == fsimlib.fsim(image, noisy[1])
    True
    """

    def __init__(
        self,
        image: ArrayLike,
        /,
        *,
        workers: int | None = None,
        **options: Unpack[FSIMKeywords],
    ) -> None:
        fsim_options = options_from_keywords("Reference.__init__", options)
        prepared = prepare_image(image, "reference", fsim_options.channel_axis)
        self._channel_axis = fsim_options.channel_axis
        self._options: FeatureOptions = feature_options(
            (prepared,), fsim_options, workers
        )
        self._dtype = prepared.array.dtype
        self._shape = prepared.array.shape
        self._layout = prepared.layout
        # With an explicit data_range, a distorted image is checked against
        # the span of both images, as fsim() checks a pair.
        self._options_range = REFERENCE_RANGE / self._options.scale
        self._value_bounds = (
            np.array([np.min(prepared.array), np.max(prepared.array)])
            if fsim_options.data_range is not None
            else None
        )
        self._features: ImageFeatures = extract_features(
            prepared.array,
            prepared.layout,
            self._options,
            chromatic=True,
            name="reference",
        )

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the reference image as given."""
        return tuple(self._shape)

    @property
    def downsample_factor(self) -> int:
        """The downsampling factor applied to every image."""
        return self._options.factor

    def _prepare_distorted(self, image: ArrayLike) -> PreparedImage:
        """Validate a distorted image against the reference, as fsim() would."""
        prepared = prepare_image(image, "image", self._channel_axis)
        check_pair_layout(
            self._layout, prepared.layout, self._shape, prepared.array.shape
        )
        if self._value_bounds is None:
            resolve_data_range(None, (self._dtype, prepared.array.dtype))
        else:
            low, high = check_values_within_range(
                (self._value_bounds, prepared.array), self._options_range
            )
            check_scaled_values(low, high, self._options_range, REFERENCE_RANGE)
        return prepared

    def _distorted_features(
        self, image: ArrayLike, *, chromatic: bool
    ) -> ImageFeatures:
        """Validate a distorted image and compute its features."""
        prepared = self._prepare_distorted(image)
        return extract_features(
            prepared.array, prepared.layout, self._options, chromatic=chromatic
        )

    def compare(self, image: ArrayLike, /) -> FSIMResult:
        """FSIM, FSIMc and the maps of ``image`` against the reference.

        Parameters
        ----------
        image : array_like
            The distorted image, of the reference's shape and channels.

        Returns
        -------
        FSIMResult
            As :func:`fsimlib.compare` (the reference is ``image1``).
        """
        features = self._distorted_features(image, chromatic=True)
        return score_features(self._features, features, self._options.factor)

    def fsim(self, image: ArrayLike, /, *, chromatic: bool = False) -> float:
        """FSIM (or FSIMc) of ``image`` against the reference.

        Parameters
        ----------
        image : array_like
            The distorted image, of the reference's shape and channels.
        chromatic : bool, optional
            Return FSIMc instead of FSIM.

        Returns
        -------
        float
            Exactly :func:`fsimlib.fsim` of the reference and ``image``.
        """
        chromatic = check_flag(chromatic, "chromatic")
        features = self._distorted_features(image, chromatic=chromatic)
        return pair_score(self._features, features, chromatic=chromatic)

    def scores(self, image: ArrayLike, /) -> Scores:
        """FSIM and FSIMc of ``image`` against the reference, in one pass.

        The distorted image's features are computed once and both scores
        pooled from them, without the maps :meth:`compare` builds: about
        half the work of calling :meth:`fsim` twice.

        Parameters
        ----------
        image : array_like
            The distorted image, of the reference's shape and channels.

        Returns
        -------
        Scores
            ``(fsim, fsimc)``: exactly ``self.fsim(image)`` and
            ``self.fsim(image, chromatic=True)``.

        Examples
        --------
        >>> import numpy as np
        >>> import fsimlib
        >>> from skimage import data
        >>> image = data.astronaut()
        >>> reference = fsimlib.Reference(image)
        >>> shifted = np.roll(image, 3, axis=1)
        >>> scores = reference.scores(shifted)
        >>> scores.fsim == reference.fsim(shifted)
        True
        >>> scores.fsimc == fsimlib.fsim(image, shifted, chromatic=True)
        True
        """
        features = self._distorted_features(image, chromatic=True)
        return pair_scores(self._features, features)
