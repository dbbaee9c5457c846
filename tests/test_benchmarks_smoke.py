"""Smoke tests of the benchmark helpers (benchmarks/): shapes, seeds, bookkeeping.

Nothing here measures or asserts a time: the benchmarks themselves run with
``nox -s benchmarks``.  These check that the helpers they rely on make the
data they claim to, so that a broken generator cannot quietly time the
wrong work.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import fsimlib

BENCH_DIR = Path(__file__).resolve().parent.parent / "benchmarks"
# The benchmark scripts import each other by plain names (compare, dataset,
# run, ...): put their folder on the path only while importing them, and
# take those generic names out of sys.modules again afterwards.
_BENCH_MODULES = ("_common", "cold_start", "compare", "dataset", "floor", "loops")
_BENCH_MODULES += ("dataset_files", "decoders")
_BENCH_MODULES += ("memory",)
_BENCH_MODULES += ("reference_reuse", "run")
sys.path.insert(0, str(BENCH_DIR))
try:
    import compare
    import dataset
    import dataset_files
    import decoders
    import run
    from _common import interleaved, make_pair, processing_shape
    from floor import fft_floor_call, fft_floor_seconds
finally:
    sys.path.remove(str(BENCH_DIR))
    for _name in _BENCH_MODULES:
        sys.modules.pop(_name, None)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        # F = max(1, round(min / 256)), half away from zero; ceil(H / F).
        ((512, 512), (256, 256)),
        ((383, 500), (383, 500)),  # 383 / 256 = 1.496 rounds to 1
        ((1000, 64), (1000, 64)),  # round(0.25) = 0, so F = 1
        ((2048, 2048), (256, 256)),
        ((385, 500), (193, 250)),  # 385 / 256 = 1.504 rounds to 2
    ],
)
def test_processing_shape_is_the_reference_downsampled_size(shape, expected):
    assert processing_shape(shape) == expected


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_fft_floor_runs_and_is_positive(precision):
    call = fft_floor_call((64, 80), precision=precision, threads=1)
    assert call() is None
    assert fft_floor_seconds((64, 80), precision=precision, rounds=2) > 0


@pytest.mark.parametrize("colour", [False, True])
def test_make_pair_is_seeded_uint8_of_the_asked_shape(colour):
    ref, dist = make_pair((40, 56), colour=colour, seed=3)
    again_ref, again_dist = make_pair((40, 56), colour=colour, seed=3)
    expected = (40, 56, 3) if colour else (40, 56)
    assert ref.shape == dist.shape == expected
    assert ref.dtype == dist.dtype == np.uint8
    np.testing.assert_array_equal(ref, again_ref)
    np.testing.assert_array_equal(dist, again_dist)
    assert not np.array_equal(ref, dist)


def test_dataset_references_are_kadid_shaped_seeded_and_distinct():
    first = dataset.make_references(2)
    again = dataset.make_references(2)
    for image, same in zip(first, again, strict=True):
        assert image.shape == (384, 512, 3)
        assert image.dtype == np.uint8
        np.testing.assert_array_equal(image, same)
    assert not np.array_equal(first[0], first[1])


def test_dataset_has_25_distortion_types():
    # KADID-10k: 25 types x 5 levels = 125 distorted images per reference.
    assert len(dataset.DISTORTIONS) * dataset.N_LEVELS == 125


@pytest.fixture(scope="module")
def reference():
    return dataset.make_references(1)[0]


@pytest.fixture(scope="module")
def lowest_level_stack(reference):
    return dataset.distorted_stack(reference, (0,), seed=5)


def test_distorted_stack_shape_and_seed(reference, lowest_level_stack):
    assert lowest_level_stack.shape == (25, 384, 512, 3)
    assert lowest_level_stack.dtype == np.uint8
    again = dataset.distorted_stack(reference, (0,), seed=5)
    np.testing.assert_array_equal(lowest_level_stack, again)


@pytest.mark.parametrize("index", range(len(dataset.DISTORTIONS)))
def test_every_distortion_changes_the_image_even_at_its_lowest_level(
    reference, lowest_level_stack, index
):
    name = list(dataset.DISTORTIONS)[index]
    changed = np.mean(lowest_level_stack[index] != reference)
    # A distortion that left the image alone would time an identical pair.
    # The smallest change is 4 displaced 16 x 16 patches: about 0.47% of the
    # values, of which a few may happen to be equal; 0.1% separates that
    # from no change at all.
    assert changed > 0.001, name


def test_corpus_bilevel_image_is_read_as_the_reference_read_it():
    data_dir = Path(__file__).resolve().parent / "data" / "images"
    image = compare.read_as_reference_did(data_dir / "ref_horse_g_328x400_0_0.png")
    # Octave reads a 0/255 image as logical: the reference scored 0 and 1.
    assert set(np.unique(image).tolist()) == {0, 1}


def test_targets_report_met_and_not_met_from_results():
    results = {
        "compare": {
            "ratios": [
                {
                    "size": "512x512",
                    "mode": "colour",
                    "precision": "float64",
                    "threads": t,
                    "piq_speedup": 7.0 if t == 1 else 5.0,
                    "ism_speedup": 150.0 if t == 1 else None,
                    "over_floor": 1.5 if t == 1 else 2.5,
                    "over_floor_fastest": 1.4 if t == 1 else 1.9,
                }
                for t in (1, 2)
            ]
        },
        "reuse": [{"size": "512x512", "metric": "FSIM", "ratio": 0.7}],
    }
    verdicts = {row[0]: row[3] for row in run.targets(results)}
    assert (
        verdicts["piq fsim(chromatic=True) / fsimlib f64, 512x512 colour, 1t"] == "met"
    )
    assert verdicts["piq fsim(chromatic=True) / fsimlib f64, 512x512 colour, 2t"] == (
        "NOT MET"
    )
    assert verdicts["Reference + 16 / 16 fsim(), worst (512x512 FSIM)"] == "NOT MET"
    assert verdicts["fsimlib f64 / FFT floor, 512x512 colour, 2t"] == "NOT MET"
    # The fastest-round ratio is shown but judged by nothing.
    assert verdicts["  the same, from each one's fastest round"] == "for reading only"
    assert "data set pairs/s, 2 workers / 1 worker" not in verdicts


def test_interleaved_times_calls_after_an_untimed_one() -> None:
    calls: list[str] = []

    def contender(name: str) -> object:
        def call() -> str:
            calls.append(name)
            return name

        return call

    times, values = interleaved(
        {"fast": contender("fast"), "slow": contender("slow")},
        rounds=3,
        limited={"slow": 2},
        settle=0.0,
        burst=2,
    )
    assert [len(times["fast"]), len(times["slow"])] == [6, 2]
    assert values == {"fast": "fast", "slow": "slow"}
    # Warm-up (fast only), then per round: fast three times (one untimed, two
    # timed), slow once, the order reversed every other round; slow stops
    # after 2 rounds.
    warmup = ["fast"]
    fast = ["fast"] * 3
    rounds = [[*fast, "slow"], ["slow", *fast], fast]
    assert calls == warmup + [name for turn in rounds for name in turn]


def test_dataset_files_are_written_once_and_listed(tmp_path, monkeypatch):
    monkeypatch.setattr(dataset_files, "RESULTS_DIR", tmp_path)
    folder = dataset_files.dataset_folder(1, (2,), 3)
    table = dataset_files.write_dataset(folder, 1, (2,), 3)
    lines = table.read_text().splitlines()
    assert lines[0] == "ref,dist"
    assert lines[1:] == [f"refs/I01.png,dist/i01_0{t}_3.png" for t in (1, 2, 3)]
    reference = fsimlib.read_image(folder / "refs" / "I01.png").array
    np.testing.assert_array_equal(reference, dataset.make_references(1)[0])
    stamp = (folder / "dist" / "i01_02_3.png").stat().st_mtime_ns
    assert dataset_files.write_dataset(folder, 1, (2,), 3) == table
    assert (folder / "dist" / "i01_02_3.png").stat().st_mtime_ns == stamp


@pytest.mark.e2e
def test_dataset_files_run_checks_scores_and_reports_ratios(tmp_path, monkeypatch):
    # Two pairs, end to end through the console script: no timing asserted.
    monkeypatch.setattr(dataset_files, "RESULTS_DIR", tmp_path)
    result = dataset_files.run(quick=True, references=1, types=2)
    assert result["pairs"] == 2
    assert set(result["ratio_batch_over_memory"]) == {"1", "2"}
    assert all(value > 0 for value in result["ratio_batch_over_memory"].values())
    assert "fsimlib batch (files, end to end)" in dataset_files.report(result)
    verdicts = {row[0]: row[3] for row in run.targets({"files": result})}
    assert "fsimlib batch end to end, -j 2 / -j 1" in verdicts


def test_decoders_benchmark_files_read_as_written(tmp_path):
    image = dataset.make_references(1)[0][:40, :56]
    files = decoders.write_files(tmp_path, image)
    for name in ("png8", "tiff8", "bmp"):
        np.testing.assert_array_equal(fsimlib.read_image(files[name]).array, image)
    deep = fsimlib.read_image(files["png16"]).array
    np.testing.assert_array_equal(deep, image.astype(np.uint16) * 257)
