"""Side by side: fsimlib, piq and image-similarity-measures, and the FFT floor.

For each image size (square powers of two and awkward sizes) and each of
greyscale FSIM and colour FSIMc, the contenders at one thread count are
timed in one process, interleaved call by call, for several rounds; the
median is reported.  Contenders:

* fsimlib, float64 and float32, with ``workers=1`` and ``workers=2`` (two
  images on two threads);
* piq's ``fsim`` on the CPU (torch float32 tensors, its default dtype),
  with ``torch.set_num_threads`` matching the thread count;
* image-similarity-measures' ``fsim`` (phasepack's ``phasecong``, OpenCV's
  Scharr), one thread.  It takes about ten seconds per 512 x 512 colour
  pair, so it is timed only up to 512 x 512 and on fewer rounds;
* the FFT floor (``floor.py``): the FFTs alone that fsimlib runs for the
  pair, with fsimlib's own engine, precision and thread count.

Also reported: each peer's score against fsimlib's on the same pairs, and
every implementation against the authors' MATLAB scores of the copied
reference corpus (``tests/data/cases.csv``).

Run on its own: ``python benchmarks/compare.py [--quick]``.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    CORPUS_DIR,
    PLOT_PATH,
    RESULTS_DIR,
    format_table,
    interleaved,
    load_ism_fsim,
    load_piq_fsim,
    machine_info,
    make_pair,
    median,
    ms,
    processing_shape,
    shape_label,
    to_torch,
    write_json,
)
from floor import fft_floor_call
from skimage.io import imread

import fsimlib

SIZES: list[tuple[int, int]] = [
    (256, 256),
    (512, 512),
    (1024, 1024),
    (2048, 2048),
    (383, 500),
    (1000, 64),
]
QUICK_SIZES: list[tuple[int, int]] = [(256, 256), (512, 512), (383, 500)]
THREADS = (1, 2)
#: image-similarity-measures is timed only up to this many pixels.
ISM_MAX_PIXELS = 512 * 512
ISM_ROUNDS = 2

FSIMLIB = "fsimlib"
PIQ = "piq"
ISM = "image-similarity-measures"
FLOOR = "FFT floor"


def _contender(library: str, precision: str | None, threads: int) -> dict[str, object]:
    name = library if precision is None else f"{library} {precision}"
    return {
        "name": f"{name} {threads}t",
        "library": library,
        "precision": precision,
        "threads": threads,
    }


def ism_score(ism_fsim: Callable[..., Any], ref: np.ndarray, dist: np.ndarray) -> float:
    """image-similarity-measures' FSIM; it wants H x W x bands for both images.

    Its ``fsim`` adds the band axis to the first image only, so greyscale
    pairs get it here.
    """
    if ref.ndim == 2:
        ref, dist = ref[..., None], dist[..., None]
    return float(ism_fsim(ref, dist))


def _adder(
    calls: dict[str, Callable[[], object]], meta: dict[str, dict[str, object]]
) -> Callable[[dict[str, object], Callable[[], object]], None]:
    def add(entry: dict[str, object], call: Callable[[], object]) -> None:
        meta[str(entry["name"])] = entry
        calls[str(entry["name"])] = call

    return add


def time_size(
    shape: tuple[int, int],
    colour: bool,
    *,
    rounds: int,
    piq_fsim: Callable[..., Any] | None,
    ism_fsim: Callable[..., Any] | None,
) -> list[dict[str, Any]]:
    """Time every contender on one pair; one record per contender."""
    ref, dist = make_pair(shape, colour=colour)
    records: list[dict[str, Any]] = []
    for threads in THREADS:
        calls: dict[str, Callable[[], object]] = {}
        meta: dict[str, dict[str, object]] = {}
        add = _adder(calls, meta)
        for precision in ("float64", "float32"):
            add(
                _contender(FSIMLIB, precision, threads),
                lambda p=precision, t=threads: fsimlib.fsim(
                    ref, dist, chromatic=colour, precision=p, workers=t
                ),
            )
            add(
                _contender(FLOOR, precision, threads),
                fft_floor_call(shape, precision=precision, threads=threads),
            )
        if piq_fsim is not None:
            import torch

            x = to_torch(ref, torch.float32)
            y = to_torch(dist, torch.float32)

            def run_piq(
                t: int = threads,
                x: Any = x,
                y: Any = y,
            ) -> float:
                torch.set_num_threads(t)
                return float(piq_fsim(x, y, data_range=1.0, chromatic=colour))

            add(_contender(PIQ, None, threads), run_piq)
        limited: dict[str, int] = {}
        if ism_fsim is not None and threads == 1 and ref.size <= ISM_MAX_PIXELS * 3:
            entry = _contender(ISM, None, 1)
            add(entry, lambda: ism_score(ism_fsim, ref, dist))
            limited[str(entry["name"])] = min(ISM_ROUNDS, rounds)
        times, values = interleaved(calls, rounds=rounds, limited=limited)
        for name, entry in meta.items():
            value = values.get(name)
            records.append(
                {
                    **entry,
                    "size": shape_label(shape),
                    "height": shape[0],
                    "width": shape[1],
                    "pixels": shape[0] * shape[1],
                    "processed": shape_label(processing_shape(shape)),
                    "factor": fsimlib.automatic_factor(shape),
                    "mode": "colour" if colour else "grey",
                    "metric": "FSIMc" if colour else "FSIM",
                    "median_s": median(times[name]),
                    "min_s": min(times[name]),
                    "rounds": len(times[name]),
                    "score": value if isinstance(value, float) else None,
                }
            )
    return records


def ratios(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """fsimlib against each peer and the floor, per size, mode and threads."""
    index = {(r["size"], r["mode"], r["name"]): r for r in records}
    out: list[dict[str, Any]] = []
    for r in records:
        if r["library"] != FSIMLIB:
            continue
        key = (r["size"], r["mode"])
        threads = r["threads"]
        row = {
            "size": r["size"],
            "mode": r["mode"],
            "precision": r["precision"],
            "threads": threads,
            "fsimlib_s": r["median_s"],
        }
        floor = index.get((*key, f"{FLOOR} {r['precision']} {threads}t"))
        row["over_floor"] = r["median_s"] / floor["median_s"] if floor else None
        # The same ratio from the fastest round of each: on a shared machine
        # the second CPU is often taken by others for part of a run, which
        # moves 2-thread medians a lot; the fastest rounds show what each
        # does when both CPUs are free.
        row["over_floor_fastest"] = r["min_s"] / floor["min_s"] if floor else None
        piq = index.get((*key, f"{PIQ} {threads}t"))
        row["piq_speedup"] = piq["median_s"] / r["median_s"] if piq else None
        ism = index.get((*key, f"{ISM} 1t"))
        row["ism_speedup"] = (
            ism["median_s"] / r["median_s"] if ism and threads == 1 else None
        )
        out.append(row)
    return out


def pair_agreement(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each contender's score minus fsimlib float64's, on the benchmark pairs."""
    base = {
        (r["size"], r["mode"]): r["score"]
        for r in records
        if r["library"] == FSIMLIB and r["precision"] == "float64" and r["threads"] == 1
    }
    out = []
    for r in records:
        if r["score"] is None or r["library"] == FLOOR or r["threads"] != 1:
            continue
        reference = base[(r["size"], r["mode"])]
        out.append(
            {
                "size": r["size"],
                "mode": r["mode"],
                "contender": r["name"].removesuffix(" 1t"),
                "score": r["score"],
                "fsimlib_float64": reference,
                "difference": r["score"] - reference,
            }
        )
    return out


def read_as_reference_did(path: Path) -> np.ndarray:
    """A corpus PNG as the reference saw it.

    Octave's ``imread`` returns a logical (0/1) array for a bilevel image
    (one holding only 0 and 255), and the reference scored those values
    (tests/data/README.md, "bilevel images"); every other PNG is read as
    its 8-bit values.
    """
    image = imread(path)
    if np.isin(image, (0, 255)).all():
        return (image // 255).astype(np.uint8)
    return image


def corpus_agreement(
    piq_fsim: Callable[..., Any] | None, ism_fsim: Callable[..., Any] | None
) -> list[dict[str, Any]]:
    """Every implementation against the authors' MATLAB scores.

    Greyscale cases are compared on FSIM, colour cases on FSIMc.  piq is run
    on float64 tensors here, so that its deviation is that of its algorithm,
    not of float32.  image-similarity-measures has no FSIMc (it averages a
    per-channel FSIM over the bands), so it is compared on greyscale cases
    only, up to 512 x 512.
    """
    with (CORPUS_DIR / "cases.csv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["fsim"] != "NaN"]
    deviations: dict[tuple[str, str], list[float]] = {}

    def note(contender: str, mode: str, value: float, truth: float) -> None:
        deviations.setdefault((contender, mode), []).append(abs(value - truth))

    for row in rows:
        ref = read_as_reference_did(CORPUS_DIR / row["ref_png"])
        dist = read_as_reference_did(CORPUS_DIR / row["dist_png"])
        colour = row["channels"] == "3"
        mode = "colour FSIMc" if colour else "grey FSIM"
        truth = float(row["fsimc"] if colour else row["fsim"])
        for precision in ("float64", "float32"):
            score = fsimlib.fsim(ref, dist, chromatic=colour, precision=precision)
            note(f"{FSIMLIB} {precision}", mode, score, truth)
        if piq_fsim is not None:
            import torch

            torch.set_num_threads(1)
            for dtype, label in (
                (torch.float64, "float64"),
                (torch.float32, "float32"),
            ):
                x, y = to_torch(ref, dtype), to_torch(dist, dtype)
                score = float(piq_fsim(x, y, data_range=1.0, chromatic=colour))
                note(f"{PIQ} {label}", mode, score, truth)
        if ism_fsim is not None and not colour and ref.size <= ISM_MAX_PIXELS:
            note(ISM, mode, ism_score(ism_fsim, ref, dist), truth)
    return [
        {
            "contender": contender,
            "mode": mode,
            "cases": len(values),
            "max_abs": max(values),
            "median_abs": float(np.median(values)),
        }
        for (contender, mode), values in deviations.items()
    ]


# ------------------------------------------------------------------- output
#: Short column names for the timing tables.
SHORT = {
    f"{FSIMLIB} float64": "fsimlib f64",
    f"{FSIMLIB} float32": "fsimlib f32",
    f"{FLOOR} float64": "floor f64",
    f"{FLOOR} float32": "floor f32",
    PIQ: "piq",
    ISM: "ISM",
}


def timing_table(records: Sequence[dict[str, Any]], threads: int) -> str:
    """Median ms per pair at one thread count: a row per size and mode."""
    chosen = [r for r in records if r["threads"] == threads]
    names: list[str] = []
    for r in chosen:
        base = r["name"].rsplit(" ", 1)[0]
        if base not in names:
            names.append(base)
    cells = {
        (r["size"], r["mode"], r["name"].rsplit(" ", 1)[0]): r["median_s"]
        for r in chosen
    }
    keys: list[tuple[str, str, str]] = []
    for r in chosen:
        key = (r["size"], r["processed"], r["mode"])
        if key not in keys:
            keys.append(key)
    rows = [
        [
            size,
            processed,
            mode,
            *(ms(cells.get((size, mode, n), math.nan)) for n in names),
        ]
        for size, processed, mode in keys
    ]
    header = ["image", "processed", "mode", *(SHORT.get(n, n) for n in names)]
    return format_table(rows, header)


def ratio_table(rows: Sequence[dict[str, Any]]) -> str:
    def fmt(value: float | None, digits: int = 1) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    body = [
        [
            r["size"],
            r["mode"],
            r["precision"],
            r["threads"],
            ms(r["fsimlib_s"]),
            fmt(r["over_floor"], 2),
            fmt(r["over_floor_fastest"], 2),
            fmt(r["piq_speedup"]),
            fmt(r["ism_speedup"], 0),
        ]
        for r in rows
    ]
    header = [
        "image",
        "mode",
        "precision",
        "threads",
        "fsimlib ms",
        "x FFT floor",
        "(fastest)",
        "piq / fsimlib",
        "ISM / fsimlib",
    ]
    return format_table(body, header)


def corpus_table(rows: Sequence[dict[str, Any]]) -> str:
    body = [
        [
            r["contender"],
            r["mode"],
            r["cases"],
            f"{r['max_abs']:.2g}",
            f"{r['median_abs']:.2g}",
        ]
        for r in rows
    ]
    return format_table(
        body, ["implementation", "compared on", "cases", "max |diff|", "median |diff|"]
    )


def pair_table(rows: Sequence[dict[str, Any]]) -> str:
    body = [
        [
            r["size"],
            r["mode"],
            r["contender"],
            f"{r['score']:.6f}",
            f"{r['difference']:+.2g}",
        ]
        for r in rows
        if r["contender"] != f"{FSIMLIB} float64"
    ]
    return format_table(
        body, ["image", "mode", "contender", "score", "minus fsimlib f64"]
    )


STYLE: dict[str, dict[str, object]] = {
    "fsimlib float64": {"color": "C0", "marker": "o"},
    "fsimlib float32": {"color": "C2", "marker": "s"},
    "piq": {"color": "C1", "marker": "^"},
    "image-similarity-measures": {"color": "C3", "marker": "D"},
    "FFT floor float64": {"color": "0.45", "marker": ""},
}


def _size_ticks(records: Sequence[dict[str, Any]]) -> list[tuple[float, str]]:
    """One x tick per size; sizes within 10% in pixels share a tick."""
    sizes = sorted({(r["pixels"], r["size"], r["factor"]) for r in records})
    ticks: list[tuple[float, list[str]]] = []
    for pixels, size, factor in sizes:
        label = f"{size} (F={factor})"
        if ticks and pixels < ticks[-1][0] * 1.1:
            ticks[-1][1].append(label)
        else:
            ticks.append((pixels, [label]))
    return [(pixels, "\n".join(labels)) for pixels, labels in ticks]


def plot(
    records: Sequence[dict[str, Any]], path: Path, machine: dict[str, Any]
) -> None:
    """Log-log time per pair against pixels, greyscale and colour panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharey=True, layout="constrained")
    for ax, mode, title in zip(
        axes, ("grey", "colour"), ("Greyscale FSIM", "Colour FSIMc"), strict=True
    ):
        chosen = [r for r in records if r["mode"] == mode]
        series: dict[str, list[dict[str, Any]]] = {}
        for r in chosen:
            base = r["name"].rsplit(" ", 1)[0]
            if base not in STYLE:
                continue
            series.setdefault(r["name"], []).append(r)
        order = list(STYLE)
        for name in sorted(series, key=lambda n: (order.index(n.rsplit(" ", 1)[0]), n)):
            points = sorted(series[name], key=lambda r: r["pixels"])
            base, threads = name.rsplit(" ", 1)
            style = dict(STYLE[base])
            if base == f"{FLOOR} float64":
                style["linestyle"] = ":" if threads == "1t" else "-."
            else:
                style["linestyle"] = "-" if threads == "1t" else "--"
            # Square sizes are joined by a line; the odd sizes (383 x 500,
            # 1000 x 64) are hollow markers of the same style, not joined:
            # 1000 x 64 has about as many pixels as 256 x 256.
            square = [p for p in points if p["height"] == p["width"]]
            odd = [p for p in points if p["height"] != p["width"]]
            (line,) = ax.plot(
                [p["pixels"] for p in square],
                [p["median_s"] * 1e3 for p in square],
                label=f"{base}, {threads.removesuffix('t')} thread"
                + ("s" if threads != "1t" else ""),
                markersize=5,
                **style,  # type: ignore[arg-type]
            )
            ax.plot(
                [p["pixels"] for p in odd],
                [p["median_s"] * 1e3 for p in odd],
                linestyle="none",
                marker=style.get("marker") or "x",
                markersize=7,
                markerfacecolor="none",
                color=line.get_color(),
            )
        ticks = _size_ticks(chosen)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks([pixels for pixels, _ in ticks])
        ax.set_xticklabels(
            [label for _, label in ticks],
            fontsize="small",
            rotation=35,
            ha="right",
            rotation_mode="anchor",
        )
        ax.minorticks_off()
        ax.set_title(title)
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("median time per pair (ms)")
    fig.supxlabel(
        "image size (rows x cols), pixels on a log scale; F: downsampling factor; "
        "hollow markers: odd sizes, not joined",
        fontsize="medium",
    )
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize="small")
    fig.suptitle(
        f"fsimlib {machine['fsimlib']} vs peers on {machine['cpu']} "
        f"({machine['logical_cpus']} cores), {machine['date'][:10]}",
        fontsize="medium",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run(
    *, quick: bool = False, rounds: int | None = None, peers: bool = True
) -> dict[str, Any]:
    rounds = rounds or (3 if quick else 15)
    piq_fsim, piq_note = load_piq_fsim() if peers else (None, "disabled")
    ism_fsim, ism_note = load_ism_fsim() if peers else (None, "disabled")
    print(f"peers: {piq_note}; {ism_note}", flush=True)
    records: list[dict[str, Any]] = []
    for shape in QUICK_SIZES if quick else SIZES:
        for colour in (False, True):
            print(
                f"timing {shape_label(shape)} {'colour' if colour else 'grey'}",
                flush=True,
            )
            records += time_size(
                shape, colour, rounds=rounds, piq_fsim=piq_fsim, ism_fsim=ism_fsim
            )
    print("scoring the reference corpus", flush=True)
    corpus = corpus_agreement(piq_fsim, ism_fsim)
    return {
        "rounds": rounds,
        "ism_rounds": ISM_ROUNDS,
        "peers": {"piq": piq_note, "ism": ism_note},
        "timings": records,
        "ratios": ratios(records),
        "pair_agreement": pair_agreement(records),
        "corpus_agreement": corpus,
    }


def report(result: dict[str, Any]) -> str:
    return "\n\n".join(
        [
            *(
                f"Median time per pair (ms), {t} thread{'s' if t > 1 else ''}\n"
                + timing_table(result["timings"], t)
                for t in THREADS
            ),
            "fsimlib against the FFT floor and the peers (same size, mode, threads)\n"
            + ratio_table(result["ratios"]),
            "Scores on the benchmark pairs\n" + pair_table(result["pair_agreement"]),
            "Against the authors' MATLAB scores (tests/data/cases.csv)\n"
            + corpus_table(result["corpus_agreement"]),
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three sizes, 3 rounds")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    machine = machine_info()
    result = run(quick=args.quick, rounds=args.rounds, peers=not args.no_peers)
    print(report(result))
    write_json(RESULTS_DIR / "compare.json", {"machine": machine, "compare": result})
    if not args.no_plot:
        plot(result["timings"], PLOT_PATH, machine)
        print(f"plot written to {PLOT_PATH}")


if __name__ == "__main__":
    main(sys.argv[1:])
