"""The path users run: ``fsimlib batch`` over PNG files, against in-memory scoring.

The KADID-shaped set of ``dataset.py`` (same generator, same seeds) is
written once as 8-bit RGB PNG files with Pillow's default settings, with a
``pairs.csv`` of ``ref,dist`` rows, under ``benchmarks/results/`` (git-
ignored); later runs reuse it (a ``complete.json`` written last marks a
finished set).  Then, in one run:

* ``fsimlib batch pairs.csv -o scores.csv -j 1 --no-progress`` and the same
  with ``-j 2``, through the console script, timed end to end from the
  command's start to its exit (start-up, reading, scoring, writing);
* in-memory ``fsimlib.fsim_batch(reference, stack, chromatic=True,
  workers=w)`` for ``w`` = 1 and 2, per reference, on the same images
  decoded beforehand (decoding not timed).  FSIMc's feature extraction
  gives FSIM too, so this is the work of both scores; the time per
  reference includes preparing it.

Reported: seconds and pairs per second of each, the ratios end to end /
in memory at the same worker count (target: at most 1.25), and two
workers / one end to end (target: at least 1.7).  The scores are checked:
both ``batch`` outputs must be identical and their ``fsimc`` column equal,
to the bit, to ``fsim_batch``'s.

Run on its own: ``python benchmarks/dataset_files.py [--quick]
[--references N] [--rounds R]``; by default 16 references x 125 distorted
images (2000 pairs, 1.2 GB of PNG decoded at most one reference at a
time), one round.  ``--quick``: 3 references x 25.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import dataset
import numpy as np
from _common import RESULTS_DIR, format_table, git_commit
from PIL import Image

import fsimlib

#: References and levels of a full run (16 x 25 types x 5 levels = 2000).
DEFAULT_REFERENCES = 16
ALL_LEVELS = (0, 1, 2, 3, 4)


def dataset_folder(references: int, levels: tuple[int, ...], types: int) -> Path:
    """Where the PNG set of this size is cached."""
    label = "-".join(map(str, levels))
    return RESULTS_DIR / f"kadid_png_{references}refs_{types}types_levels{label}"


def write_dataset(
    folder: Path, references: int, levels: tuple[int, ...], types: int
) -> Path:
    """Write (once) the PNG files and ``pairs.csv``; return the CSV's path.

    Every file lives in ``folder``, which only this function writes; the
    marker ``complete.json`` is written last, so a set cut short by a kill
    is written again.
    """
    marker = folder / "complete.json"
    table = folder / "pairs.csv"
    settings = {"references": references, "levels": list(levels), "types": types}
    if marker.is_file() and json.loads(marker.read_text()) == settings:
        return table
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "dist").mkdir(exist_ok=True)
    names = list(dataset.DISTORTIONS)[:types]
    rows = []
    for index, reference in enumerate(dataset.make_references(references)):
        ref_name = f"refs/I{index + 1:02d}.png"
        Image.fromarray(reference).save(folder / ref_name)
        stack = dataset.distorted_stack(reference, levels, seed=1000 + index)
        # distorted_stack orders by distortion type, then level.
        labels = [(t, lv) for t in range(len(dataset.DISTORTIONS)) for lv in levels]
        for image, (kind, level) in zip(stack, labels, strict=True):
            if kind >= len(names):
                continue
            dist_name = f"dist/i{index + 1:02d}_{kind + 1:02d}_{level + 1}.png"
            Image.fromarray(image).save(folder / dist_name)
            rows.append((ref_name, dist_name))
    with table.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["ref", "dist"])
        writer.writerows(rows)
    marker.write_text(json.dumps(settings))
    return table


def _console_script() -> list[str]:
    """The ``fsimlib`` command as a user runs it (``python -m`` if not on PATH)."""
    found = shutil.which("fsimlib")
    return [found] if found else [sys.executable, "-m", "fsimlib"]


def time_batch(table: Path, output: Path, workers: int) -> float:
    """Seconds for one ``fsimlib batch`` run, from start to exit."""
    output.unlink(missing_ok=True)
    command = [
        *_console_script(),
        "batch",
        str(table),
        "--output",
        str(output),
        "--processes",
        str(workers),
        "--no-progress",
    ]
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if completed.returncode != 0:
        msg = (
            f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stderr}"
        )
        raise RuntimeError(msg)
    return seconds


def _read_scores(output: Path) -> dict[str, tuple[str, str]]:
    """``dist -> (fsim, fsimc)`` of a score file (its provenance line skipped)."""
    with output.open(newline="") as handle:
        lines = [line for line in handle if not line.startswith("# fsimlib ")]
    return {row["dist"]: (row["fsim"], row["fsimc"]) for row in csv.DictReader(lines)}


def time_in_memory(table: Path) -> tuple[dict[int, float], dict[str, float]]:
    """Seconds of ``fsim_batch`` per worker count, and its FSIMc per pair.

    One reference at a time: its images are decoded (not timed), then
    scored with 1 and 2 workers, the order alternating between references.
    """
    with table.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_reference: dict[str, list[str]] = {}
    for row in rows:
        by_reference.setdefault(row["ref"], []).append(row["dist"])
    seconds = {1: 0.0, 2: 0.0}
    fsimc: dict[str, float] = {}
    for index, (ref, dists) in enumerate(by_reference.items()):
        reference = fsimlib.read_image(table.parent / ref).array
        stack = np.stack([fsimlib.read_image(table.parent / d).array for d in dists])
        scores = dataset.time_one_and_two_workers(reference, stack, index, seconds)
        fsimc.update(zip(dists, scores.tolist(), strict=True))
    return seconds, fsimc


def run(
    *,
    quick: bool = False,
    references: int | None = None,
    rounds: int = 1,
    types: int | None = None,
) -> dict[str, Any]:
    n_references = references or (3 if quick else DEFAULT_REFERENCES)
    levels = (2,) if quick else ALL_LEVELS
    n_types = types or len(dataset.DISTORTIONS)
    folder = dataset_folder(n_references, levels, n_types)
    table = write_dataset(folder, n_references, levels, n_types)
    pairs = len(table.read_text().splitlines()) - 1
    load_start = os.getloadavg()
    end_to_end = {1: 0.0, 2: 0.0}
    in_memory = {1: 0.0, 2: 0.0}
    with tempfile.TemporaryDirectory() as scratch:
        outputs = {w: Path(scratch) / f"scores_j{w}.csv" for w in (1, 2)}
        for number in range(rounds):
            order = (1, 2) if number % 2 == 0 else (2, 1)
            end_to_end[order[0]] += time_batch(table, outputs[order[0]], order[0])
            seconds, fsimc = time_in_memory(table)
            for workers, value in seconds.items():
                in_memory[workers] += value
            end_to_end[order[1]] += time_batch(table, outputs[order[1]], order[1])
        written = {w: _read_scores(path) for w, path in outputs.items()}
    if written[1] != written[2]:
        msg = "fsimlib batch -j 1 and -j 2 wrote different scores"
        raise RuntimeError(msg)
    mismatched = [
        dist for dist, (_, value) in written[1].items() if float(value) != fsimc[dist]
    ]
    if mismatched or len(written[1]) != pairs:
        msg = f"batch FSIMc differs from fsim_batch's for {mismatched[:3]}"
        raise RuntimeError(msg)
    total = pairs * rounds
    return {
        "references": n_references,
        "distorted_per_reference": n_types * len(levels),
        "pairs": pairs,
        "rounds": rounds,
        "folder": folder.name,
        "commit": git_commit(),
        "load_average": {"start": load_start, "end": os.getloadavg()},
        "seconds": {
            "batch": {str(w): s for w, s in end_to_end.items()},
            "fsim_batch": {str(w): s for w, s in in_memory.items()},
        },
        "pairs_per_second": {
            "batch": {str(w): total / s for w, s in end_to_end.items()},
            "fsim_batch": {str(w): total / s for w, s in in_memory.items()},
        },
        "ratio_batch_over_memory": {
            str(w): end_to_end[w] / in_memory[w] for w in (1, 2)
        },
        "speedup_batch_2_over_1": end_to_end[1] / end_to_end[2],
        "speedup_memory_2_over_1": in_memory[1] / in_memory[2],
        "quick": quick,
    }


def report(result: dict[str, Any]) -> str:
    body = []
    for workers in ("1", "2"):
        for path in ("batch", "fsim_batch"):
            body.append(
                [
                    workers,
                    "fsimlib batch (files, end to end)"
                    if path == "batch"
                    else "fsim_batch (in memory)",
                    f"{result['seconds'][path][workers]:.1f}",
                    f"{result['pairs_per_second'][path][workers]:.1f}",
                    f"{result['ratio_batch_over_memory'][workers]:.2f}"
                    if path == "batch"
                    else "",
                ]
            )
    load = result["load_average"]
    title = (
        f"End to end: fsimlib batch on {result['pairs']} PNG pairs "
        f"({result['references']} references x "
        f"{result['distorted_per_reference']}, 512x384 RGB), {result['rounds']} "
        f"round(s), commit {result['commit']}, load average "
        f"{load['start'][0]:.2f} -> {load['end'][0]:.2f}; 2 workers / 1: batch "
        f"{result['speedup_batch_2_over_1']:.2f}, in memory "
        f"{result['speedup_memory_2_over_1']:.2f}"
    )
    return (
        title
        + "\n"
        + format_table(
            body, ["workers", "path", "seconds", "pairs/s", "files / memory"]
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 x 25 pairs")
    parser.add_argument(
        "--references", type=int, help=f"references (default {DEFAULT_REFERENCES})"
    )
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    result = run(quick=args.quick, references=args.references, rounds=args.rounds)
    print(report(result))


if __name__ == "__main__":
    main()
