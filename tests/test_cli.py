"""The ``fsimlib`` command line, run as users run it: the installed console
script (and ``python -m fsimlib``) in a subprocess, on files the tests write.

Scores printed or written by the command are compared exactly with the
Python API's on the same files: the command only reads the files and calls
the same code.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from scipy.stats import kendalltau, pearsonr, spearmanr
from skimage import data
from skimage.filters import gaussian
from subprocesses import WITH_DEFAULT_SIGNALS

import fsimlib

#: End to end: every test runs the installed ``fsimlib`` command in a
#: subprocess, as a user would.
pytestmark = pytest.mark.e2e


def console_script() -> Path:
    """The ``fsimlib`` script that ``pip install`` put beside this Python."""
    folder = Path(sys.executable).parent
    for name in ("fsimlib", "fsimlib.exe"):
        if (folder / name).is_file():
            return folder / name
    msg = (
        f"the fsimlib console script is not installed beside {sys.executable}; "
        "run pip install -e . first"
    )
    raise AssertionError(msg)


SCRIPT = [os.fspath(console_script())]
MODULE = [sys.executable, "-m", "fsimlib"]
TIMEOUT = 180  # seconds; generous for a shared, noisy 2-core machine


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    cwd: Path,
    command: Sequence[str] = SCRIPT,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, *map(os.fspath, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fsimlib: error: "), lines[0]
    assert text in lines[0], lines[0]


# --------------------------------------------------------------------------
# a small dataset


@dataclass(frozen=True)
class Dataset:
    folder: Path
    pairs_csv: Path
    rows: list[dict[str, str]]
    bad_rows: dict[int, str]  # row index -> expected error text


REFERENCES = {
    "camera": lambda: data.camera()[150:214, 180:244],
    "astronaut": lambda: data.astronaut()[80:144, 160:224],
    "coffee": lambda: data.coffee()[100:164, 250:314],
    "coins": lambda: data.coins()[60:124, 100:164],
}


def distortions(image: np.ndarray, seed: int) -> dict[str, tuple[np.ndarray, float]]:
    """Five distorted versions with a made-up MOS falling with strength."""
    rng = np.random.default_rng(seed)
    channel_axis = -1 if image.ndim == 3 else None
    out = {}
    for level, sigma in enumerate((6.0, 20.0)):
        noise = rng.normal(0, sigma, image.shape)
        out[f"noise{level}"] = (
            np.clip(image + noise, 0, 255).astype(np.uint8),
            4.5 - 2 * level,
        )
    for level, sigma in enumerate((1.0, 2.5)):
        blurred = gaussian(
            image, sigma=sigma, channel_axis=channel_axis, preserve_range=True
        )
        out[f"blur{level}"] = (np.round(blurred).astype(np.uint8), 4.0 - 2 * level)
    out["quant"] = ((image // 64 * 64).astype(np.uint8), 1.5)
    return out


def make_dataset(folder: Path) -> Dataset:
    """4 references x 5 distortions, plus 4 rows that must fail: 24 rows."""
    images = folder / "images"
    images.mkdir()
    rows = []
    for seed, (name, make) in enumerate(REFERENCES.items()):
        reference = make()
        iio.imwrite(images / f"{name}.png", reference)
        for kind, (image, mos) in distortions(reference, seed).items():
            iio.imwrite(images / f"{name}_{kind}.png", image)
            rows.append(
                {
                    "ref": f"images/{name}.png",
                    "dist": f"images/{name}_{kind}.png",
                    "mos": f"{mos + 0.1 * seed:.2f}",
                    "distortion": kind.rstrip("01"),
                }
            )
    (images / "corrupt.png").write_bytes(
        (images / "camera_blur0.png").read_bytes()[:120]
    )
    iio.imwrite(images / "small.png", data.camera()[:32, :32])
    iio.imwrite(
        images / "deep.png", data.camera()[150:214, 180:244].astype(np.uint16) * 257
    )
    bad = {
        "images/missing.png": "no such image file",
        "images/corrupt.png": "not a readable image",
        "images/small.png": "images must have the same shape",
        "images/deep.png": "the reference is 8-bit but the distorted image is 16-bit",
    }
    bad_rows = {}
    for dist, reason in bad.items():
        bad_rows[len(rows)] = reason
        rows.append(
            {"ref": "images/camera.png", "dist": dist, "mos": "3", "distortion": "bad"}
        )
    # Failures in the middle too, not only at the end.
    order = [
        0,
        20,
        1,
        2,
        3,
        21,
        4,
        5,
        6,
        7,
        8,
        22,
        9,
        10,
        11,
        12,
        13,
        14,
        23,
        15,
        16,
        17,
        18,
        19,
    ]
    rows = [rows[i] for i in order]
    bad_rows = {order.index(i): reason for i, reason in bad_rows.items()}
    pairs_csv = folder / "pairs.csv"
    write_csv(pairs_csv, rows)
    return Dataset(folder, pairs_csv, rows, bad_rows)


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV, after the '# fsimlib ...' line of a score file."""
    with path.open(newline="") as handle:
        if not handle.readline().startswith(f"# fsimlib {fsimlib.__version__} {{"):
            handle.seek(0)
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return make_dataset(tmp_path_factory.mktemp("dataset"))


# --------------------------------------------------------------------------
# help and version


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ["compare", "batch", "correlate", "demo", "Exit codes"]),
        (["compare"], ["REF", "DIST", "--json", "--map", "bit depth", "--downsample"]),
        (
            ["batch"],
            [
                "PAIRS.csv",
                "--output",
                "--processes",
                "--ref-dir",
                "--dist-dir",
                "resume",
            ],
        ),
        (["correlate"], ["--mos", "--by", "--score", "--json", "logistic", "b2 = 1 /"]),
        (["demo"], ["--host", "--port", "fsimlib[demo]"]),
    ],
)
def test_help_texts(tmp_path: Path, args: list[str], expected: list[str]) -> None:
    result = run([*args, "--help"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: fsimlib {' '.join(args)}".rstrip())
    for text in expected:
        assert text in result.stdout, (args, text)


@pytest.mark.parametrize("command", [SCRIPT, MODULE], ids=["script", "module"])
def test_version(tmp_path: Path, command: list[str]) -> None:
    result = run(["--version"], cwd=tmp_path, command=command)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"fsimlib, version {fsimlib.__version__}"
    assert lines[1] == f"FFT engine: {fsimlib.backends.available_fft_engines()[0]}"
    assert lines[2].startswith(f"loops: {fsimlib.backends.available_loops()[0]}")
    assert len(lines) == 3


# --------------------------------------------------------------------------
# compare


@pytest.mark.parametrize(
    ("ref", "dist"),
    [
        ("images/camera.png", "images/camera_noise1.png"),
        ("images/astronaut.png", "images/astronaut_blur0.png"),
    ],
)
def test_compare_prints_the_api_scores(dataset: Dataset, ref: str, dist: str) -> None:
    reference, _ = fsimlib.read_image(dataset.folder / ref)
    distorted, _ = fsimlib.read_image(dataset.folder / dist)
    expected = fsimlib.compare(reference, distorted)
    text = run(["compare", ref, dist], cwd=dataset.folder)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        f"FSIM   {expected.fsim:.10f}",
        f"FSIMc  {expected.fsimc:.10f}",
    ]
    as_json = run(["compare", ref, dist, "--json"], cwd=dataset.folder)
    payload = json.loads(as_json.stdout)
    # JSON writes floats with repr, which round-trips exactly.
    assert payload["fsim"] == expected.fsim
    assert payload["fsimc"] == expected.fsimc
    assert payload["data_range"] == 255.0
    assert payload["shape"] == list(reference.shape)
    assert payload["map"] is None


def test_compare_sixteen_bit_files(tmp_path: Path) -> None:
    image = data.camera()[:64, :64].astype(np.uint16) * 257
    noisy = np.clip(
        image + np.random.default_rng(3).normal(0, 3000, image.shape), 0, 65535
    )
    iio.imwrite(tmp_path / "a.png", image)
    iio.imwrite(tmp_path / "b.png", noisy.astype(np.uint16))
    payload = json.loads(
        run(["compare", "a.png", "b.png", "--json"], cwd=tmp_path).stdout
    )
    assert payload["data_range"] == 65535.0
    assert payload["fsim"] == fsimlib.fsim(image, noisy.astype(np.uint16))


@pytest.mark.needs_extras
@pytest.mark.parametrize(
    ("name", "make"),
    [
        ("grey.png", lambda: data.camera()[150:214, 180:244]),
        ("colour.png", lambda: data.astronaut()[:300, :520]),  # downsampled by 1
        ("large.png", data.astronaut),  # downsampled by 2
    ],
)
def test_compare_map_is_a_heat_map_at_the_processing_size(
    tmp_path: Path, name: str, make: object
) -> None:
    from fsimlib._heatmap import canvas_shape, map_colours

    reference = make()  # type: ignore[operator]
    distorted = np.clip(reference.astype(float) * 0.7 + 40, 0, 255).astype(np.uint8)
    iio.imwrite(tmp_path / "ref.png", reference)
    iio.imwrite(tmp_path / "dist.png", distorted)
    result = run(["compare", "ref.png", "dist.png", "--map", name], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    picture = iio.imread(tmp_path / name)
    scores = fsimlib.compare(reference, distorted)
    values = (
        scores.chromatic_similarity_map
        if reference.ndim == 3
        else scores.similarity_map
    )
    rows, cols = values.shape
    factor = scores.downsample_factor
    assert (rows, cols) == (reference.shape[0] // factor, reference.shape[1] // factor)
    assert picture.shape[:2] == canvas_shape((rows, cols))
    # The map is placed pixel for pixel: its colours are exact.
    np.testing.assert_array_equal(
        picture[:rows, :cols, :3], map_colours(values)[..., :3]
    )
    # The colour bar panel is drawn (not blank) to the right of the map.
    assert len(np.unique(picture[:, cols:, :3].reshape(-1, 3), axis=0)) > 10


#: The command, in an interpreter where matplotlib cannot be imported (as
#: after the README's install command, which installs no extras).
WITHOUT_MATPLOTLIB = [
    sys.executable,
    "-c",
    "import sys; sys.modules['matplotlib'] = None; "
    "from fsimlib.cli import main; sys.exit(main())",
]


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_compare_map_without_matplotlib_prints_the_scores_first(
    tmp_path: Path, as_json: bool
) -> None:
    reference = data.camera()[150:214, 180:244]
    distorted = np.clip(reference.astype(float) * 0.7 + 40, 0, 255).astype(np.uint8)
    iio.imwrite(tmp_path / "ref.png", reference)
    iio.imwrite(tmp_path / "dist.png", distorted)
    args = ["compare", "ref.png", "dist.png", "--map", "map.png"]
    result = run(
        [*args, "--json"] if as_json else args,
        cwd=tmp_path,
        command=WITHOUT_MATPLOTLIB,
    )
    assert result.returncode == 1
    assert_one_line_error(result, "pip install 'fsimlib[plot]'")
    expected = fsimlib.fsim(reference, distorted)
    if as_json:
        assert json.loads(result.stdout)["fsim"] == expected
    else:
        assert result.stdout.splitlines()[0] == f"FSIM   {expected:.10f}"
    assert not (tmp_path / "map.png").exists()


@pytest.mark.parametrize(
    ("args", "code", "text"),
    [
        (
            ["compare", "images/camera.png", "images/missing.png"],
            1,
            "no such image file",
        ),
        (
            ["compare", "images/camera.png", "images/corrupt.png"],
            1,
            "not a readable image",
        ),
        (
            ["compare", "images/camera.png", "images/deep.png"],
            1,
            "expected files of the same bit depth",
        ),
        (["compare", "images/camera.png", "images/small.png"], 1, "same shape"),
        (["compare", "images/camera.png"], 2, "Missing argument 'DIST'"),
        (
            ["compare", "images/camera.png", "images/camera.png", "--downsample", "x"],
            2,
            "expected 'auto', 'off' or a positive integer",
        ),
        (["compare", "a", "b", "--gradient", "roberts"], 2, "'roberts' is not one of"),
        (["frobnicate"], 2, "No such command 'frobnicate'"),
        (["demo", "--port", "0"], 2, "0 is not in the range 1<=x<=65535"),
    ],
)
def test_errors_are_one_line_with_exit_code(
    dataset: Dataset, args: list[str], code: int, text: str
) -> None:
    result = run(args, cwd=dataset.folder)
    assert result.returncode == code, result.stderr
    assert_one_line_error(result, text)
    assert result.stdout == ""


# --------------------------------------------------------------------------
# batch


def expected_rows(dataset: Dataset) -> list[dict[str, str]]:
    """The table a batch run must write: input columns, scores from the API."""
    rows = []
    for index, row in enumerate(dataset.rows):
        out = dict(row)
        if index in dataset.bad_rows:
            out.update(fsim="", fsimc="")
        else:
            ref, _ = fsimlib.read_image(dataset.folder / row["ref"])
            dist, _ = fsimlib.read_image(dataset.folder / row["dist"])
            result = fsimlib.compare(ref, dist)
            out.update(fsim=repr(result.fsim), fsimc=repr(result.fsimc), error="")
        rows.append(out)
    return rows


def check_table(dataset: Dataset, path: Path) -> None:
    written = read_csv(path)
    expected = expected_rows(dataset)
    assert len(written) == len(expected) == 24
    for index, (row, want) in enumerate(zip(written, expected, strict=True)):
        if index in dataset.bad_rows:
            assert row["fsim"] == row["fsimc"] == ""
            assert dataset.bad_rows[index] in row["error"], (index, row["error"])
            assert {k: row[k] for k in dataset.rows[0]} == dataset.rows[index]
        else:
            assert row == want, index


@pytest.mark.parametrize(
    ("command", "workers"),
    [(SCRIPT, "2"), (MODULE, "1")],
    ids=["script-2-workers", "module-1-worker"],
)
def test_batch_scores_every_pair_and_reports_failures(
    dataset: Dataset, tmp_path: Path, command: list[str], workers: str
) -> None:
    output = tmp_path / "scores.csv"
    result = run(
        ["batch", dataset.pairs_csv, "--output", output, "--processes", workers],
        cwd=tmp_path,
        command=command,
    )
    assert result.returncode == 1, result.stderr  # 4 rows failed
    assert result.stdout.strip() == f"24 pairs in {output}: 20 scored, 4 failed"
    assert "pair/s" in result.stderr, "a progress bar with the rate"
    assert "Traceback" not in result.stderr
    check_table(dataset, output)
    # Run again: nothing left to do, the table is unchanged.
    before = output.read_bytes()
    again = run(["batch", dataset.pairs_csv, "-o", output, "-j", workers], cwd=tmp_path)
    assert again.returncode == 1
    assert output.read_bytes() == before


@pytest.mark.parametrize(("workers", "started"), [(2, True), (1, False)])
def test_worker_server_starts_with_the_command_only_when_needed(
    workers: int, started: bool
) -> None:
    # The fork server is started before the command reads its table, so
    # that its imports overlap the command's own start; never for one
    # worker, which scores in the command's process.
    pytest.importorskip("psutil")
    if sys.platform == "win32":
        pytest.skip("no fork server on Windows: workers are spawned")
    # The server is forked before _start_worker_server returns, so the
    # child count is checked at once; its command line shows the fork
    # server once it has executed Python, which under load takes a while
    # (waited for, up to a minute).
    code = (
        "import time, psutil\n"
        "from fsimlib import cli\n"
        f"cli._start_worker_server({workers})\n"
        "children = psutil.Process().children()\n"
        "deadline = time.monotonic() + 60\n"
        "marker = 'multiprocessing.' + 'forkserver'  # not in this command line\n"
        "def server(child):\n"
        "    try:\n"
        "        return marker in ' '.join(child.cmdline())\n"
        "    except psutil.Error:\n"
        "        return False\n"
        "while children and not any(map(server, children)):\n"
        "    if time.monotonic() > deadline:\n"
        "        break\n"
        "    time.sleep(0.05)\n"
        "print(bool(children) and any(map(server, children)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(started)


def test_batch_exit_code_zero_when_all_rows_score(
    dataset: Dataset, tmp_path: Path
) -> None:
    good = [row for i, row in enumerate(dataset.rows) if i not in dataset.bad_rows]
    pairs = dataset.folder / "good_pairs.csv"
    write_csv(pairs, good)
    result = run(
        ["batch", pairs, "-o", tmp_path / "s.csv", "-j", "1", "--no-progress"],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert len(read_csv(tmp_path / "s.csv")) == 20


def test_batch_retry_errors_scores_fixed_rows(tmp_path: Path) -> None:
    image = data.camera()[:48, :48]
    iio.imwrite(tmp_path / "ref.png", image)
    write_csv(tmp_path / "pairs.csv", [{"ref": "ref.png", "dist": "later.png"}])
    first = run(["batch", "pairs.csv", "-o", "out.csv", "-j", "1"], cwd=tmp_path)
    assert first.returncode == 1
    iio.imwrite(tmp_path / "later.png", image[::-1])
    same = run(["batch", "pairs.csv", "-o", "out.csv", "-j", "1"], cwd=tmp_path)
    assert same.returncode == 1, "a failed row is done unless retried"
    retried = run(
        ["batch", "pairs.csv", "-o", "out.csv", "-j", "1", "--retry-errors"],
        cwd=tmp_path,
    )
    assert retried.returncode == 0, retried.stderr
    (row,) = read_csv(tmp_path / "out.csv")
    assert float(row["fsim"]) == fsimlib.fsim(image, image[::-1])


def slow_dataset(folder: Path, count: int) -> Path:
    """Enough full-size pairs that a run can be stopped part-way."""
    rows = []
    reference = data.camera()[:256, :256]
    iio.imwrite(folder / "ref.png", reference)
    rng = np.random.default_rng(7)
    for index in range(count):
        noise = rng.normal(0, 2 + index, reference.shape)
        iio.imwrite(
            folder / f"d{index:02d}.png",
            np.clip(reference + noise, 0, 255).astype(np.uint8),
        )
        rows.append({"ref": "ref.png", "dist": f"d{index:02d}.png", "id": str(index)})
    write_csv(folder / "pairs.csv", rows)
    return folder / "pairs.csv"


def data_rows(path: Path) -> int:
    if not path.exists():
        return 0
    return max(0, path.read_bytes().count(b"\n") - 2)  # provenance, header


@pytest.mark.parametrize(
    ("stop", "workers"),
    [("SIGKILL", "1"), ("SIGKILL", "2"), ("SIGINT", "1")],
)
def test_interrupted_batch_resumes_to_the_uninterrupted_table(
    tmp_path: Path, stop: str, workers: str
) -> None:
    count = 60
    pairs = slow_dataset(tmp_path, count)
    base = ["batch", pairs, "--downsample", "off", "-j", workers, "--chunk-size", "1"]
    complete = run([*base, "-o", "complete.csv"], cwd=tmp_path)
    assert complete.returncode == 0, complete.stderr

    output = tmp_path / "interrupted.csv"
    process = subprocess.Popen(
        [
            *WITH_DEFAULT_SIGNALS,
            *SCRIPT,
            *map(os.fspath, base),
            "-o",
            os.fspath(output),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group: SIGKILL reaches the workers too
    )
    deadline = time.monotonic() + TIMEOUT
    while (
        data_rows(output) < 3 and process.poll() is None and time.monotonic() < deadline
    ):
        time.sleep(0.01)
    # Freeze the whole run at once, so that on a busy machine it cannot
    # finish between the check above and the signal below.
    os.killpg(process.pid, signal.SIGSTOP)
    frozen_at = data_rows(output)
    assert 3 <= frozen_at < count, f"the run was not stopped part-way ({frozen_at})"
    if stop == "SIGKILL":
        os.killpg(process.pid, signal.SIGKILL)
    else:
        process.send_signal(signal.SIGINT)  # Ctrl+C reaches the main process
        os.killpg(process.pid, signal.SIGCONT)  # it handles SIGINT once resumed
    _, stderr = process.communicate(timeout=TIMEOUT)
    written = data_rows(output)
    assert 3 <= written < count, (
        f"the run was not stopped part-way ({written} rows, {frozen_at} when "
        f"paused; exit code {process.returncode}):\n{stderr[-2000:]}"
    )
    if stop == "SIGINT":
        assert process.returncode == 130
        assert "interrupted after" in stderr
        assert "run the same command again to resume" in stderr
    else:
        assert process.returncode == -signal.SIGKILL

    resumed = run([*base, "-o", output], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert output.read_bytes() == (tmp_path / "complete.csv").read_bytes()


def test_batch_folder_mode(tmp_path: Path) -> None:
    (tmp_path / "reference_images").mkdir()
    (tmp_path / "distorted_images").mkdir()
    for name, make in list(REFERENCES.items())[:2]:
        image = make()
        iio.imwrite(tmp_path / "reference_images" / f"{name.upper()}.png", image)
        for kind, (distorted, _) in list(distortions(image, 0).items())[:2]:
            iio.imwrite(tmp_path / "distorted_images" / f"{name}_{kind}.png", distorted)
    iio.imwrite(tmp_path / "distorted_images" / "stray_1.png", data.camera()[:64, :64])
    result = run(
        [
            "batch",
            "--ref-dir",
            "reference_images",
            "--dist-dir",
            "distorted_images",
            "-o",
            "out/scores.csv",
            "-j",
            "1",
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr  # the stray image has no reference
    rows = read_csv(tmp_path / "out" / "scores.csv")
    assert [(row["ref"], row["dist"]) for row in rows] == [
        (
            "../reference_images/ASTRONAUT.png",
            "../distorted_images/astronaut_noise0.png",
        ),
        (
            "../reference_images/ASTRONAUT.png",
            "../distorted_images/astronaut_noise1.png",
        ),
        ("../reference_images/CAMERA.png", "../distorted_images/camera_noise0.png"),
        ("../reference_images/CAMERA.png", "../distorted_images/camera_noise1.png"),
        ("", "../distorted_images/stray_1.png"),
    ]
    assert all(row["fsim"] for row in rows[:4])
    assert "empty ref" in rows[4]["error"]


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["batch", "-o", "x.csv"], "give PAIRS.csv, or both --ref-dir and --dist-dir"),
        (["batch", "pairs.csv", "--ref-dir", "images", "-o", "x.csv"], "not both"),
        (["batch", "pairs.csv"], "Missing option '-o' / '--output'"),
        (
            ["batch", "pairs.csv", "-o", "x.csv", "-j", "0"],
            "0 is not in the range x>=1",
        ),
        (["batch", "nope.csv", "-o", "x.csv"], "'nope.csv' does not exist"),
        (
            ["batch", "images/camera.png", "-o", "x.csv"],
            "is not a UTF-8 text CSV file",
        ),
        (["batch", "foreign.csv", "-o", "x.csv"], "must have columns 'ref' and 'dist'"),
        (["batch", "pairs.csv", "-o", "foreign.csv"], "not a score file of this table"),
    ],
)
def test_batch_usage_errors(dataset: Dataset, args: list[str], text: str) -> None:
    (dataset.folder / "foreign.csv").write_text("a,b\n1,2\n")
    result = run(args, cwd=dataset.folder)
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result, text)


# --------------------------------------------------------------------------
# correlate


def known_scores(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(11)
    scores = rng.uniform(0.7, 1.0, 40)
    mos = 1 + 4 / (1 + np.exp(-(scores - 0.85) / 0.04)) + rng.normal(0, 0.3, 40)
    groups = ["jpeg" if i % 2 else "noise" for i in range(40)]
    rows = [
        {
            "ref": "r.png",
            "dist": f"d{i}.png",
            "mos": repr(float(m)),
            "kind": g,
            "fsim": repr(float(s)),
            "error": "",
        }
        for i, (s, m, g) in enumerate(zip(scores, mos, groups, strict=True))
    ]
    rows.insert(
        5,
        {
            "ref": "r.png",
            "dist": "x.png",
            "mos": "2",
            "kind": "noise",
            "fsim": "",
            "error": "no such image file",
        },
    )
    write_csv(path, rows)
    return scores, mos, groups


def test_correlate_json_equals_scipy(tmp_path: Path) -> None:
    scores, mos, groups = known_scores(tmp_path / "scores.csv")
    result = run(
        ["correlate", "scores.csv", "--mos", "mos", "--by", "kind", "--json"],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["excluded_rows"] == 1
    subsets = {"all": np.arange(40)}
    for label in ("noise", "jpeg"):
        subsets[label] = np.array([i for i, g in enumerate(groups) if g == label])
    for label, members in subsets.items():
        stats = payload["overall"] if label == "all" else payload["groups"][label]
        x, y = scores[members], mos[members]
        assert stats["n"] == len(members)
        # Same scipy calls on the same float64 values (JSON round-trips them).
        assert stats["srocc"] == spearmanr(x, y).statistic, label
        assert stats["krocc"] == kendalltau(x, y).statistic, label
        assert stats["plcc"] == pearsonr(x, y).statistic, label
        api = fsimlib.stats.correlate(x, y)
        assert stats["plcc_logistic"] == api.plcc_logistic, label
        assert stats["rmse"] == api.rmse, label
        assert stats["logistic"]["parameters"] == list(api.fit.parameters)  # type: ignore[union-attr]


def test_correlate_table(tmp_path: Path) -> None:
    scores, mos, _ = known_scores(tmp_path / "scores.csv")
    result = run(
        ["correlate", "scores.csv", "--mos", "mos", "--by", "kind"], cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "group",
        "n",
        "SROCC",
        "KROCC",
        "PLCC",
        "PLCC(fit)",
        "RMSE(fit)",
    ]
    assert [line.split()[0] for line in lines[1:]] == ["all", "kind=noise", "kind=jpeg"]
    api = fsimlib.stats.correlate(scores, mos)
    expected = [
        f"{v:.4f}"
        for v in (api.srocc, api.krocc, api.plcc, api.plcc_logistic, api.rmse)
    ]
    assert lines[1].split() == ["all", "40", *expected]
    assert "1 rows without a score left out" in result.stderr


def test_correlate_small_groups_are_reported_not_fatal(tmp_path: Path) -> None:
    known_scores(tmp_path / "scores.csv")
    rows = read_csv(tmp_path / "scores.csv")
    rows[0]["kind"] = "lonely"
    write_csv(tmp_path / "scores.csv", rows)
    result = run(
        ["correlate", "scores.csv", "--mos", "mos", "--by", "kind", "--json"],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    lonely = json.loads(result.stdout)["groups"]["lonely"]
    assert lonely == {"n": 1, "error": "need at least 3 pairs to correlate, got 1"}


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (
            ["correlate", "scores.csv", "--mos", "opinion"],
            "has no column 'opinion' (--mos)",
        ),
        (
            ["correlate", "scores.csv", "--mos", "mos", "--by", "x"],
            "has no column 'x' (--by)",
        ),
        (
            ["correlate", "scores.csv", "--mos", "kind"],
            "column 'kind' is 'noise', not a number",
        ),
        (["correlate", "scores.csv"], "Missing option '--mos'"),
    ],
)
def test_correlate_usage_errors(tmp_path: Path, args: list[str], text: str) -> None:
    known_scores(tmp_path / "scores.csv")
    result = run(args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result, text)


@pytest.mark.parametrize(
    "cell", ["1_0", "inf", "-Infinity", "nan", "0x1p-1", "1e", "."]
)
def test_correlate_reads_decimal_numbers_only(tmp_path: Path, cell: str) -> None:
    # Python's float() takes "1_0" (as 10), "inf" and "nan": none is a score.
    rows = [{"fsim": repr(0.8 + i / 100), "mos": str(i)} for i in range(8)]
    rows[3]["fsim"] = cell
    write_csv(tmp_path / "scores.csv", rows)
    result = run(["correlate", "scores.csv", "--mos", "mos"], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result, f"line 5: column 'fsim' is {cell!r}, not a number")


def test_correlate_accepts_plain_decimals(tmp_path: Path) -> None:
    cells = ["0.8", " 0.85 ", "+0.9", ".95", "9.7e-1", "1E0", "1", "0.99"]
    rows = [{"fsim": cell, "mos": str(i)} for i, cell in enumerate(cells)]
    write_csv(tmp_path / "scores.csv", rows)
    result = run(["correlate", "scores.csv", "--mos", "mos", "--json"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = fsimlib.stats.correlate([float(cell) for cell in cells], range(8))
    assert json.loads(result.stdout)["overall"]["srocc"] == expected.srocc


def test_correlate_refuses_repeated_column_names(tmp_path: Path) -> None:
    (tmp_path / "scores.csv").write_text(
        "fsim,mos,fsim\n0.9,1,0.3\n0.95,2,0.4\n0.8,3,0.5\n", encoding="utf-8"
    )
    result = run(["correlate", "scores.csv", "--mos", "mos"], cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert_one_line_error(result, "more than one column named 'fsim'")


# --------------------------------------------------------------------------
# demo


def test_demo_calls_launch_with_the_options(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The subcommand imports fsimlib.demo lazily and passes its options on."""
    import types

    from fsimlib.cli import main

    calls: list[dict[str, object]] = []
    stand_in = types.ModuleType("fsimlib.demo")
    stand_in.launch = lambda **options: calls.append(options)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fsimlib.demo", stand_in)
    assert main(["demo", "--host", "0.0.0.0", "--port", "8123", "--open-browser"]) == 0
    assert calls == [{"host": "0.0.0.0", "port": 8123, "open_browser": True}]

    def missing(**_: object) -> None:
        msg = "the demo needs gradio: pip install 'fsimlib[demo]'"
        raise ImportError(msg)

    stand_in.launch = missing  # type: ignore[attr-defined]
    assert main(["demo"]) == 1
    assert capsys.readouterr().err == (
        "fsimlib: error: the demo needs gradio: pip install 'fsimlib[demo]'\n"
    )
