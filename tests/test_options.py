"""FSIMOptions: checked once, passed whole, recorded, and honoured everywhere.

Scores made through different entry points with the same options are
compared exactly: every entry point calls the same code with the same
options, so any difference would mean an option was lost on the way.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import imageio.v3 as iio
import numpy as np
import pytest
from click.testing import CliRunner
from skimage import data

import fsimlib
from fsimlib import cli
from fsimlib.datasets import provenance

FIVE_SCALES = fsimlib.PhaseCongruencyParameters(n_scales=5, min_wavelength=4.0)
IMAGE = data.camera()[:96, :128]
NOISY = np.clip(
    IMAGE + np.random.default_rng(3).normal(0, 12, IMAGE.shape), 0, 255
).astype(np.uint8)


def test_pc_parameters_change_the_score_as_phase_congruency_does() -> None:
    default = fsimlib.compare(IMAGE, NOISY, downsample=False)
    changed = fsimlib.compare(IMAGE, NOISY, downsample=False, pc_parameters=FIVE_SCALES)
    assert abs(changed.fsim - default.fsim) > 1e-4
    pc = fsimlib.phase_congruency(IMAGE.astype(float), pc_parameters=FIVE_SCALES)
    np.testing.assert_array_equal(changed.phase_congruency1, pc)


@pytest.mark.parametrize(
    "options",
    [
        {"pc_parameters": FIVE_SCALES},
        {"gradient": "sobel", "downsample": 2, "precision": "float32"},
        {"data_range": 300.0, "downsample": False},
    ],
    ids=["pc", "gradient-downsample-precision", "data-range"],
)
def test_every_entry_point_gives_fsims_score_with_the_same_options(
    options: dict[str, Any], tmp_path: Path
) -> None:
    want = fsimlib.fsim(IMAGE, NOISY, **options)
    assert fsimlib.compare(IMAGE, NOISY, **options).fsim == want
    assert fsimlib.Reference(IMAGE, **options).fsim(NOISY) == want
    batch = fsimlib.fsim_batch(IMAGE, NOISY[np.newaxis], workers=2, **options)
    assert batch.tolist() == [want]
    iio.imwrite(tmp_path / "ref.png", IMAGE)
    iio.imwrite(tmp_path / "dist.png", NOISY)
    (record,) = fsimlib.datasets.score_pairs(
        [(tmp_path / "ref.png", tmp_path / "dist.png")], **options
    )
    assert record.fsim == want
    whole = fsimlib.FSIMOptions(**options)
    assert fsimlib.fsim(IMAGE, NOISY, **whole.keywords()) == want


def test_score_pairs_scores_on_threads_with_workers(tmp_path: Path) -> None:
    iio.imwrite(tmp_path / "ref.png", IMAGE)
    pairs = []
    for sigma in (4, 8, 16):
        noise = np.random.default_rng(sigma).normal(0, sigma, IMAGE.shape)
        noisy = np.clip(IMAGE + noise, 0, 255).astype(np.uint8)
        iio.imwrite(tmp_path / f"n{sigma}.png", noisy)
        pairs.append((tmp_path / "ref.png", tmp_path / f"n{sigma}.png"))
    serial = {r.index: r.fsim for r in fsimlib.datasets.score_pairs(pairs)}
    threaded = fsimlib.datasets.score_pairs(pairs, workers=2, chunk_size=1)
    assert {r.index: r.fsim for r in threaded} == serial


def test_options_are_hashable_picklable_and_equal_by_value() -> None:
    kernels = (fsimlib.SOBEL.kernel_x, fsimlib.SOBEL.kernel_y)
    options = fsimlib.FSIMOptions(gradient=kernels, pc_parameters=FIVE_SCALES)
    assert isinstance(options.gradient, fsimlib.GradientOperator)
    hash(options)
    named = fsimlib.FSIMOptions(gradient="sobel", pc_parameters=FIVE_SCALES)
    assert pickle.loads(pickle.dumps(named)) == named
    assert hash(pickle.loads(pickle.dumps(named))) == hash(named)
    assert fsimlib.FSIMOptions() == fsimlib.FSIMOptions(gradient="scharr")


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"data_range": -1}, ValueError, "data_range must be positive"),
        ({"data_range": "255"}, TypeError, "data_range must be a positive real"),
        ({"channel_axis": 1.0}, TypeError, "channel_axis must be an int or None"),
        ({"channel_axis": True}, TypeError, "channel_axis must be an int or None"),
        ({"downsample": 0}, ValueError, "downsample factor must be at least 1"),
        ({"downsample": "auto"}, TypeError, "downsample must be True"),
        ({"gradient": "roberts"}, ValueError, "Unknown gradient operator"),
        ({"precision": "float16"}, ValueError, "precision must be one of"),
        ({"pc_parameters": {"n_scales": 5}}, TypeError, "pc_parameters must be a"),
    ],
)
def test_bad_options_are_refused_when_the_options_are_made(
    options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        fsimlib.FSIMOptions(**options)
    with pytest.raises(error, match=match):
        fsimlib.fsim(IMAGE, NOISY, **options)


def test_files_have_no_channel_axis() -> None:
    with pytest.raises(ValueError, match="channel_axis must be None for image files"):
        fsimlib.datasets.score_pairs([("a.png", "b.png")], channel_axis=0)  # type: ignore[arg-type]


def test_provenance_records_every_option() -> None:
    settings = provenance(
        fsimlib.FSIMOptions(data_range=4095, pc_parameters=FIVE_SCALES)
    )
    options = settings["options"]
    assert isinstance(options, dict)
    assert options["data_range"] == 4095.0
    assert options["pc_parameters"]["n_scales"] == 5
    assert options["pc_parameters"]["min_wavelength"] == 4.0
    assert set(options) == set(fsimlib.FSIMOptions().keywords())
    json.dumps(settings)  # JSON-able as written


# --------------------------------------------------------------------------
# the command line's flags


def _compare(tmp_path: Path, *flags: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli.cli,
        [
            "compare",
            str(tmp_path / "ref.png"),
            str(tmp_path / "dist.png"),
            "--json",
            *flags,
        ],
    )
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.output)
    return payload


def test_the_flags_score_as_the_python_options(tmp_path: Path) -> None:
    # 12-bit data in 16-bit files: with --data-range 4095 the scores are
    # those of the 8-bit images (scaling by 255 / 4095 vs 255 / 255 of
    # values 16.06 times larger is exact up to round-off).
    twelve = (IMAGE.astype(np.uint16) * 16, NOISY.astype(np.uint16) * 16)
    iio.imwrite(tmp_path / "ref.png", twelve[0])
    iio.imwrite(tmp_path / "dist.png", twelve[1])
    flags = ["--data-range", "4095", "--precision", "float32", "--gradient", "sobel"]
    flags += ["--pc", "n_scales=5", "--pc", "min_wavelength=4"]
    payload = _compare(tmp_path, *flags)
    want = fsimlib.compare(
        *twelve,
        data_range=4095,
        precision="float32",
        gradient="sobel",
        pc_parameters=FIVE_SCALES,
    )
    assert (payload["fsim"], payload["fsimc"]) == (want.fsim, want.fsimc)
    recorded = payload["provenance"]["options"]
    assert recorded["data_range"] == 4095.0
    assert recorded["pc_parameters"] == {
        **fsimlib.FSIMOptions().record()["pc_parameters"],
        "n_scales": 5,
        "min_wavelength": 4.0,
    }


def test_metric_chooses_the_scores_printed(tmp_path: Path) -> None:
    iio.imwrite(tmp_path / "ref.png", IMAGE)
    iio.imwrite(tmp_path / "dist.png", NOISY)
    assert set(_compare(tmp_path, "--metric", "fsimc")) & {"fsim", "fsimc"} == {"fsimc"}
    result = CliRunner().invoke(
        cli.cli,
        [
            "compare",
            str(tmp_path / "ref.png"),
            str(tmp_path / "dist.png"),
            "--metric",
            "fsim",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["FSIM", f"{fsimlib.fsim(IMAGE, NOISY):.10f}"]


@pytest.mark.parametrize(
    ("flags", "match"),
    [
        (["--pc", "n_scales"], "expected NAME=VALUE"),
        (["--pc", "scales=5"], "expected NAME=VALUE"),
        (["--pc", "n_scales=five"], "n_scales must be an integer"),
        (["--pc", "sigma_onf=2"], "sigma_onf must be from 0.05 to 0.95"),
        (["--data-range", "0"], "--data-range"),
        (["--precision", "float16"], "float16"),
        (["--downsample", "0"], "expected 'auto', 'off' or a positive integer"),
    ],
)
def test_bad_flags_are_usage_errors(
    tmp_path: Path, flags: list[str], match: str
) -> None:
    iio.imwrite(tmp_path / "ref.png", IMAGE)
    iio.imwrite(tmp_path / "dist.png", NOISY)
    result = CliRunner().invoke(
        cli.cli,
        ["compare", str(tmp_path / "ref.png"), str(tmp_path / "dist.png"), *flags],
    )
    assert result.exit_code == 2, result.output
    assert match in result.output


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_the_demo_scores_with_the_chosen_precision(precision: str) -> None:
    pytest.importorskip("gradio")
    from PIL import Image

    from fsimlib import demo

    page = demo._compare_on_page(
        Image.fromarray(IMAGE),
        Image.fromarray(NOISY),
        chromatic=False,
        gradient="sobel",
        threshold=0.9,
        precision=precision,  # type: ignore[arg-type]
    )
    want = fsimlib.compare(IMAGE, NOISY, gradient="sobel", precision=precision)  # type: ignore[arg-type]
    assert page.scores == (want.fsim, want.fsimc)
