"""Recompute the reference corpus with the authors' FeatureSIM.m under Octave.

The scores and maps in ``tests/data`` were computed by the authors' MATLAB
implementation of FSIM (``FeatureSIM.m``, "FSIM Index with automatic
downsampling, Version 1.0", by Lin Zhang et al., with P. Kovesi's
``phasecong2`` inside), run unmodified under GNU Octave 7.3.0 with
octave-image 2.14.0.  Its licence does not allow redistribution, so you
supply the file: it is published on the FSIM page of the authors' group
(see ``tests/reference/README.md``).

This script:

1. makes every image the cases table names with ``make_images.py`` (from
   the file names alone) into ``OUT/images``;
2. splits a working copy of ``FeatureSIM.m`` into one file per function, so
   that ``phasecong2`` can be called on its own, and inserts one call to
   ``fsimlib_dump_maps`` before the similarity is computed, which saves the
   intermediate maps without changing anything FeatureSIM computes;
3. runs ``run_oracle.m`` under Octave on every pair and on every
   phase-congruency input of ``maps/index.json``;
4. writes ``OUT/cases.csv`` (the table with the new scores) and
   ``OUT/maps/*.npy``, and compares both with the stored corpus: scores and
   maps must agree within ``--tolerance`` (default 0: the same Octave
   version gives the same numbers; another version may differ by
   round-off, about 1e-15).

Usage, from the repository root (``nox -s oracle`` does the same)::

    python tests/reference/oracle.py --featuresim path/to/FeatureSIM.m OUT

To extend the corpus, add rows (new image names follow ``make_images.py``)
to a copy of ``tests/data/cases.csv`` with empty scores, pass it with
``--cases``, and copy the written rows and images into ``tests/data``.

Exit status: 0 when everything agrees, 1 on a difference, 2 when Octave,
its image package or FeatureSIM.m is missing.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
from PIL import Image
from scipy import io as scipy_io

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"

#: File names fsimlib's maps use for FeatureSIM's variables.
MAP_FIELDS = {
    "Y1": "Y1",
    "Y2": "Y2",
    "I1": "I1",
    "I2": "I2",
    "Q1": "Q1",
    "Q2": "Q2",
    "PC1": "PC1",
    "PC2": "PC2",
    "gradientMap1": "G1",
    "gradientMap2": "G2",
}

#: Where the map hook goes: the line that sets FeatureSIM's constant T1.
_HOOK_BEFORE = re.compile(r"^\s*T1\s*=", re.MULTILINE)
_FUNCTION = re.compile(r"^[ \t]*function\b[^=\n]*=?\s*(?P<name>\w+)\s*\(", re.MULTILINE)
_CASE_ID = re.compile(
    r"^\d+_(?P<picture>.+)_(?P<rows>\d+)x(?P<cols>\d+)_(?P<mode>[gc])"
    r"_(?P<distortion>[a-z]+)_(?P<parameter>[0-9p]+)$"
)


class MissingToolError(Exception):
    """Octave, its image package or FeatureSIM.m is not available."""


def load_make_images() -> ModuleType:
    path = HERE / "make_images.py"
    spec = importlib.util.spec_from_file_location("make_images", path)
    if spec is None or spec.loader is None:
        msg = "cannot load make_images.py"
        raise ImportError(msg)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def octave() -> str:
    """The Octave command-line program, with its image package loadable."""
    program = shutil.which("octave-cli") or shutil.which("octave")
    if program is None:
        msg = "GNU Octave is not installed (apt-get install octave octave-image)"
        raise MissingToolError(msg)
    probe = subprocess.run(
        [program, "--norc", "--quiet", "--eval", "pkg load image"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        msg = f"Octave's image package does not load: {probe.stderr.strip()}"
        raise MissingToolError(msg)
    return program


def split_functions(source: str) -> dict[str, str]:
    """One ``name -> text`` entry per function of an Octave/MATLAB file."""
    starts = list(_FUNCTION.finditer(source))
    if not starts:
        msg = "no function found in FeatureSIM.m"
        raise ValueError(msg)
    ends = [match.start() for match in starts[1:]] + [len(source)]
    return {
        match["name"]: source[match.start() : end]
        for match, end in zip(starts, ends, strict=True)
    }


def prepare_featuresim(featuresim: Path, folder: Path) -> None:
    """Write FeatureSIM's functions, with the map hook, one file each."""
    functions = split_functions(featuresim.read_text(encoding="latin-1"))
    main = functions.get("FeatureSIM")
    if main is None or "phasecong2" not in functions:
        msg = f"{featuresim} does not define FeatureSIM and phasecong2"
        raise ValueError(msg)
    hook = _HOOK_BEFORE.search(main)
    if hook is None:
        msg = f"{featuresim}: no line setting T1 to put the map hook before"
        raise ValueError(msg)
    functions["FeatureSIM"] = (
        main[: hook.start()] + "\nfsimlib_dump_maps();\n" + main[hook.start() :]
    )
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in functions.items():
        (folder / f"{name}.m").write_text(text, encoding="latin-1")
    shutil.copy(HERE / "fsimlib_dump_maps.m", folder)


def read_cases(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def map_case_images(case_id: str, names: list[str]) -> tuple[str, str]:
    """Reference and distorted image names of a map case not in the table.

    The case id names picture, size, colour mode and distortion; the one
    reference image of that picture, size and mode gives the crop.
    """
    found = _CASE_ID.match(case_id)
    if found is None:
        msg = f"cannot read the images from case id {case_id!r}"
        raise ValueError(msg)
    prefix = f"ref_{found['picture']}_{found['mode']}_{found['rows']}x{found['cols']}_"
    (reference,) = [name for name in names if name.startswith(prefix)]
    distorted = (
        f"dist_{reference.removeprefix('ref_').removesuffix('.png')}"
        f"_{found['distortion']}_{found['parameter']}.png"
    )
    return reference, distorted


def run(args: argparse.Namespace) -> int:
    program = octave()
    if not args.featuresim.is_file():
        msg = f"FeatureSIM.m not found at {args.featuresim}"
        raise MissingToolError(msg)
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        msg = f"{out} is not empty; give an empty or new folder"
        raise SystemExit(msg)
    job, images, maps = out / "octave-job", out / "images", out / "maps"
    for folder in (job, images, maps):
        folder.mkdir(parents=True, exist_ok=True)
    prepare_featuresim(args.featuresim, job / "featuresim")

    make_images = load_make_images()
    cases = read_cases(args.cases)
    index = json.loads((args.data / "maps" / "index.json").read_text())
    map_cases = {entry["case_id"]: entry for entry in index if "case_id" in entry}
    pc_inputs = [entry for entry in index if "pc_name" in entry]

    names = make_images.corpus_names(args.cases)
    pairs = [(row["case_id"], row["ref_png"], row["dist_png"]) for row in cases]
    for case_id in map_cases.keys() - {row["case_id"] for row in cases}:
        reference, distorted = map_case_images(case_id, names)
        pairs.append((case_id, f"images/{reference}", f"images/{distorted}"))
    for name in sorted({Path(p).name for _, *paths in pairs for p in paths}):
        Image.fromarray(make_images.make(name)).save(images / name)

    with (job / "pairs.txt").open("w") as handle:
        for case_id, reference, distorted in pairs:
            dump = job / f"{case_id}.mat" if case_id in map_cases else "-"
            handle.write(f"{case_id}\t{out / reference}\t{out / distorted}\t{dump}\n")
    with (job / "pc.txt").open("w") as handle:
        for entry in pc_inputs:
            source = job / f"pc_{entry['pc_name']}_input.mat"
            scipy_io.savemat(source, {"input": np.load(args.data / entry["input"])})
            handle.write(f"{source}\t{job / ('pc_' + entry['pc_name'] + '.mat')}\n")

    print(f"running FeatureSIM on {len(pairs)} pairs under {program} ...", flush=True)
    subprocess.run(
        [
            program,
            "--norc",
            "--quiet",
            "--path",
            str(job / "featuresim"),
            str(HERE / "run_oracle.m"),
            str(job),
        ],
        check=True,
    )

    scores = {}
    for line in (job / "scores.txt").read_text().splitlines():
        case_id, fsim, fsimc = line.split("\t")
        scores[case_id] = (fsim, fsimc)
    worst = compare_and_write(
        args,
        cases=cases,
        scores=scores,
        map_cases=map_cases,
        pc_inputs=pc_inputs,
        job=job,
        maps=maps,
    )
    print(f"largest difference from the stored corpus: {worst:.3g}")
    if worst > args.tolerance:
        print(f"DIFFERS: above the tolerance {args.tolerance:g}", file=sys.stderr)
        return 1
    return 0


def difference(stored: str, computed: str) -> float:
    """Absolute difference of two printed scores; NaN must meet NaN."""
    if not stored:
        return 0.0
    a, b = float(stored), float(computed)
    if math.isnan(a) or math.isnan(b):
        return 0.0 if math.isnan(a) and math.isnan(b) else math.inf
    return abs(a - b)


def largest_gap(stored: np.ndarray, computed: np.ndarray) -> float:
    """Largest absolute difference of two maps; infinite if shapes differ."""
    if stored.shape != computed.shape:
        return math.inf
    return float(np.max(np.abs(stored - computed), initial=0.0))


def compare_and_write(
    args: argparse.Namespace,
    *,
    cases: list[dict[str, str]],
    scores: dict[str, tuple[str, str]],
    map_cases: dict[str, dict[str, object]],
    pc_inputs: list[dict[str, object]],
    job: Path,
    maps: Path,
) -> float:
    worst = 0.0
    with (args.out / "cases.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(cases[0]))
        writer.writeheader()
        for row in cases:
            fsim, fsimc = scores[row["case_id"]]
            for column, value in (("fsim", fsim), ("fsimc", fsimc)):
                gap = difference(row[column], value)
                if gap > args.tolerance:
                    stored = row[column]
                    print(f"{row['case_id']} {column}: stored {stored}, got {value}")
                worst = max(worst, gap)
            writer.writerow({**row, "fsim": fsim, "fsimc": fsimc})
    for case_id in map_cases:
        found = scipy_io.loadmat(job / f"{case_id}.mat")
        for variable, field in MAP_FIELDS.items():
            if variable not in found:
                continue
            computed = np.asarray(found[variable], dtype=np.float64)
            np.save(maps / f"{case_id}_{field}.npy", computed)
            stored_path = args.data / "maps" / f"{case_id}_{field}.npy"
            if stored_path.exists():
                gap = largest_gap(np.load(stored_path), computed)
                if gap > args.tolerance:
                    print(f"{case_id} {field}: differs by {gap:.3g}")
                worst = max(worst, gap)
    for entry in pc_inputs:
        computed = scipy_io.loadmat(job / f"pc_{entry['pc_name']}.mat")["PC"]
        np.save(maps / f"pc_{entry['pc_name']}.npy", computed)
        gap = largest_gap(np.load(args.data / str(entry["pc"])), computed)
        if gap > args.tolerance:
            print(f"pc_{entry['pc_name']}: differs by {gap:.3g}")
        worst = max(worst, gap)
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="empty or new folder for the results")
    parser.add_argument(
        "--featuresim", type=Path, required=True, help="the authors' FeatureSIM.m"
    )
    parser.add_argument(
        "--cases", type=Path, default=DATA / "cases.csv", help="cases table to run"
    )
    parser.add_argument(
        "--data", type=Path, default=DATA, help="stored corpus to compare with"
    )
    parser.add_argument(
        "--tolerance", type=float, default=0.0, help="largest difference allowed"
    )
    args = parser.parse_args(argv)
    try:
        return run(args)
    except MissingToolError as missing:
        print(f"cannot run the oracle: {missing}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
