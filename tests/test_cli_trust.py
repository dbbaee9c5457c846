"""The command line's outputs can be trusted: one writer per score file, one
option set per file, no input or foreign file overwritten, no process left
behind by a stop signal, and every failure a one-line message.

Each test runs the installed ``fsimlib`` command in a subprocess, as users
do, and waits on what it can observe (rows in the output, processes gone)
with generous deadlines rather than fixed sleeps.
"""

from __future__ import annotations

import csv
import json
import math
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import psutil
import pytest
from skimage import data
from subprocesses import WITH_DEFAULT_SIGNALS

import fsimlib
from fsimlib._io import DEFAULT_MAX_PIXELS

# Every test runs the command in a subprocess: the end-to-end layer.
pytestmark = pytest.mark.e2e

SCRIPT = [os.fspath(Path(sys.executable).parent / "fsimlib")]
TIMEOUT = 180  # seconds; generous for a shared, noisy 2-core machine


def run(
    args: Sequence[str | os.PathLike[str]], *, cwd: Path, **options: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [*SCRIPT, *map(os.fspath, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        **options,
    )


def start(
    args: Sequence[str | os.PathLike[str]], *, cwd: Path
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*WITH_DEFAULT_SIGNALS, *SCRIPT, *map(os.fspath, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def one_line_error(stderr: str, text: str) -> None:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("fsimlib: error: "), lines[0]
    assert text in lines[0], lines[0]


def rows_in(path: Path) -> int:
    """Complete data rows of a score file (after provenance and header)."""
    try:
        return max(0, path.read_bytes().count(b"\n") - 2)
    except FileNotFoundError:
        return 0


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def write_pairs(
    folder: Path, count: int, size: int, labels: Sequence[str] = ()
) -> Path:
    """``count`` noisy copies of a ``size`` x ``size`` reference, as a pairs table."""
    reference = data.camera()[:size, :size]
    iio.imwrite(folder / "ref.png", reference)
    rng = np.random.default_rng(3)
    with (folder / "pairs.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ref", "dist", "label", "mos"])
        for index in range(count):
            noise = rng.normal(0, 2 + index, reference.shape)
            noisy = np.clip(reference + noise, 0, 255).astype(np.uint8)
            iio.imwrite(folder / f"d{index:02d}.png", noisy)
            label = labels[index % len(labels)] if labels else str(index)
            writer.writerow(["ref.png", f"d{index:02d}.png", label, str(-index / 2)])
    return folder / "pairs.csv"


SLOW = ["--downsample", "off", "--chunk-size", "1", "--no-progress"]


# --------------------------------------------------------------------------
# one writer per output


def test_two_batch_runs_on_one_output_only_one_proceeds(tmp_path: Path) -> None:
    pairs = write_pairs(tmp_path, 24, 128)
    output = tmp_path / "s.csv"
    first = start(["batch", pairs, "-o", output, "-j", "1", *SLOW], cwd=tmp_path)
    try:
        wait_for(lambda: rows_in(output) >= 1 or first.poll() is not None, "a row")
        first.send_signal(signal.SIGSTOP)  # paused mid-run, holding the output
        assert first.poll() is None, "the first run ended before the second began"
        second = run(["batch", pairs, "-o", output, "-j", "1", *SLOW], cwd=tmp_path)
        assert second.returncode == 2
        one_line_error(second.stderr, f"another run is writing {output}")
    finally:
        first.send_signal(signal.SIGCONT)
        _, stderr = first.communicate(timeout=TIMEOUT)
    assert first.returncode == 0, stderr
    with output.open(newline="") as handle:
        handle.readline()
        rows = list(csv.DictReader(handle))
    assert [row["dist"] for row in rows] == [f"d{i:02d}.png" for i in range(24)]


def test_the_lock_of_a_killed_run_does_not_block_the_next(tmp_path: Path) -> None:
    pairs = write_pairs(tmp_path, 12, 128)
    output = tmp_path / "s.csv"
    first = start(["batch", pairs, "-o", output, "-j", "1", *SLOW], cwd=tmp_path)
    wait_for(lambda: rows_in(output) >= 1 or first.poll() is not None, "a row")
    first.kill()
    first.communicate(timeout=TIMEOUT)
    assert (tmp_path / "s.csv.lock").exists(), "the lock file stays, harmless"
    again = run(["batch", pairs, "-o", output, "-j", "1", *SLOW], cwd=tmp_path)
    assert again.returncode == 0, again.stderr


def test_an_output_deleted_mid_run_is_not_reported_as_success(tmp_path: Path) -> None:
    pairs = write_pairs(tmp_path, 96, 128)  # long enough to pause mid-run when busy
    output = tmp_path / "s.csv"
    process = start(["batch", pairs, "-o", output, "-j", "1", *SLOW], cwd=tmp_path)
    wait_for(lambda: rows_in(output) >= 2 or process.poll() is not None, "rows")
    process.send_signal(signal.SIGSTOP)  # so that it is surely mid-run
    output.unlink()
    process.send_signal(signal.SIGCONT)
    stdout, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 1, stderr
    assert "scored" not in stdout
    one_line_error(stderr, "run the same command again")
    assert not output.exists(), "no new file with part of the rows"


# --------------------------------------------------------------------------
# one option set per output


def test_resuming_with_other_options_is_refused_until_restart(tmp_path: Path) -> None:
    pairs = write_pairs(tmp_path, 3, 48)
    output = tmp_path / "s.csv"
    sobel = run(
        ["batch", pairs, "-o", output, "-j", "1", "--gradient", "sobel"], cwd=tmp_path
    )
    assert sobel.returncode == 0, sobel.stderr
    before = output.read_bytes()
    assert b'"gradient": "sobel"' in before.splitlines()[0]
    default = run(["batch", pairs, "-o", output, "-j", "1"], cwd=tmp_path)
    assert default.returncode == 2
    one_line_error(default.stderr, "gradient: 'sobel' in the file, 'scharr' now")
    assert output.read_bytes() == before
    restarted = run(
        ["batch", pairs, "-o", output, "-j", "1", "--restart"], cwd=tmp_path
    )
    assert restarted.returncode == 0, restarted.stderr
    with output.open(newline="") as handle:
        assert '"gradient": "scharr"' in handle.readline()
        rows = list(csv.DictReader(handle))
    image = iio.imread(tmp_path / "ref.png")
    assert float(rows[1]["fsim"]) == fsimlib.fsim(
        image, iio.imread(tmp_path / "d01.png")
    )


# --------------------------------------------------------------------------
# files that are not ours, permissions


@pytest.mark.parametrize("restart", [[], ["--restart"]], ids=["resume", "restart"])
def test_an_unrelated_output_file_is_refused_and_kept(
    tmp_path: Path, restart: list[str]
) -> None:
    pairs = write_pairs(tmp_path, 2, 48)
    unrelated = tmp_path / "n.txt"
    unrelated.write_bytes(b"TOKEN=x")
    result = run(["batch", pairs, "-o", unrelated, "-j", "1", *restart], cwd=tmp_path)
    assert result.returncode == 2
    one_line_error(result.stderr, "is not a score file of fsimlib")
    assert unrelated.read_bytes() == b"TOKEN=x"


def test_the_output_is_not_the_pairs_table(tmp_path: Path) -> None:
    pairs = write_pairs(tmp_path, 2, 48)
    before = pairs.read_bytes()
    result = run(["batch", pairs, "-o", "./pairs.csv", "-j", "1"], cwd=tmp_path)
    assert result.returncode == 2
    one_line_error(result.stderr, "is the pairs table")
    assert pairs.read_bytes() == before


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_outputs_have_the_permissions_of_a_normal_file(
    tmp_path: Path, umask: int
) -> None:
    pairs = write_pairs(tmp_path, 2, 48)
    result = run(["batch", pairs, "-o", "s.csv", "-j", "1"], cwd=tmp_path, umask=umask)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "s.csv").stat().st_mode & 0o777 == 0o666 & ~umask


def test_a_write_error_says_the_rows_are_kept_and_the_rerun_resumes(
    tmp_path: Path,
) -> None:
    pairs = write_pairs(tmp_path, 6, 48)
    complete = run(["batch", pairs, "-o", "complete.csv", "-j", "1"], cwd=tmp_path)
    assert complete.returncode == 0, complete.stderr
    text = (tmp_path / "complete.csv").read_bytes()
    # Room for the provenance line and header and about half the rows.
    head = len(b"".join(text.splitlines(keepends=True)[:2]))
    limit = head + (len(text) - head) // 2

    def small_files() -> None:  # as a full disk would: writes fail part-way
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    failed = run(
        ["batch", pairs, "-o", "s.csv", "-j", "1", "--no-progress"],
        cwd=tmp_path,
        preexec_fn=small_files,
    )
    assert failed.returncode == 1
    one_line_error(failed.stderr, "rows written so far are kept")
    assert "run the same command again to resume" in failed.stderr
    resumed = run(["batch", pairs, "-o", "s.csv", "-j", "1"], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert (tmp_path / "s.csv").read_bytes() == (tmp_path / "complete.csv").read_bytes()


# --------------------------------------------------------------------------
# cells a spreadsheet would run


def test_formula_labels_are_neutralised_and_correlate_reads_them_raw(
    tmp_path: Path,
) -> None:
    labels = ["=cmd|'/C calc'!A0", "@SUM(A1)", "+x", "plain"]
    pairs = write_pairs(tmp_path, 8, 48, labels)
    result = run(["batch", pairs, "-o", "s.csv", "-j", "1"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with (tmp_path / "s.csv").open(newline="") as handle:
        handle.readline()
        rows = list(csv.DictReader(handle))
    assert [row["label"] for row in rows[:4]] == [
        "'" + label for label in labels[:3]
    ] + ["plain"]
    assert rows[1]["mos"] == "-0.5", "negative numbers stay numbers"
    grouped = run(
        ["correlate", "s.csv", "--mos", "mos", "--by", "label", "--json"], cwd=tmp_path
    )
    assert grouped.returncode == 0, grouped.stderr
    assert set(json.loads(grouped.stdout)["groups"]) == set(labels)


# --------------------------------------------------------------------------
# compare: never write over an input


@pytest.fixture
def two_images(tmp_path: Path) -> tuple[Path, Path]:
    image = data.camera()[:64, :64]
    iio.imwrite(tmp_path / "ref.png", image)
    iio.imwrite(tmp_path / "dist.png", (image // 2).astype(np.uint8))
    return tmp_path / "ref.png", tmp_path / "dist.png"


def test_map_over_an_input_or_a_foreign_file_is_refused(
    tmp_path: Path, two_images: tuple[Path, Path]
) -> None:
    ref, dist = two_images
    kept = {path: path.read_bytes() for path in (ref, dist)}
    (tmp_path / "link.png").symlink_to(dist)
    (tmp_path / "notes.png").write_bytes(b"not ours")
    cases = [
        ("dist.png", "is the input image"),
        ("./ref.png", "is the input image"),
        ("link.png", "is the input image"),
        ("notes.png", "is not a map fsimlib wrote"),
    ]
    for target, text in cases:
        result = run(["compare", ref, dist, "--map", target], cwd=tmp_path)
        assert result.returncode == 2, (target, result.stderr)
        one_line_error(result.stderr, text)
    assert {path: path.read_bytes() for path in (ref, dist)} == kept
    assert (tmp_path / "notes.png").read_bytes() == b"not ours"


def test_map_records_provenance_and_may_be_rewritten(
    tmp_path: Path, two_images: tuple[Path, Path]
) -> None:
    ref, dist = two_images
    for _ in range(2):  # the second run replaces fsimlib's own map
        result = run(["compare", ref, dist, "--map", "m.png", "--json"], cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["provenance"]["fsimlib"] == fsimlib.__version__
    assert payload["provenance"]["options"]["gradient"] == "scharr"
    assert {"engine", "loops", "precision"} <= set(payload["provenance"])
    from PIL import Image

    with Image.open(tmp_path / "m.png") as picture:
        assert picture.info["Software"] == f"fsimlib {fsimlib.__version__}"
        assert json.loads(picture.info["Description"]) == payload["provenance"]
    assert not list(tmp_path.glob(".m.png.*")), "no temporary file left"


# --------------------------------------------------------------------------
# stop signals: no process left behind


def descendants(process: subprocess.Popen[str]) -> list[psutil.Process]:
    return psutil.Process(process.pid).children(recursive=True)


def all_gone(processes: list[psutil.Process]) -> bool:
    alive = []
    for child in processes:
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.append(child)
        except psutil.NoSuchProcess:
            continue
    return not alive


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP", "SIGKILL"])
def test_a_stop_signal_leaves_no_process_and_a_resumable_output(
    tmp_path: Path, name: str
) -> None:
    number = getattr(signal, name)
    pairs = write_pairs(tmp_path, 24, 256)
    base = ["batch", pairs, "-j", "2", *SLOW]
    output = tmp_path / "s.csv"
    process = start([*base, "-o", output], cwd=tmp_path)
    wait_for(lambda: rows_in(output) >= 1 or process.poll() is not None, "a row")
    process.send_signal(signal.SIGSTOP)  # so that it is surely mid-run
    assert process.poll() is None, "the run ended before it could be stopped"
    # Workers, the fork server and the resource tracker.
    children = descendants(process)
    assert len(children) >= 4, children
    process.send_signal(number)  # to the main process only, as kill(1) does
    process.send_signal(signal.SIGCONT)
    _, stderr = process.communicate(timeout=TIMEOUT)
    wait_for(lambda: all_gone(children), "every child process to end")
    written = rows_in(output)
    assert 1 <= written < 24
    if name == "SIGKILL":
        assert process.returncode == -number
    else:
        assert process.returncode == 128 + number
        assert f"stopped by {name} after {written} of 24 rows" in stderr
        assert "Traceback" not in stderr
    assert not list(tmp_path.glob(".s.csv.*.tmp")) or name == "SIGKILL"
    resumed = run([*base, "-o", output], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    complete = run([*base, "-o", "complete.csv", "-j", "1"], cwd=tmp_path)
    assert complete.returncode == 0, complete.stderr
    assert output.read_bytes() == (tmp_path / "complete.csv").read_bytes()


def png_declaring(rows: int, cols: int) -> bytes:
    """A valid 1-bit greyscale PNG of ``rows`` x ``cols`` zeros: a few KB."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", cols, rows, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    line = b"\x00" * (1 + (cols + 7) // 8)  # filter byte, then the bits
    body = b"".join(compressor.compress(line) for _ in range(rows))
    body += compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", body)
        + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_a_one_line_error(tmp_path: Path) -> None:
    # A side just past read_image's default pixel limit: refused from the
    # header, before anything is decoded.
    side = math.isqrt(DEFAULT_MAX_PIXELS) + 1
    (tmp_path / "bomb.png").write_bytes(png_declaring(side, side))
    assert (tmp_path / "bomb.png").stat().st_size < 100_000
    result = run(["compare", "bomb.png", "bomb.png"], cwd=tmp_path)
    assert result.returncode == 1
    one_line_error(result.stderr, "pixels")


def test_a_signal_the_run_was_started_ignoring_stays_ignored(tmp_path: Path) -> None:
    # As under nohup: SIGHUP ignored from the start must not stop the batch.
    pairs = write_pairs(tmp_path, 12, 128)
    output = tmp_path / "s.csv"
    ignore_hangup = [
        sys.executable,
        "-c",
        "import os, signal, sys; signal.signal(signal.SIGHUP, signal.SIG_IGN); "
        "os.execv(sys.argv[1], sys.argv[1:])",
    ]
    command = [*SCRIPT, "batch", str(pairs), "-o", str(output), "-j", "1", *SLOW]
    process = subprocess.Popen(
        [*ignore_hangup, *command],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: rows_in(output) >= 1 or process.poll() is not None, "a row")
    process.send_signal(signal.SIGSTOP)  # so that it is surely mid-run
    assert process.poll() is None, "the run ended before it could be signalled"
    process.send_signal(signal.SIGHUP)
    process.send_signal(signal.SIGCONT)
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, stderr
    assert rows_in(output) == 12
