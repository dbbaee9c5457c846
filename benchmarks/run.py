"""Every benchmark in one command, with the project's performance targets checked.

Runs, in order: the side-by-side comparison with the FFT floor
(``compare.py``), reference reuse (``reference_reuse.py``), the cold start
(``cold_start.py``), peak memory (``memory.py``), the KADID-shaped data
set in memory (``dataset.py``) and as PNG files through ``fsimlib batch``
(``dataset_files.py``).  Prints every table and the targets (met or not),
writes ``benchmarks/results/results.json`` and ``results.txt``, and the
plot ``docs/_static/benchmark.png``.

Usage: ``python benchmarks/run.py [--quick] [--skip NAME ...]`` or
``nox -s benchmarks [-- --quick]``.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import cold_start
import compare
import dataset
import dataset_files
import loops
import memory
import reference_reuse
from _common import PLOT_PATH, RESULTS_DIR, format_table, machine_info, write_json

STEPS = ("compare", "loops", "reuse", "cold", "memory", "dataset", "files")


def _find(rows: list[dict[str, Any]], **match: object) -> dict[str, Any] | None:
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def targets(results: dict[str, Any]) -> list[list[str]]:
    """The performance targets: what was measured, the goal, and whether it was met.

    The goals are the project's own (docs/performance.rst reports them):
    each row says what is measured and what counts as met.
    """
    out: list[list[str]] = []

    def add(
        name: str, value: float | None, goal: str, met: bool | None, note: str = ""
    ) -> None:
        shown = "-" if value is None else f"{value:.2f}"
        verdict = "not measured" if met is None else ("met" if met else "NOT MET")
        out.append([name, shown, goal, note or verdict])

    ratios = results.get("compare", {}).get("ratios", [])
    for threads in (1, 2):
        row = _find(
            ratios, size="512x512", mode="colour", precision="float64", threads=threads
        )
        value = row["piq_speedup"] if row else None
        add(
            f"piq fsim(chromatic=True) / fsimlib f64, 512x512 colour, {threads}t",
            value,
            ">= 6",
            None if value is None else value >= 6,
        )
    row = _find(ratios, size="512x512", mode="colour", precision="float64", threads=1)
    value = row["ism_speedup"] if row else None
    add(
        "image-similarity-measures / fsimlib f64, 512x512 colour, 1t",
        value,
        ">= 100",
        None if value is None else value >= 100,
    )
    for threads in (1, 2):
        row = _find(
            ratios, size="512x512", mode="colour", precision="float64", threads=threads
        )
        value = row["over_floor"] if row else None
        add(
            f"fsimlib f64 / FFT floor, 512x512 colour, {threads}t",
            value,
            "<= 2",
            None if value is None else value <= 2,
        )
        if threads == 2 and row:
            fastest = row["over_floor_fastest"]
            add(
                "  the same, from each one's fastest round",
                fastest,
                "",
                None,
                note="for reading only",
            )
    floor_rows = [r for r in ratios if r["over_floor"] is not None]
    if floor_rows:
        worst = max(floor_rows, key=lambda r: r["over_floor"])
        add(
            "fsimlib / FFT floor, worst case "
            f"({worst['size']} {worst['mode']} {worst['precision']} "
            f"{worst['threads']}t)",
            worst["over_floor"],
            "<= 2",
            worst["over_floor"] <= 2,
        )
    cold = results.get("cold", [])
    if cold:
        worst = max(cold, key=lambda r: r["ratio"])
        add(
            f"cold / warm first call, worst ({worst['size']} {worst['metric']})",
            worst["ratio"],
            "<= 3",
            worst["ratio"] <= 3,
        )
        if all("ratio_planning" in r for r in cold):
            worst = max(cold, key=lambda r: r["ratio_planning"])
            add(
                "cold / warm, pyFFTW already imported, worst "
                f"({worst['size']} {worst['metric']})",
                worst["ratio_planning"],
                "<= 3",
                worst["ratio_planning"] <= 3,
            )
    reuse = results.get("reuse", [])
    if reuse:
        worst = max(reuse, key=lambda r: r["ratio"])
        add(
            f"Reference + 16 / 16 fsim(), worst ({worst['size']} {worst['metric']})",
            worst["ratio"],
            "<= 0.6",
            worst["ratio"] <= 0.6,
        )
    data = results.get("dataset")
    if data:
        value = data["speedup_2_over_1"]
        add("data set pairs/s, 2 workers / 1 worker", value, ">= 1.6", value >= 1.6)
    files = results.get("files")
    if files:
        for workers in ("1", "2"):
            value = files["ratio_batch_over_memory"][workers]
            add(
                f"fsimlib batch on PNG files / in-memory fsim_batch, -j {workers}",
                value,
                "<= 1.25",
                value <= 1.25,
            )
        value = files["speedup_batch_2_over_1"]
        add("fsimlib batch end to end, -j 2 / -j 1", value, ">= 1.7", value >= 1.7)
    mem = results.get("memory", [])
    row = _find(mem, precision="float64")
    if row:
        value = row["peak_rss"] / 1e9
        add(
            "peak RSS (GB), 8000x8000 RGB pair, FSIMc f64",
            value,
            "well under 2",
            value < 2,
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer sizes and rounds, 9 x 25 data set"
    )
    parser.add_argument("--skip", nargs="*", default=[], choices=STEPS)
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine_info(), "quick": args.quick}
    reports: list[str] = []

    def step(name: str) -> bool:
        if name in args.skip:
            return False
        print(f"== {name} (load average {os.getloadavg()[0]:.2f})", flush=True)
        return True

    if step("compare"):
        results["compare"] = compare.run(quick=args.quick)
        reports.append(compare.report(results["compare"]))
        if not args.no_plot:
            compare.plot(results["compare"]["timings"], PLOT_PATH, results["machine"])
    if step("loops"):
        results["loops"] = loops.run(rounds=3 if args.quick else 9)
        reports.append(loops.report(results["loops"]))
        results["planning"] = loops.run_planning(rounds=3 if args.quick else 9)
        reports.append(loops.report_planning(results["planning"]))
    if step("reuse"):
        results["reuse"] = reference_reuse.run(rounds=3 if args.quick else 7)
        reports.append(reference_reuse.report(results["reuse"]))
    if step("cold"):
        results["cold"] = cold_start.run(trials=3 if args.quick else 5)
        reports.append(cold_start.report(results["cold"]))
    if step("memory"):
        results["memory"] = memory.run()
        reports.append(memory.report(results["memory"]))
    if step("dataset"):
        results["dataset"] = dataset.run(quick=args.quick)
        reports.append(dataset.report(results["dataset"]))
    if step("files"):
        results["files"] = dataset_files.run(quick=args.quick)
        reports.append(dataset_files.report(results["files"]))
    results["targets"] = targets(results)
    results["load_average_end"] = os.getloadavg()
    results["wall_seconds"] = time.perf_counter() - started
    machine = results["machine"]
    header = (
        f"Machine: {machine['cpu']}, {machine['logical_cpus']} logical CPUs, "
        f"{machine['memory_gib']} GiB; Python {machine['python']}, numpy "
        f"{machine['numpy']}, pyFFTW {machine['pyfftw']}, torch {machine['torch']}, "
        f"FFT engine {machine['fft_engine']}; fsimlib at {machine['commit']}; "
        f"{machine['date']}; load average "
        f"{machine['load_average'][0]:.2f} at start, "
        f"{results['load_average_end'][0]:.2f} at end"
    )
    summary = format_table(results["targets"], ["target", "measured", "goal", ""])
    text = "\n\n".join([header, *reports, "Targets\n" + summary]) + "\n"
    print("\n" + text)
    write_json(RESULTS_DIR / "results.json", results)
    (RESULTS_DIR / "results.txt").write_text(text)
    print(f"wrote {RESULTS_DIR / 'results.json'}, results.txt", end="")
    print("" if args.no_plot or "compare" in args.skip else f" and {PLOT_PATH}")


if __name__ == "__main__":
    main()
