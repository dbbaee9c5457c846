"""fsimlib: FSIM and FSIMc image-quality metrics, faithful to the reference.

The top level holds what a metric user needs: the metric (:func:`fsim`,
:func:`compare`, :class:`Reference`, :func:`fsim_batch`), its options
(:class:`FSIMOptions` and its :class:`FSIMKeywords`,
:class:`PhaseCongruencyParameters`, the gradient operators), the feature
map (:func:`phase_congruency`), the preprocessing it applies, and reading
images.  The layers around it are subpackages:

* :mod:`fsimlib.datasets`: tables of image-file pairs, scored on any
  executor into resumable score files;
* :mod:`fsimlib.stats`: correlation with opinion scores, logistic fit;
* :mod:`fsimlib.backends`: FFT engines, inner loops and caches;
* :mod:`fsimlib.databases`: the published IQA databases, evaluated whole.
"""

from . import backends, datasets, stats
from ._batch import fsim_batch
from ._colour import YIQ, rgb_to_yiq
from ._downsample import automatic_factor, box_downsample
from ._examples import ExamplePair, example_pairs
from ._gradient import PREWITT, SCHARR, SOBEL, GradientOperator, GradientSpec
from ._io import LoadedImage, read_image
from ._metric import compare, fsim
from ._options import FSIMKeywords, FSIMOptions
from ._pair import FSIMResult, Scores
from ._parameters import PhaseCongruencyParameters
from ._phase_congruency import phase_congruency
from ._reference import Reference
from ._version import __version__

__all__ = [
    "PREWITT",
    "SCHARR",
    "SOBEL",
    "YIQ",
    "ExamplePair",
    "FSIMKeywords",
    "FSIMOptions",
    "FSIMResult",
    "GradientOperator",
    "GradientSpec",
    "LoadedImage",
    "PhaseCongruencyParameters",
    "Reference",
    "Scores",
    "__version__",
    "automatic_factor",
    "backends",
    "box_downsample",
    "compare",
    "datasets",
    "example_pairs",
    "fsim",
    "fsim_batch",
    "phase_congruency",
    "read_image",
    "rgb_to_yiq",
    "stats",
]
