"""Peak memory of scoring an 8000 x 8000 RGB uint8 pair, in a fresh process.

The child process imports fsimlib, warms it up on a small pair, makes the
two 192 MB inputs (without any full-size float temporary), then resets the
kernel's peak-RSS counter (``echo 5 > /proc/self/clear_refs``, Linux) so
that the peak covers the scoring call only, scores the pair with
``fsim(..., chromatic=True)`` and reads the peak resident set size
(``VmHWM`` in ``/proc/self/status``).  Where the counter cannot be reset,
``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is used and the peak also
covers making the inputs; the report says which.

Reported: the peak RSS of the process (interpreter, libraries and the
inputs included), the inputs' own size, the peak minus the inputs, and the
peak minus the RSS just before the call (what the call itself added).
Target: peak well under 2 GB.

Run on its own: ``python benchmarks/memory.py``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import format_table

SIDE = 8000

#: What the fresh process runs: argv is side, precision.
CHILD = """
import json, resource, sys, time
from pathlib import Path
import numpy as np
import fsimlib
from skimage import data

side, precision = int(sys.argv[1]), sys.argv[2]

def status_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)

# Warm up on a small pair: imports, engine and plan machinery.
small = data.astronaut()
fsimlib.fsim(small, small[::-1], chromatic=True, precision=precision)

tiles = -(-side // small.shape[0])
ref = np.ascontiguousarray(np.tile(small, (tiles, tiles, 1))[:side, :side])
rng = np.random.default_rng(8000)
dist = np.empty_like(ref)
for start in range(0, side, 500):
    chunk = ref[start:start + 500].astype(np.int16)
    chunk += rng.integers(-12, 13, chunk.shape, dtype=np.int16)
    np.clip(chunk, 0, 255, out=chunk)
    dist[start:start + 500] = chunk
del chunk

try:
    Path("/proc/self/clear_refs").write_text("5")
    method = "VmHWM after clear_refs"
except OSError:
    method = "ru_maxrss (includes making the inputs)"
baseline = status_kib("VmRSS") * 1024
start = time.perf_counter()
score = fsimlib.fsim(ref, dist, chromatic=True, precision=precision)
seconds = time.perf_counter() - start
if method.startswith("VmHWM"):
    peak = status_kib("VmHWM") * 1024
else:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({
    "method": method, "peak_rss": peak, "baseline_rss": baseline,
    "inputs": ref.nbytes + dist.nbytes, "seconds": seconds, "score": score,
}))
"""


def measure(side: int, precision: str) -> dict[str, Any]:
    command = [sys.executable, "-c", CHILD, str(side), precision]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(
        size=f"{side}x{side}x3",
        precision=precision,
        peak_minus_inputs=result["peak_rss"] - result["inputs"],
        call_added=result["peak_rss"] - result["baseline_rss"],
    )
    return result


def run(*, side: int = SIDE) -> list[dict[str, Any]]:
    return [measure(side, precision) for precision in ("float64", "float32")]


def report(rows: list[dict[str, Any]]) -> str:
    mb = 1e6
    body = [
        [
            r["size"],
            r["precision"],
            f"{r['peak_rss'] / mb:.0f}",
            f"{r['inputs'] / mb:.0f}",
            f"{r['peak_minus_inputs'] / mb:.0f}",
            f"{r['call_added'] / mb:.0f}",
            f"{r['seconds']:.2f}",
        ]
        for r in rows
    ]
    header = [
        "RGB pair",
        "precision",
        "peak RSS MB",
        "inputs MB",
        "peak - inputs MB",
        "added by call MB",
        "time s",
    ]
    method = rows[0]["method"] if rows else ""
    return f"Peak memory of fsim(..., chromatic=True) [{method}]\n" + format_table(
        body, header
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=SIDE)
    args = parser.parse_args()
    print(report(run(side=args.side)))


if __name__ == "__main__":
    main()
