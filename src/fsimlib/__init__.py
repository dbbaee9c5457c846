"""fsimlib: FSIM and FSIMc image-quality metrics, faithful to the reference.

The public surface is re-exported here from one private module per concept.
"""

from ._batch import fsim_batch
from ._caches import clear_caches
from ._colour import YIQ, rgb_to_yiq
from ._downsample import automatic_factor, box_downsample
from ._fft import available_fft_engines, use_fft_engine
from ._gradient import PREWITT, SCHARR, SOBEL, GradientOperator, GradientSpec
from ._metric import FSIMResult, compare, fsim
from ._parameters import PhaseCongruencyParameters
from ._phase_congruency import phase_congruency
from ._reference import Reference

__version__ = "0.1.0"

__all__ = [
    "PREWITT",
    "SCHARR",
    "SOBEL",
    "YIQ",
    "FSIMResult",
    "GradientOperator",
    "GradientSpec",
    "PhaseCongruencyParameters",
    "Reference",
    "__version__",
    "automatic_factor",
    "available_fft_engines",
    "box_downsample",
    "clear_caches",
    "compare",
    "fsim",
    "fsim_batch",
    "phase_congruency",
    "rgb_to_yiq",
    "use_fft_engine",
]
