"""Score files that can be trusted: one option set, one writer, no lost rows,
no file of someone else's touched, cells safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import os
import stat
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import fsimlib
from fsimlib._pipeline import provenance
from fsimlib._scorefile import neutralise_cell, restore_cell, skip_provenance

COLUMNS = ["ref", "dist", "label"]
PAIRS = [
    fsimlib.PairRecord(
        "r.png", f"d{i}.png", {"ref": "r.png", "dist": f"d{i}.png", "label": str(i)}
    )
    for i in range(4)
]


def record(index: int, pair: fsimlib.PairRecord | None = None) -> fsimlib.ScoreRecord:
    return fsimlib.ScoreRecord(
        index, pair or PAIRS[index], 0.5 + index / 100, 0.4 + index / 100, None
    )


def started(path: Path, settings: dict[str, object] | None = None) -> fsimlib.ScoreFile:
    table = fsimlib.ScoreFile(path, COLUMNS, settings=settings)
    table.resume(PAIRS)
    table.write(record(0))
    table.write(record(2))
    return table


# --------------------------------------------------------------------------
# provenance


def test_the_first_line_says_how_the_scores_were_made(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    started(path, provenance(gradient="sobel", downsample=False))
    first = path.read_text().splitlines()[0]
    assert first.startswith(f"# fsimlib {fsimlib.__version__} ")
    for text in (
        '"engine": ',
        '"loops": ',
        '"gradient": "sobel"',
        '"downsample": false',
    ):
        assert text in first


def test_resuming_with_other_options_is_refused_naming_them(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    started(path, provenance(gradient="sobel", downsample=False))
    before = path.read_bytes()
    table = fsimlib.ScoreFile(path, COLUMNS, settings=provenance())
    with pytest.raises(ValueError, match="made with other settings") as caught:
        table.resume(PAIRS)
    assert "gradient" in str(caught.value)
    assert "'sobel' in the file, 'scharr' now" in str(caught.value)
    assert path.read_bytes() == before, "a refused resume leaves the file as it was"
    with pytest.raises(ValueError, match="other settings"):
        table.write(record(1))
    assert path.read_bytes() == before
    # An explicit restart drops the rows made with the other options.
    assert table.resume(PAIRS, restart=True) == [0, 1, 2, 3]
    assert table.read() == []
    assert '"gradient": "scharr"' in path.read_text().splitlines()[0]


def test_a_table_without_provenance_needs_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("ref,dist,label,fsim,fsimc,error\nr.png,d0.png,0,0.5,0.4,\n")
    table = fsimlib.ScoreFile(path, COLUMNS)
    with pytest.raises(ValueError, match="does not say how its scores were made"):
        table.resume(PAIRS)
    assert table.resume(PAIRS, restart=True) == [0, 1, 2, 3]


# --------------------------------------------------------------------------
# files that are not ours


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"TOKEN=x", "no line break in its first 64 KiB"),
        (b"a,b\n1,2\n", "it is not a score file of this table"),
        (b"\xff\xfe\x00binary\n", "not UTF-8 text"),
        (b"x" * 200_000 + b"\n", "no line break in its first 64 KiB"),
    ],
    ids=["no-newline", "other-csv", "binary", "huge-first-line"],
)
@pytest.mark.parametrize("restart", [False, True])
def test_unrelated_files_are_refused_and_untouched(
    tmp_path: Path, content: bytes, match: str, restart: bool
) -> None:
    path = tmp_path / "n.txt"
    path.write_bytes(content)
    table = fsimlib.ScoreFile(path, COLUMNS)
    with pytest.raises(ValueError, match=match):
        table.resume(PAIRS, restart=restart)
    with pytest.raises(ValueError, match=match):
        table.write(record(0))
    assert path.read_bytes() == content


def test_a_huge_unrelated_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: 2 GiB of zero bytes
    table = fsimlib.ScoreFile(path, COLUMNS)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="no line break"):
            table.resume(PAIRS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024**2, f"{peak} bytes allocated to refuse the file"


def test_an_output_that_is_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "target.csv"
    started(target)
    before = target.read_bytes()
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    with pytest.raises(ValueError, match="is a symbolic link"):
        fsimlib.ScoreFile(link, COLUMNS).resume(PAIRS)
    assert target.read_bytes() == before


# --------------------------------------------------------------------------
# one writer, no lost rows


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.csv"
    first = fsimlib.ScoreFile(path, COLUMNS)
    second = fsimlib.ScoreFile(path, COLUMNS)
    with (
        first.locked(),
        pytest.raises(ValueError, match="another run is writing"),
        second.locked(),
    ):
        pass
    with second.locked():  # released at the end of the block
        assert second.resume(PAIRS) == [0, 1, 2, 3]


def test_an_output_deleted_mid_run_is_an_error_not_a_success(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    table = started(path)
    path.unlink()
    with pytest.raises(ValueError, match="was deleted, replaced or made a link"):
        table.write(record(1))
    assert not path.exists(), "the row is not written to a new file"


def test_a_symbolic_link_swapped_in_mid_run_is_not_followed(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    table = started(path)
    path.unlink()
    path.symlink_to(victim)
    with pytest.raises(ValueError, match="was deleted, replaced or made a link"):
        table.write(record(1))
    assert victim.read_text() == "keep me\n"


def test_a_file_replaced_mid_run_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    table = started(path)
    other = tmp_path / "other.csv"
    other.write_bytes(path.read_bytes() + b"r.png,d3.png,3,0.1,0.1,\n")
    other.replace(path)
    with pytest.raises(ValueError, match="was deleted, replaced or made a link"):
        table.write(record(1))


def test_finish_refuses_a_table_with_rows_missing(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    table = started(path)
    with pytest.raises(ValueError, match=r"has 2 row\(s\) for 4 pairs \(2 missing\)"):
        table.finish(PAIRS)
    table.write(record(1))
    table.write(record(3))
    assert [row["label"] for row in table.finish(PAIRS)] == ["0", "1", "2", "3"]


# --------------------------------------------------------------------------
# permissions and temporary files


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_outputs_get_the_permissions_of_a_normal_file(
    tmp_path: Path, umask: int
) -> None:
    old = os.umask(umask)
    try:
        table = started(tmp_path / "s.csv")
        table.write(record(1))
        table.write(record(3))
        table.finish(PAIRS)
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "s.csv").stat().st_mode)
    assert mode == 0o666 & ~umask, oct(mode)


def test_temporary_files_of_a_killed_rewrite_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    started(path)
    ours = [tmp_path / ".s.csv.k2j_9x0a.tmp", tmp_path / ".s.csv.abcdefgh.tmp"]
    others = [
        tmp_path / ".s.csv.keep.tmp",  # not the temporary-file pattern
        tmp_path / ".t.csv.abcdefgh.tmp",  # another output's
        tmp_path / "s.csv.abcdefgh.tmp",
    ]
    for leftover in [*ours, *others]:
        leftover.write_text("partial")
    assert fsimlib.ScoreFile(path, COLUMNS).resume(PAIRS) == [1, 3]
    assert not any(p.exists() for p in ours)
    assert all(p.read_text() == "partial" for p in others)


# --------------------------------------------------------------------------
# cells that a spreadsheet would run


FORMULAS = ["=1+2", "+cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_cells_are_written_quoted_and_read_back_raw(
    tmp_path: Path, value: str
) -> None:
    path = tmp_path / "s.csv"
    pair = fsimlib.PairRecord(
        "r.png", "d.png", {"ref": value, "dist": "d", "label": "-0.5"}
    )
    table = fsimlib.ScoreFile(path, COLUMNS)
    table.resume([pair])
    table.write(fsimlib.ScoreRecord(0, pair, 0.5, 0.5, None))
    with path.open(newline="") as handle:
        (row,) = list(csv.DictReader(skip_provenance(handle)))
    assert row["ref"] == "'" + value, "a spreadsheet shows it as text"
    assert row["label"] == "-0.5", "plain numbers stay numbers"
    assert row["fsim"] == "0.5"
    assert table.read()[0]["ref"] == value
    assert table.resume([pair]) == [], "the raw value matches the pair on resume"
    assert table.finish([pair])[0]["ref"] == value


@pytest.mark.parametrize(
    ("raw", "written"),
    [
        ("=x", "'=x"),
        ("'=x", "''=x"),
        ("'abc", "'abc"),
        ("-1.5e-3", "-1.5e-3"),
        ("-1.5.3", "'-1.5.3"),
        ("+", "'+"),
        ("", ""),
        ("plain", "plain"),
    ],
)
def test_neutralisation_rule(raw: str, written: str) -> None:
    assert neutralise_cell(raw) == written
    assert restore_cell(written) == raw


@given(st.text())
def test_neutralisation_round_trips_and_never_starts_a_formula(value: str) -> None:
    written = neutralise_cell(value)
    assert restore_cell(written) == value
    if written[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        float(written)  # only a plain number may begin so


# --------------------------------------------------------------------------
# clean errors instead of escapes


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda folder: folder, "cannot read the pairs table .*: Is a directory"),
        (
            lambda folder: folder / ("x" * 5000),
            r"cannot read the pairs table .*\.\.\..*\(50\d\d characters\): File name",
        ),
    ],
    ids=["folder", "long-path"],
)
def test_unreadable_pairs_tables_are_value_errors(
    tmp_path: Path, make: object, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        fsimlib.read_pairs_csv(make(tmp_path))  # type: ignore[operator]


def test_a_shut_down_executor_is_a_value_error() -> None:
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(1)
    pool.shutdown()
    records = fsimlib.score_pairs([("a.png", "b.png")], executor=pool)
    with pytest.raises(ValueError, match="the executor cannot take tasks: cannot"):
        list(records)


def test_file_names_that_are_not_utf8_are_shown_escaped(tmp_path: Path) -> None:
    import imageio.v3 as iio
    import numpy as np

    (tmp_path / "r").mkdir()
    (tmp_path / "d").mkdir()
    image = np.arange(32 * 32, dtype=np.uint8).reshape(32, 32)
    iio.imwrite(tmp_path / "r" / "caf.png", image)
    raw = os.fsencode(tmp_path / "d") + b"/caf_\xe9.png"
    with open(raw, "wb") as handle:  # noqa: PTH123 - a bytes path
        handle.write(iio.imwrite("<bytes>", image, extension=".png"))
    (pair,) = fsimlib.pair_folders(tmp_path / "r", tmp_path / "d", relative_to=tmp_path)
    assert pair.fields == {"ref": "r/caf.png", "dist": "d/caf_\\xe9.png"}
    path = tmp_path / "s.csv"
    table = fsimlib.ScoreFile(path, ["ref", "dist"])
    table.resume([pair])
    (record,) = fsimlib.score_pairs([pair])
    assert record.fsim == 1.0, "the file itself is read by its real name"
    table.write(record)
    assert table.finish([pair])[0]["dist"] == "d/caf_\\xe9.png"
    path.read_text(encoding="utf-8")  # the table is UTF-8 text
