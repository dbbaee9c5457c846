"""fsimlib: FSIM and FSIMc image-quality metrics, faithful to the reference.

The public surface is re-exported here from one private module per concept.
"""

from ._batch import fsim_batch
from ._cache import CacheInfo, cache_info, clear_caches
from ._colour import YIQ, rgb_to_yiq
from ._correlation import (
    Correlation,
    LogisticFit,
    correlate,
    correlate_groups,
    fit_logistic,
    logistic_5,
)
from ._downsample import automatic_factor, box_downsample
from ._examples import ExamplePair, example_pairs
from ._fft import available_fft_engines, use_fft_engine
from ._gradient import PREWITT, SCHARR, SOBEL, GradientOperator, GradientSpec
from ._io import LoadedImage, read_image
from ._kernels import available_loops, use_loops
from ._metric import compare, fsim
from ._pair import FSIMResult, Scores
from ._parameters import PhaseCongruencyParameters
from ._phase_congruency import phase_congruency
from ._pipeline import (
    PairRecord,
    ScoreFile,
    ScoreRecord,
    pair_folders,
    read_pairs_csv,
    score_pairs,
)
from ._reference import Reference
from ._version import __version__

__all__ = [
    "PREWITT",
    "SCHARR",
    "SOBEL",
    "YIQ",
    "CacheInfo",
    "Correlation",
    "ExamplePair",
    "FSIMResult",
    "GradientOperator",
    "GradientSpec",
    "LoadedImage",
    "LogisticFit",
    "PairRecord",
    "PhaseCongruencyParameters",
    "Reference",
    "ScoreFile",
    "ScoreRecord",
    "Scores",
    "__version__",
    "automatic_factor",
    "available_fft_engines",
    "available_loops",
    "box_downsample",
    "cache_info",
    "clear_caches",
    "compare",
    "correlate",
    "correlate_groups",
    "example_pairs",
    "fit_logistic",
    "fsim",
    "fsim_batch",
    "logistic_5",
    "pair_folders",
    "phase_congruency",
    "read_image",
    "read_pairs_csv",
    "rgb_to_yiq",
    "score_pairs",
    "use_fft_engine",
    "use_loops",
]
