"""Cold start: the first fsim() call of a fresh process against warm calls.

Each trial starts a new Python process that imports fsimlib and makes the
images (neither is timed), then times its very first ``fsim`` call (no FFT
plans, no filter bank, nothing cached yet) and then warm calls on the same
pair.  The import time is reported separately.  Target: cold at most 3x
warm.

Run on its own: ``python benchmarks/cold_start.py``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
from _common import format_table, ms

CASES: list[tuple[tuple[int, int], bool]] = [
    ((512, 512), True),
    ((512, 512), False),
    ((383, 500), False),
]
WARM_CALLS = 9


#: What the fresh process runs: argv is rows, cols, colour (0/1), bench dir.
CHILD = """
import json, sys, time
start = time.perf_counter()
import fsimlib
import_s = time.perf_counter() - start
rows, cols, colour = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
sys.path.insert(0, sys.argv[4])
import numpy as np
from _common import make_pair
ref, dist = make_pair((rows, cols), colour=colour)
# fsimlib imports pyFFTW on first use; pyFFTW's own package import pulls in
# dask.array when dask is installed.  Time that apart from the first call.
start = time.perf_counter()
fsimlib.available_fft_engines()
engine_s = time.perf_counter() - start
start = time.perf_counter()
fsimlib.fsim(ref, dist, chromatic=colour)
cold_s = time.perf_counter() - start
warm = []
for _ in range(int(sys.argv[5])):
    start = time.perf_counter()
    fsimlib.fsim(ref, dist, chromatic=colour)
    warm.append(time.perf_counter() - start)
print(json.dumps({"import_s": import_s, "engine_s": engine_s, "cold_s": cold_s,
                  "warm_s": float(np.median(warm))}))
"""


def trial(shape: tuple[int, int], colour: bool) -> dict[str, float]:
    command = [
        sys.executable,
        "-c",
        CHILD,
        str(shape[0]),
        str(shape[1]),
        str(int(colour)),
        str(Path(__file__).resolve().parent),
        str(WARM_CALLS),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(*, trials: int = 5) -> list[dict[str, Any]]:
    out = []
    for shape, colour in CASES:
        results = [trial(shape, colour) for _ in range(trials)]
        # The cold-start measure: the first call of a fresh process against a
        # warm one, counting pyFFTW's one-off import as part of the first
        # call; "planning" leaves that import out.
        ratios = [(r["engine_s"] + r["cold_s"]) / r["warm_s"] for r in results]
        planning = [r["cold_s"] / r["warm_s"] for r in results]
        out.append(
            {
                "size": f"{shape[0]}x{shape[1]}",
                "metric": "FSIMc" if colour else "FSIM",
                "trials": trials,
                "import_s": float(np.median([r["import_s"] for r in results])),
                "engine_s": float(np.median([r["engine_s"] for r in results])),
                "cold_s": float(np.median([r["cold_s"] for r in results])),
                "warm_s": float(np.median([r["warm_s"] for r in results])),
                "ratio": float(np.median(ratios)),
                "ratios": ratios,
                "ratio_planning": float(np.median(planning)),
            }
        )
    return out


def report(rows: list[dict[str, Any]]) -> str:
    body = [
        [
            r["size"],
            r["metric"],
            ms(r["import_s"]),
            ms(r["engine_s"]),
            ms(r["cold_s"]),
            ms(r["warm_s"]),
            f"{r['ratio']:.2f}",
            f"{r['ratio_planning']:.2f}",
        ]
        for r in rows
    ]
    header = [
        "image",
        "metric",
        "import fsimlib ms",
        "import pyFFTW ms",
        "first call ms",
        "warm ms",
        "(pyFFTW + first) / warm",
        "first / warm",
    ]
    return "Cold first call in a fresh process (median of trials)\n" + format_table(
        body, header
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    args = parser.parse_args()
    print(report(run(trials=args.trials)))


if __name__ == "__main__":
    main()
