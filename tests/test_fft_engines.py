"""FFT engines: pyFFTW and scipy.fft agree, and fsimlib works without pyFFTW."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from skimage.io import imread

import fsimlib

#: Every test here computes through the FFT engine: the session without
#: pyFFTW runs them again on scipy.fft.
pytestmark = pytest.mark.engine

DATA_DIR = Path(__file__).resolve().parent / "data"

#: Absolute tolerance between engines.  Both compute the same unnormalised
#: float64 DFT, so scores and maps differ only by the round-off of different
#: FFT algorithms (about 1e-15); a normalisation or precision slip (float32
#: alone moves scores by about 1e-7) would exceed it.
ENGINE_TOL = 1e-12

#: Pairs of different shapes, colour modes and downsampling factors.
ENGINE_CASES = [
    "166_camera_64x80_g_noise_15",
    "162_astronaut_64x80_c_jpeg_30",
    "149_camera_255x255_g_jpeg_30",
    "173_hubble_deep_field_64x1000_c_blur_2",
    "092_rocket_384x500_c_desaturate_0p5",
    "124_retina_896x1000_c_jpeg_30",
]
PC_INPUTS = ["brick_97x97", "coins_128x200", "moon_255x301"]

#: Set by the nox session that runs without pyFFTW (to "scipy").
EXPECTED_ENGINE = os.environ.get("FSIMLIB_EXPECT_ENGINE")

needs_pyfftw = pytest.mark.needs_pyfftw


def load_pair(case_id: str) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    with (DATA_DIR / "cases.csv").open(newline="") as handle:
        (row,) = [r for r in csv.DictReader(handle) if r["case_id"] == case_id]
    return imread(DATA_DIR / row["ref_png"]), imread(DATA_DIR / row["dist_png"])


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter; fail the test if it fails."""
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return completed


@needs_pyfftw
@pytest.mark.parametrize("other", ["scipy", "pyfftw-measure"])
@pytest.mark.parametrize("case_id", ENGINE_CASES)
def test_scipy_scores_equal_pyfftw(case_id: str, other: str) -> None:
    reference, distorted = load_pair(case_id)
    with fsimlib.use_fft_engine("pyfftw"):
        fast = fsimlib.compare(reference, distorted)
    with fsimlib.use_fft_engine(other):
        slow = fsimlib.compare(reference, distorted)
    assert abs(fast.fsim - slow.fsim) <= ENGINE_TOL, (case_id, fast.fsim, slow.fsim)
    assert abs(fast.fsimc - slow.fsimc) <= ENGINE_TOL, (
        case_id,
        fast.fsimc,
        slow.fsimc,
    )
    for name in ("phase_congruency1", "phase_congruency2"):
        error = np.max(np.abs(getattr(fast, name) - getattr(slow, name)))
        assert error <= ENGINE_TOL, f"{case_id} {name}: {error:.3e}"


@needs_pyfftw
@pytest.mark.parametrize("name", PC_INPUTS)
def test_scipy_phase_congruency_equals_pyfftw(name: str) -> None:
    image = np.load(DATA_DIR / "maps" / f"pc_{name}_input.npy")
    with fsimlib.use_fft_engine("pyfftw"):
        fast = fsimlib.phase_congruency(image)
    with fsimlib.use_fft_engine("scipy"):
        slow = fsimlib.phase_congruency(image)
    error = float(np.max(np.abs(fast - slow)))
    assert error <= ENGINE_TOL, f"pc_{name}: {error:.3e}"


HIDDEN_CASE = "092_rocket_384x500_c_desaturate_0p5"

HIDE_PYFFTW = """
    import json, sys, warnings
    warnings.simplefilter("error")
    sys.modules["pyfftw"] = None  # import pyfftw now raises ImportError
    import numpy as np
    import fsimlib

    report = {"engines": list(fsimlib.available_fft_engines())}
    try:
        with fsimlib.use_fft_engine("pyfftw"):
            pass
    except ValueError as exc:
        report["pyfftw_error"] = str(exc)
    result = fsimlib.compare(np.load(sys.argv[1]), np.load(sys.argv[2]))
    report["fsim"] = repr(result.fsim)
    report["fsimc"] = repr(result.fsimc)
    print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def hidden_pyfftw_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What fsimlib does in a fresh interpreter where pyFFTW cannot import."""
    folder = tmp_path_factory.mktemp("no_pyfftw")
    reference, distorted = load_pair(HIDDEN_CASE)
    np.save(folder / "ref.npy", reference)
    np.save(folder / "dist.npy", distorted)
    completed = run_python(
        HIDE_PYFFTW, str(folder / "ref.npy"), str(folder / "dist.npy")
    )
    # Warnings are errors in the child: a warning would have failed it.
    assert completed.stderr == "", completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


def test_without_pyfftw_scipy_is_the_only_engine(
    hidden_pyfftw_report: dict[str, Any],
) -> None:
    assert hidden_pyfftw_report["engines"] == ["scipy"]
    message = hidden_pyfftw_report.get("pyfftw_error")
    assert message is not None, "use_fft_engine('pyfftw') did not raise ValueError"
    assert "pyfftw" in message, message
    assert "not available" in message, message


@needs_pyfftw
def test_without_pyfftw_scores_equal_pyfftw(
    hidden_pyfftw_report: dict[str, Any],
) -> None:
    reference, distorted = load_pair(HIDDEN_CASE)
    with fsimlib.use_fft_engine("pyfftw"):
        result = fsimlib.compare(reference, distorted)
    for name in ("fsim", "fsimc"):
        fallback = float(hidden_pyfftw_report[name])
        assert abs(fallback - getattr(result, name)) <= ENGINE_TOL, (
            name,
            fallback,
            getattr(result, name),
        )


def test_import_emits_no_warnings() -> None:
    completed = run_python(
        """
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import fsimlib
        print(json.dumps([f"{w.category.__name__}: {w.message}" for w in caught]))
        """
    )
    assert json.loads(completed.stdout) == []
    assert completed.stderr == ""


@pytest.mark.parametrize("name", ["fftw", "numpy", "", "SCIPY", "pyfftw "])
def test_unknown_engine_name_is_rejected(name: str) -> None:
    with (
        pytest.raises(ValueError, match="Unknown FFT engine"),
        fsimlib.use_fft_engine(name),
    ):
        pass


@pytest.mark.parametrize(
    "name",
    [
        None,
        1,
        b"scipy",
        ("scipy",),
    ],
)
def test_engine_name_must_be_a_string(name: object) -> None:
    with (
        pytest.raises(TypeError, match="FFT engine name must be a str"),
        fsimlib.use_fft_engine(name),  # type: ignore[arg-type]
    ):
        pass


@pytest.mark.parametrize(
    "expected",
    [
        pytest.param(EXPECTED_ENGINE, id=f"expected-{EXPECTED_ENGINE}")
        if EXPECTED_ENGINE
        else pytest.param("pyfftw", id="default-pyfftw", marks=needs_pyfftw)
    ],
)
def test_engine_in_force_by_default(expected: str) -> None:
    # FSIMLIB_EXPECT_ENGINE states which engine this environment must pick;
    # without it, pyFFTW is installed and must be the default.
    assert fsimlib.available_fft_engines()[0] == expected


@needs_pyfftw
def test_measured_plans_never_touch_the_callers_arrays() -> None:
    # FFTW_MEASURE overwrites the arrays it plans on: fsimlib plans on its
    # own scratch buffers, so a fresh shape leaves the input as it was.
    rng = np.random.default_rng(12)
    image = rng.random((72, 56)) * 255
    before = image.copy()
    with fsimlib.use_fft_engine("pyfftw-measure"):
        measured = fsimlib.phase_congruency(image)
    np.testing.assert_array_equal(image, before)
    with fsimlib.use_fft_engine("pyfftw"):
        estimated = fsimlib.phase_congruency(image)
    np.testing.assert_allclose(measured, estimated, rtol=0, atol=ENGINE_TOL)


@needs_pyfftw
def test_measured_plans_leave_estimated_plans_alone() -> None:
    # FFTW reuses wisdom from measured planning even when asked for an
    # estimated plan: without care, using "pyfftw-measure" once would change
    # the bits of every later default plan of that shape (in a new thread,
    # say), and scores would depend on history.
    rng = np.random.default_rng(13)
    image = rng.random((192, 256)) * 255  # where measured plans differ here
    with fsimlib.use_fft_engine("pyfftw"):
        before = fsimlib.phase_congruency(image)
    with fsimlib.use_fft_engine("pyfftw-measure"):
        fsimlib.phase_congruency(image)
    after: list[np.ndarray] = []

    def in_a_new_thread() -> None:  # new thread: new estimated plans
        with fsimlib.use_fft_engine("pyfftw"):
            after.append(fsimlib.phase_congruency(image))

    thread = threading.Thread(target=in_a_new_thread)
    thread.start()
    thread.join()
    np.testing.assert_array_equal(after[0], before)
