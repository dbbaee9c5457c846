"""Compiled against numpy loops, and estimated against measured FFTW plans.

fsimlib's inner loops (the per-orientation phase-congruency work, the
gradient magnitude, the noise median's bracket and the pooled sums) are
compiled from ``src/fsimlib/_ckernels.c`` when a C compiler is at hand at
install time; otherwise the numpy versions run.  This times ``fsim`` with
each, interleaved, on one thread, to show what the compiled loops are
worth (and what an installation without a compiler gives up).  It also
times the default FFT engine (FFTW_ESTIMATE plans) against the opt-in
``"pyfftw-measure"`` engine, after a warm-up call that makes its plans.

Run on its own: ``python benchmarks/loops.py``.
"""

from __future__ import annotations

import argparse
from typing import Any

from _common import format_table, interleaved, make_pair, median, ms, shape_label

import fsimlib
from fsimlib.backends._loops import available_loops, use_loops

SHAPES = ((512, 512), (1024, 1024), (383, 500))
#: 512 x 512 and the data-set shape of KADID-10k (512 wide, 384 high).
PLANNING_SHAPES = ((512, 512), (384, 512))


def run(*, rounds: int = 9) -> list[dict[str, Any]]:
    if "compiled" not in available_loops():
        msg = "fsimlib._ckernels is not built: nothing to compare"
        raise RuntimeError(msg)
    out = []
    for shape in SHAPES:
        for colour in (False, True):
            ref, dist = make_pair(shape, colour=colour)

            def with_loops(
                name: str, ref: Any = ref, dist: Any = dist, colour: bool = colour
            ) -> Any:
                def call() -> float:
                    with use_loops(name):  # type: ignore[arg-type]
                        return fsimlib.fsim(ref, dist, chromatic=colour)

                return call

            times, values = interleaved(
                {"compiled": with_loops("compiled"), "numpy": with_loops("numpy")},
                rounds=rounds,
            )
            compiled_s, numpy_s = median(times["compiled"]), median(times["numpy"])
            out.append(
                {
                    "size": shape_label(shape),
                    "mode": "colour" if colour else "grey",
                    "compiled_s": compiled_s,
                    "numpy_s": numpy_s,
                    "speedup": numpy_s / compiled_s,
                    "score_difference": abs(values["compiled"] - values["numpy"]),
                    "rounds": rounds,
                }
            )
    return out


def run_planning(*, rounds: int = 9) -> list[dict[str, Any]]:
    """FSIMc with estimated and with measured FFTW plans, interleaved."""
    if "pyfftw-measure" not in fsimlib.backends.available_fft_engines():
        return []
    out = []
    for shape in PLANNING_SHAPES:
        ref, dist = make_pair(shape, colour=True)

        def with_engine(name: str, ref: Any = ref, dist: Any = dist) -> Any:
            def call() -> float:
                with fsimlib.backends.use_fft_engine(name):
                    return fsimlib.fsim(ref, dist, chromatic=True)

            return call

        times, values = interleaved(
            {
                "pyfftw": with_engine("pyfftw"),
                "pyfftw-measure": with_engine("pyfftw-measure"),
            },
            rounds=rounds,
        )
        estimate_s = median(times["pyfftw"])
        measure_s = median(times["pyfftw-measure"])
        out.append(
            {
                "size": shape_label(shape),
                "estimate_s": estimate_s,
                "measure_s": measure_s,
                "speedup": estimate_s / measure_s,
                "score_difference": abs(values["pyfftw"] - values["pyfftw-measure"]),
            }
        )
    return out


def report_planning(rows: list[dict[str, Any]]) -> str:
    body = [
        [
            r["size"],
            ms(r["estimate_s"]),
            ms(r["measure_s"]),
            f"{r['speedup']:.2f}",
            f"{r['score_difference']:.1e}",
        ]
        for r in rows
    ]
    header = ["image", "pyfftw ms", "pyfftw-measure ms", "speed-up", "|diff|"]
    return "FFT planning: estimated against measured plans (FSIMc, 1 thread)\n" + (
        format_table(body, header)
    )


def report(rows: list[dict[str, Any]]) -> str:
    body = [
        [
            r["size"],
            r["mode"],
            ms(r["compiled_s"]),
            ms(r["numpy_s"]),
            f"{r['speedup']:.2f}",
            f"{r['score_difference']:.1e}",
        ]
        for r in rows
    ]
    header = ["image", "mode", "compiled ms", "numpy ms", "numpy / compiled", "|diff|"]
    return "Compiled loops against numpy loops (fsim, 1 thread)\n" + format_table(
        body, header
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    print(report(run(rounds=args.rounds)))
    print(report_planning(run_planning(rounds=args.rounds)))


if __name__ == "__main__":
    main()
