"""The FFT floor: the FFTs alone that FSIM needs for one pair.

Per image, fsimlib's phase congruency runs one forward 2-D FFT of the
processing-size luminance and, for each of the ``n_orientations`` (4)
orientations, one batched inverse FFT of ``n_scales`` (4) planes: the
responses of that orientation at every scale
(``src/fsimlib/_phase_congruency.py``, ``phase_congruency_map``).  A pair is
two images, so the floor is ``2 x (1 forward + 4 batched inverses of 4)``,
that is ``2 x (1 + 16)`` 2-D transforms, at ``ceil(H/F) x ceil(W/F)``.

The floor uses fsimlib's own engine and plans (the same padded scratch
buffers, planner flags and thread count), so the ratio of fsimlib's time to
it is the overhead of everything that is not an FFT.

Run on its own: ``python benchmarks/floor.py``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from _common import (
    N_ORIENTATIONS,
    N_SCALES,
    format_table,
    interleaved,
    median,
    ms,
    processing_shape,
    shape_label,
)

from fsimlib.backends._fft import get_engine

_COMPLEX = {"float64": np.dtype(np.complex128), "float32": np.dtype(np.complex64)}


def fft_floor_call(
    image_shape: tuple[int, int], *, precision: str = "float64", threads: int = 1
) -> Callable[[], None]:
    """A callable that runs the FFTs FSIM needs for one pair of ``image_shape``.

    Plans are made (and their inputs filled with seeded data) before the
    callable is returned, as they are in a warm fsimlib process.
    """
    shape = processing_shape(image_shape)
    dtype = _COMPLEX[precision]
    engine = get_engine()
    forward = engine.plan(shape, dtype, "forward", threads)
    inverse = engine.plan((N_SCALES, *shape), dtype, "backward", threads)
    rng = np.random.default_rng(0)
    forward.input[...] = rng.standard_normal(shape)
    inverse.input[...] = rng.standard_normal(inverse.input.shape)
    # The FFTs alone: fsimlib's pyFFTW transforms also copy each result out
    # of FFTW's padded buffer (a cost of fsimlib's, not of the FFT), so time
    # the bare FFTW plan where there is one.
    forward_fft = getattr(forward, "_fftw", forward).execute
    inverse_fft = getattr(inverse, "_fftw", inverse).execute

    def run() -> None:
        for _image in range(2):
            forward_fft()
            for _orientation in range(N_ORIENTATIONS):
                inverse_fft()

    return run


def fft_floor_seconds(
    image_shape: tuple[int, int],
    *,
    precision: str = "float64",
    threads: int = 1,
    rounds: int = 15,
) -> float:
    """Median time of the FFT floor of one pair (see :func:`fft_floor_call`)."""
    times, _ = interleaved(
        {"floor": fft_floor_call(image_shape, precision=precision, threads=threads)},
        rounds=rounds,
    )
    return median(times["floor"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    sizes = [(256, 256), (512, 512), (383, 500), (1000, 64), (2048, 2048)]
    rows = []
    for size in sizes:
        row: list[object] = [shape_label(size), shape_label(processing_shape(size))]
        for precision in ("float64", "float32"):
            for threads in (1, 2):
                seconds = fft_floor_seconds(
                    size, precision=precision, threads=threads, rounds=args.rounds
                )
                row.append(ms(seconds))
        rows.append(row)
    header = ["image", "processed", "f64 1t", "f64 2t", "f32 1t", "f32 2t"]
    print(f"FFT floor per pair (ms), engine {get_engine().name}")
    print(format_table(rows, header))


if __name__ == "__main__":
    main()
