"""FSIM's inner loops: compiled, or numpy and scipy.

Two implementations of the same loops:

* ``"compiled"``: ``fsimlib._ckernels``, built from ``_ckernels.c`` when
  fsimlib is installed with a C compiler at hand.  One pass over an
  orientation's responses, reading FFTW's row-padded output in place, and
  one over all orientations' energies; both gradient convolutions and the
  magnitude in one pass; the median's bracket in one pass (AVX-512 where
  the CPU has it) and its middle pair by histograms; box means of uint8
  images, the colour planes and FSIMc's chroma product in one pass each.
* ``"numpy"``: the same arithmetic as numpy ufunc calls and
  ``scipy.ndimage.convolve``, always available, with many more passes over
  the data.

Both give the same numbers to a few units in the last place (the tests
compare them).  The compiled loops are used when they are built; the numpy
ones otherwise, or inside :func:`use_loops`, which tests and benchmarks
use to compare the two.  Both are registered by name in :data:`LOOPS` (a
:class:`~fsimlib.backends._seam.Seam`, as the FFT engines are).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from ._seam import Seam

KernelName = Literal["compiled", "numpy"]


_Complex = NDArray[np.complexfloating]
_Real = NDArray[np.floating]
_F64 = NDArray[np.float64]

# The loops' signatures (all arguments positional, as the C functions take
# them); what each does is in Kernels' docstring.
_FilterProduct = Callable[[_Complex, _Real, _Complex], None]
_OrientedEnergy = Callable[[_Complex, float, _Real, _Real, _Real], None]
_CombineEnergy = Callable[[_Real, Sequence[float], _Real, _F64], None]
_PooledSums = Callable[
    [_F64, _F64, _F64, _F64, _F64 | None, float, float],
    tuple[float, float, float, float, float],
]
_BoxMean = Callable[[NDArray[np.uint8], int, _F64], None]
_GradientMagnitude = Callable[[_F64, _F64, _F64, _F64], None]
_CountAndCollect = Callable[[_Real, float, float, _Real], tuple[int, int]]
_WeightedPlanes = Callable[[_F64, float, _F64, Sequence[_F64]], None]
_SelectRanks = Callable[[_Real, int, int], tuple[float, float]]
_ChromaProduct = Callable[[_F64, _F64, _F64, _F64, float, float, _F64], int]


@dataclass(frozen=True)
class Kernels:
    """One implementation of the loops.

    Attributes
    ----------
    name : {"compiled", "numpy"}
        Which implementation.
    filter_product : callable
        ``filter_product(spectrum, filters, out)`` sets
        ``out[s] = spectrum * filters[s]`` for every scale ``s``
        (``spectrum`` and ``out`` may have padded rows).
    oriented_energy : callable
        ``oriented_energy(responses, epsilon, energy, amplitude, magnitude)``
        writes one orientation's phase-deviation energy to ``energy``, adds
        its summed amplitude to ``amplitude`` and writes ``|responses[0]|``
        to ``magnitude`` (see :func:`numpy_oriented_energy`).
    combine_energy : callable
        ``combine_energy(energies, thresholds, amplitude, out)`` writes the
        phase congruency ``sum_o max(energies[o] - thresholds[o], 0) /
        amplitude`` to the float64 ``out`` (see
        :func:`numpy_combine_energy`).
    pooled_sums : callable
        ``pooled_sums(pc1, pc2, g1, g2, chroma, t1, t2)`` returns
        ``(sum w, sum S_L w, sum S_L, sum S_L C w, sum S_L C)`` with
        ``S_L = S_G S_PC`` (see :func:`similarity_map`), ``w = max(pc1, pc2)``
        and ``C`` the chroma map (the last two are 0 if it is ``None``).
    chroma_product : callable
        ``chroma_product(i1, i2, q1, q2, t3, t4, out)`` writes
        ``S_I * S_Q`` (see :func:`similarity_map`) to ``out`` and returns
        the number of negative entries.
    gradient_magnitude : callable
        ``gradient_magnitude(image, kernel_x, kernel_y, out)`` writes
        ``sqrt(gx**2 + gy**2)`` to ``out``, ``gx`` and ``gy`` the zero-padded
        "same" convolutions of the float64 image with the two kernels
        (C-contiguous, odd sides).
    count_and_collect : callable
        ``count_and_collect(values, low, high, out)`` returns the number of
        ``values`` below ``low`` and the number in ``[low, high]``, which it
        copies, in order, to the start of ``out``.
    select_ranks : callable
        ``select_ranks(values, low_rank, high_rank)`` returns the
        ``low_rank``-th and ``high_rank``-th smallest of the 1-D ``values``
        (``high_rank`` is ``low_rank`` or ``low_rank + 1``), and may reorder
        ``values``.
    weighted_planes : callable
        ``weighted_planes(pixels, scale, weights, outs)`` sets ``outs[k]``
        to ``sum_c weights[k, c] * (pixels[..., c] * scale)`` for a
        C-contiguous ``(rows, cols, 3)`` float64 image: the colour planes
        (Y, I, Q) of the downsampled channels, in one pass each.
    box_mean_u8 : callable or None
        ``box_mean_u8(image, factor, out)`` writes the reference-aligned
        box means of a C-contiguous 2-D or 3-D uint8 image (see
        :func:`fsimlib.box_downsample`) to ``out``; ``None`` where only the
        general numpy path exists.
    needs_contiguous : bool
        Whether ``responses`` must be C-contiguous (the numpy loops run
        about twice as slowly on FFTW's row-padded output); the compiled
        loops read the padded rows in place.
    """

    name: KernelName
    filter_product: _FilterProduct
    oriented_energy: _OrientedEnergy
    combine_energy: _CombineEnergy
    pooled_sums: _PooledSums
    chroma_product: _ChromaProduct
    gradient_magnitude: _GradientMagnitude
    count_and_collect: _CountAndCollect
    select_ranks: _SelectRanks
    weighted_planes: _WeightedPlanes
    box_mean_u8: _BoxMean | None
    needs_contiguous: bool


def numpy_filter_product(
    spectrum: NDArray[np.complexfloating],
    filters: NDArray[np.floating],
    out: NDArray[np.complexfloating],
    /,
) -> None:
    """Set ``out[s] = spectrum * filters[s]`` for every scale ``s``."""
    np.multiply(spectrum, filters, out=out)


def numpy_oriented_energy(
    responses: NDArray[np.complexfloating],
    epsilon: float,
    energy: NDArray[np.floating],
    amplitude: NDArray[np.floating],
    magnitude: NDArray[np.floating],
    /,
) -> None:
    """Phase-deviation energy and amplitude of one orientation.

    With ``EO_s = E_s + i O_s`` and the normalised mean phase vector
    ``m = sum_s EO_s / (|sum_s EO_s| + epsilon)``, the reference's energy is
    ``sum_s (E_s mE + O_s mO - |E_s mO - O_s mE|)``.  Since
    ``EO_s conj(m) = (E_s mE + O_s mO) - i (E_s mO - O_s mE)``, the first part
    sums to ``|sum EO|**2 / (|sum EO| + epsilon)``, and only the second needs
    a pass per scale: ``|Im(EO_s conj(m))|``.  This equals the reference to
    round-off with far fewer passes over the data.

    Parameters
    ----------
    responses : ndarray, shape (n_scales, rows, cols)
        Complex responses ``EO_s`` of one orientation.
    epsilon : float
        Added to the local energy before normalising the mean phase vector.
    energy : ndarray, shape (rows, cols)
        Receives the energy (before the noise threshold).
    amplitude : ndarray, shape (rows, cols)
        The summed amplitude ``sum_s |EO_s|`` is added to it.
    magnitude : ndarray, shape (rows, cols)
        Receives ``|EO_0|``, whose squared median is the noise estimate.
    """
    total = responses.sum(axis=0)
    local = np.abs(total)
    norm = local + epsilon
    # conj(m), from two real divisions (a complex-by-real division is slower).
    direction = np.empty_like(total)
    np.divide(total.real, norm, out=direction.real)
    np.divide(total.imag, norm, out=direction.imag)
    np.negative(direction.imag, out=direction.imag)
    np.multiply(local, local, out=energy)
    energy /= norm
    # One scale at a time, so that the temporaries stay in cache.
    rotated = np.empty_like(total)
    plane = np.empty_like(local)
    for scale, response in enumerate(responses):
        np.multiply(response, direction, out=rotated)
        energy -= np.abs(rotated.imag, out=plane)
        amplitude += np.abs(response, out=magnitude if scale == 0 else plane)


def numpy_combine_energy(
    energies: NDArray[np.floating],
    thresholds: Sequence[float],
    amplitude: NDArray[np.floating],
    out: NDArray[np.float64],
    /,
) -> None:
    """Phase congruency from every orientation's energy and noise threshold.

    Writes ``sum_o max(energies[o] - thresholds[o], 0)``, summed in float64
    in orientation order, divided by ``amplitude`` where it is positive.
    Where the amplitude is 0 every response is 0, so the energy is
    ``max(-T, 0) = 0`` already and is left as it is.
    """
    out[...] = 0.0
    for energy, threshold in zip(energies, thresholds, strict=True):
        # The threshold in the energy's precision, as the compiled loop has it.
        above = energy - energy.dtype.type(threshold)
        np.maximum(above, 0, out=above)
        out += above
    np.divide(out, amplitude, out=out, where=amplitude > 0)


def similarity_map(
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


def numpy_pooled_sums(  # noqa: PLR0917 (mirrors the C function's call)
    pc1: NDArray[np.float64],
    pc2: NDArray[np.float64],
    g1: NDArray[np.float64],
    g2: NDArray[np.float64],
    chroma: NDArray[np.float64] | None,
    t1: float,
    t2: float,
    /,
) -> tuple[float, float, float, float, float]:
    """Return the pooled sums of FSIM and FSIMc, computed from the maps."""
    local = similarity_map(g1, g2, t2) * similarity_map(pc1, pc2, t1)
    weight = np.maximum(pc1, pc2)
    sums = (float(weight.sum()), float((local * weight).sum()), float(local.sum()))
    if chroma is None:
        return (*sums, 0.0, 0.0)
    local_c = local * chroma
    return (*sums, float((local_c * weight).sum()), float(local_c.sum()))


def numpy_gradient_magnitude(
    image: NDArray[np.float64],
    kernel_x: NDArray[np.float64],
    kernel_y: NDArray[np.float64],
    out: NDArray[np.float64],
    /,
) -> None:
    """Gradient magnitude with two ``scipy.ndimage.convolve`` calls."""
    gx = ndimage.convolve(image, kernel_x, mode="constant", cval=0.0)
    gy = ndimage.convolve(image, kernel_y, mode="constant", cval=0.0)
    gx *= gx
    gy *= gy
    gx += gy
    np.sqrt(gx, out=out)


def numpy_count_and_collect(
    values: NDArray[np.floating],
    low: float,
    high: float,
    out: NDArray[np.floating],
    /,
) -> tuple[int, int]:
    """Count the values below ``low``; collect those in ``[low, high]``."""
    flat = values.ravel()
    inside = flat[(flat >= low) & (flat <= high)]
    out.ravel()[: inside.size] = inside
    return int(np.count_nonzero(flat < low)), int(inside.size)


def numpy_chroma_product(  # noqa: PLR0917 (mirrors the C function's call)
    i1: NDArray[np.float64],
    i2: NDArray[np.float64],
    q1: NDArray[np.float64],
    q2: NDArray[np.float64],
    t3: float,
    t4: float,
    out: NDArray[np.float64],
    /,
) -> int:
    """Write ``S_I * S_Q`` to ``out``; return how many entries are negative."""
    np.multiply(similarity_map(i1, i2, t3), similarity_map(q1, q2, t4), out=out)
    return int(np.count_nonzero(out < 0))


def numpy_select_ranks(
    values: NDArray[np.floating], low_rank: int, high_rank: int, /
) -> tuple[float, float]:
    """Return the ``low_rank``-th and ``high_rank``-th smallest of ``values``."""
    chosen = np.partition(values, (low_rank, high_rank))
    return float(chosen[low_rank]), float(chosen[high_rank])


def numpy_weighted_planes(
    pixels: NDArray[np.float64],
    scale: float,
    weights: NDArray[np.float64],
    outs: Sequence[NDArray[np.float64]],
    /,
) -> None:
    """Set ``outs[k] = sum_c weights[k, c] * (pixels[..., c] * scale)``."""
    red, green, blue = (pixels[..., c] * scale for c in range(3))
    for (w_red, w_green, w_blue), out in zip(weights, outs, strict=True):
        np.copyto(out, w_red * red + w_green * green + w_blue * blue)


NUMPY = Kernels(
    "numpy",
    numpy_filter_product,
    numpy_oriented_energy,
    numpy_combine_energy,
    numpy_pooled_sums,
    numpy_chroma_product,
    numpy_gradient_magnitude,
    numpy_count_and_collect,
    numpy_select_ranks,
    numpy_weighted_planes,
    box_mean_u8=None,
    needs_contiguous=True,
)


def _load_compiled() -> Kernels | None:
    try:
        from fsimlib import _ckernels
    except ImportError:
        return None
    return Kernels(
        "compiled",
        _ckernels.filter_product,
        _ckernels.oriented_energy,
        _ckernels.combine_energy,
        _ckernels.pooled_sums,
        _ckernels.chroma_product,
        _ckernels.gradient_magnitude,
        _ckernels.count_and_collect,
        _ckernels.select_ranks,
        _ckernels.weighted_planes,
        box_mean_u8=_ckernels.box_mean_u8,
        needs_contiguous=False,
    )


COMPILED: Kernels | None = _load_compiled()

#: The loops by name, fastest first; the choice in force.
LOOPS: Seam[Kernels] = Seam(
    "inner-loop implementation",
    {"compiled": lambda: COMPILED, "numpy": lambda: NUMPY},
    requirements={"compiled": "the C extension fsimlib._ckernels"},
)


def available_loops() -> tuple[KernelName, ...]:
    """Names of the inner-loop implementations installed, fastest first.

    fsimlib's inner loops (the per-orientation phase-congruency work, the
    gradient magnitude, the noise median's bracket and the pooled sums) are
    compiled from C when fsimlib is installed with a C compiler at hand;
    the numpy versions are always there.  Both give the same scores to
    about 1e-15; the compiled ones take about half the time per pair.

    Returns
    -------
    tuple of str
        ``("compiled", "numpy")``, or ``("numpy",)`` where the C extension
        was not built.

    See Also
    --------
    use_loops : choose the implementation for a block of code.

    Examples
    --------
    >>> import fsimlib
    >>> fsimlib.backends.available_loops()[-1]
    'numpy'
    """
    return LOOPS.available()  # type: ignore[return-value]


def get_kernels() -> Kernels:
    """Return the loops in force: the innermost :func:`use_loops`, else the best."""
    return LOOPS.get()


def use_loops(name: KernelName) -> contextlib.AbstractContextManager[None]:
    """Use the inner loops called ``name`` inside a ``with`` block.

    The choice holds in the current thread (and context), as
    :func:`use_fft_engine`'s does, and in the threads fsimlib starts for
    the calls made inside the block.  Outside any such block the fastest
    available implementation is used.

    Parameters
    ----------
    name : {"compiled", "numpy"}
        The implementation (see :func:`available_loops`).

    Returns
    -------
    contextlib.AbstractContextManager
        Inside its ``with`` block, fsimlib runs the loops called ``name``.

    Raises
    ------
    ValueError
        If ``name`` is unknown, or ``"compiled"`` where the C extension was
        not built (checked when called, before the block runs).
    TypeError
        If ``name`` is not a str.

    Examples
    --------
    Blocks nest; the innermost choice holds:

    >>> import numpy as np
    >>> import fsimlib
    >>> image = np.random.default_rng(0).random((48, 48))
    >>> with fsimlib.backends.use_loops("numpy"):
    ...     pc_numpy = fsimlib.phase_congruency(image)
    ...     with fsimlib.backends.use_loops(fsimlib.backends.available_loops()[0]):
    ...         pc_best = fsimlib.phase_congruency(image)
    >>> bool(np.allclose(pc_numpy, pc_best, rtol=0, atol=1e-12))
    True
    """
    return LOOPS.use(name)
