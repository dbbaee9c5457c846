"""Reference reuse: one prepared reference against 16 distorted images.

Times ``ref = fsimlib.Reference(img); [ref.fsim(d) for d in dists]``
(preparing the reference included) against 16 independent
``fsimlib.fsim(img, d)`` calls, interleaved, for several rounds, and
reports the ratio of the medians.  Target: at most 0.6 (the floor is
17/32 = 0.53: 17 images' work instead of 32).

Run on its own: ``python benchmarks/reference_reuse.py``.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from _common import format_table, interleaved, make_pair, median, ms, shape_label

import fsimlib

N_DISTORTED = 16
SHAPE = (512, 512)


def distorted_set(
    shape: tuple[int, int], *, colour: bool
) -> tuple[np.ndarray, list[np.ndarray]]:
    """A reference and 16 seeded noisy versions of it."""
    ref, _ = make_pair(shape, colour=colour, seed=0)
    rng = np.random.default_rng(16)
    dists = []
    for level in np.linspace(2.0, 30.0, N_DISTORTED):
        noisy = ref + rng.normal(0.0, level, ref.shape)
        dists.append(np.clip(np.rint(noisy), 0, 255).astype(np.uint8))
    return ref, dists


def run(*, rounds: int = 7, shape: tuple[int, int] = SHAPE) -> list[dict[str, Any]]:
    out = []
    for colour in (False, True):
        ref, dists = distorted_set(shape, colour=colour)

        def independent(ref: np.ndarray = ref, dists: list = dists, c: bool = colour):
            return [fsimlib.fsim(ref, d, chromatic=c) for d in dists]

        def reused(ref: np.ndarray = ref, dists: list = dists, c: bool = colour):
            prepared = fsimlib.Reference(ref)
            return [prepared.fsim(d, chromatic=c) for d in dists]

        times, values = interleaved(
            {"independent": independent, "reused": reused}, rounds=rounds
        )
        if values["independent"] != values["reused"]:
            msg = "Reference.fsim and fsim disagree: the comparison is void"
            raise RuntimeError(msg)
        independent_s = median(times["independent"])
        reused_s = median(times["reused"])
        out.append(
            {
                "size": shape_label(shape),
                "mode": "colour" if colour else "grey",
                "metric": "FSIMc" if colour else "FSIM",
                "pairs": N_DISTORTED,
                "independent_s": independent_s,
                "reused_s": reused_s,
                "ratio": reused_s / independent_s,
                "rounds": rounds,
            }
        )
    return out


def report(rows: list[dict[str, Any]]) -> str:
    body = [
        [
            r["size"],
            r["metric"],
            ms(r["independent_s"]),
            ms(r["reused_s"]),
            f"{r['ratio']:.2f}",
        ]
        for r in rows
    ]
    header = ["image", "metric", "16 x fsim() ms", "Reference + 16 ms", "ratio"]
    return f"Reference reuse ({N_DISTORTED} distorted images, 1 thread)\n" + (
        format_table(body, header)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(report(run(rounds=args.rounds)))


if __name__ == "__main__":
    main()
