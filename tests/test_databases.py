"""fsimlib evaluate on miniature copies of the IQA databases, in their layouts.

Each builder writes a few small generated images and the database's own
score file (format, file and folder names as the database's documentation
describes them) and returns what every pair should be read as; the tests
check the pairing, the distortion labels, the direction of the opinion
scores and the summary statistics against scipy on fsimlib.fsim's scores.
"""

from __future__ import annotations

import csv
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from scipy import ndimage, stats
from scipy.optimize import OptimizeWarning, curve_fit
from skimage import data

import fsimlib
from fsimlib.cli import main
from fsimlib.databases import (
    DATABASES,
    database_pairs,
    detect_database,
    evaluate,
    get_database,
)
from fsimlib.databases._evaluate import _allowed, correlations

SIZE = 48
LEVELS = 4


@dataclass(frozen=True)
class Expected:
    ref: str
    dist: str
    distortion: str
    opinion: float


def _references(count: int) -> list[np.ndarray]:
    sources = [data.astronaut(), data.chelsea(), data.coffee()]
    return [
        np.ascontiguousarray(source[40 : 40 + SIZE, 60 : 60 + SIZE])
        for source in sources[:count]
    ]


def _distort(image: np.ndarray, kind: str, level: int, seed: int) -> np.ndarray:
    values = image.astype(np.float64)
    if kind == "blur":
        values = ndimage.gaussian_filter(values, (0.5 * level, 0.5 * level, 0))
    else:
        rng = np.random.default_rng(seed)
        values = values + rng.normal(0, 5 * level, values.shape)
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _opinion(level: int, seed: int, *, dmos: bool, scale: float) -> float:
    """An opinion score that worsens with the level, with a seeded jitter."""
    jitter = np.random.default_rng(seed).normal(0, 0.15)
    quality = 5.0 - 0.9 * level + jitter
    return round(scale * (5.0 - quality) if dmos else scale * quality, 4)


def _save(path: Path, image: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(path)


Builder = Callable[[Path], list[Expected]]


def build_tid(root: Path, *, tid2008: bool = False) -> list[Expected]:
    """TID2013/TID2008: reference_images/I01.BMP, distorted_images/i01_08_1.bmp."""
    types = {
        "08": ("blur", "Gaussian blur"),
        "01": ("noise", "Additive Gaussian noise"),
    }
    lines, expected = [], []
    for number, reference in enumerate(_references(2), start=1):
        # TID2013 ships its 25th reference in lower case (i25.bmp): the
        # second reference here does the same.
        ref_name = f"I{number:02d}.BMP" if number == 1 else f"i{number:02d}.bmp"
        _save(root / "reference_images" / ref_name, reference)
        for code, (kind, label) in types.items():
            for level in range(1, LEVELS + 1):
                name = f"i{number:02d}_{code}_{level}.bmp"
                seed = number * 100 + int(code) * 10 + level
                # TID's archive has some names in upper case that its list
                # writes in lower case.
                on_disk = name.upper() if level == 2 else name
                _save(
                    root / "distorted_images" / on_disk,
                    _distort(reference, kind, level, seed),
                )
                mos = _opinion(level, seed, dmos=False, scale=1.2)
                lines.append(f"{mos:.5f} {name}")
                expected.append(
                    Expected(
                        f"reference_images/{ref_name}",
                        f"distorted_images/{on_disk}",
                        label,
                        mos,
                    )
                )
    (root / "mos_with_names.txt").write_text("\n".join(lines) + "\n")
    del tid2008
    return expected


def build_kadid(root: Path) -> list[Expected]:
    """KADID-10k: images/I01.png, images/I01_01_01.png, dmos.csv."""
    types = {"01": ("blur", "Gaussian blur"), "11": ("noise", "White noise")}
    rows, expected = [["dist_img", "ref_img", "dmos", "var"]], []
    for number, reference in enumerate(_references(2), start=1):
        ref_name = f"I{number:02d}.png"
        _save(root / "images" / ref_name, reference)
        for code, (kind, label) in types.items():
            for level in range(1, LEVELS + 1):
                name = f"I{number:02d}_{code}_{level:02d}.png"
                seed = number * 100 + int(code) * 10 + level
                _save(root / "images" / name, _distort(reference, kind, level, seed))
                score = _opinion(level, seed, dmos=False, scale=1.0)
                rows.append([name, ref_name, f"{score:.2f}", "0.5"])
                expected.append(
                    Expected(f"images/{ref_name}", f"images/{name}", label, score)
                )
    with (root / "dmos.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return [
        Expected(item.ref, item.dist, item.distortion, round(item.opinion, 2))
        for item in expected
    ]


_CSIQ = {
    "noise": ("awgn", "AWGN", "noise", "AWGN"),
    "blur": ("blur", "BLUR", "blur", "Gaussian blur"),
}


def _csiq_rows(root: Path) -> tuple[list[list[object]], list[Expected]]:
    rows: list[list[object]] = [
        ["image", "dst_idx", "dst_type", "dst_lev", "dmos_std", "dmos"]
    ]
    expected = []
    names: list[object] = [1600, "boston"]
    for number, (name, reference) in enumerate(zip(names, _references(2), strict=True)):
        _save(root / "src_imgs" / f"{name}.png", reference)
        for index, (kind, (folder, tag, dst_type, label)) in enumerate(_CSIQ.items()):
            for level in range(1, LEVELS + 1):
                seed = 100 * number + 10 * index + level
                file = f"dst_imgs/{folder}/{name}.{tag}.{level}.png"
                _save(root / file, _distort(reference, kind, level, seed))
                dmos = _opinion(level, seed, dmos=True, scale=0.2)
                rows.append([name, index + 1, dst_type, level, 0.05, dmos])
                expected.append(Expected(f"src_imgs/{name}.png", file, label, dmos))
    return rows, expected


def build_csiq(root: Path) -> list[Expected]:
    """CSIQ: src_imgs/1600.png, dst_imgs/awgn/1600.AWGN.1.png, csiq.DMOS.xlsx."""
    openpyxl = pytest.importorskip("openpyxl")
    rows, expected = _csiq_rows(root)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "all_by_image"
    # The table starts at B2, below a blank row, as the workbook's does.
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=2):
            sheet.cell(row=number, column=column, value=value)
    book.create_sheet("all_by_distortion")
    book.save(root / "csiq.DMOS.xlsx")
    return expected


def build_csiq_csv(root: Path) -> list[Expected]:
    """CSIQ with its all_by_image sheet saved as csiq.DMOS.csv."""
    rows, expected = _csiq_rows(root)
    with (root / "csiq.DMOS.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return expected


_LIVE_FOLDERS = (
    ("jp2k", 227),
    ("jpeg", 233),
    ("wn", 174),
    ("gblur", 174),
    ("fastfading", 174),
)
_LIVE_LABELS = {"wn": ("noise", "White noise"), "gblur": ("blur", "Gaussian blur")}


def build_live(root: Path) -> list[Expected]:
    """LIVE release 2: refimgs/, wn/img1.bmp.., dmos_realigned.mat, refnames_all.mat."""
    from scipy.io import savemat

    references = _references(2)
    ref_names = ["parrots.bmp", "buildings.bmp"]
    for name, reference in zip(ref_names, references, strict=True):
        _save(root / "refimgs" / name, reference)
    total = sum(count for _, count in _LIVE_FOLDERS)
    dmos = np.zeros(total)
    orgs = np.ones(total)
    refnames = np.empty((1, total), dtype=object)
    refnames[0, :] = ref_names[0]
    expected = []
    start = 0
    for folder, count in _LIVE_FOLDERS:
        if folder in _LIVE_LABELS:
            kind, label = _LIVE_LABELS[folder]
            # The first 2 * LEVELS images of the folder are used; the
            # other entries are marked as originals (orgs 1) and left out.
            for index in range(1, 2 * LEVELS + 1):
                which, level = divmod(index - 1, LEVELS)
                level += 1
                position = start + index - 1
                seed = position
                file = f"{folder}/img{index}.bmp"
                _save(root / file, _distort(references[which], kind, level, seed))
                dmos[position] = _opinion(level, seed, dmos=True, scale=15.0)
                orgs[position] = 0
                refnames[0, position] = ref_names[which]
                expected.append(
                    Expected(f"refimgs/{ref_names[which]}", file, label, dmos[position])
                )
        (root / folder).mkdir(exist_ok=True)
        start += count
    savemat(
        root / "dmos_realigned.mat", {"dmos_new": dmos[None, :], "orgs": orgs[None, :]}
    )
    savemat(root / "refnames_all.mat", {"refnames_all": refnames})
    return expected


BUILDERS: dict[str, Builder] = {
    "TID2013": build_tid,
    "TID2008": lambda root: build_tid(root, tid2008=True),
    "KADID-10k": build_kadid,
    "CSIQ": build_csiq,
    "CSIQ (csv)": build_csiq_csv,
    "LIVE": build_live,
}


def _database(key: str) -> str:
    return key.split(" ", maxsplit=1)[0]


@pytest.fixture(params=list(BUILDERS))
def miniature(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[str, Path, list[Expected]]:
    root = tmp_path / "db"
    root.mkdir()
    return _database(request.param), root, BUILDERS[request.param](root)


def test_every_database_has_a_builder() -> None:
    assert set(DATABASES) == {_database(key) for key in BUILDERS}


def test_pairs_labels_and_opinions_are_read_as_laid_out(
    miniature: tuple[str, Path, list[Expected]],
) -> None:
    name, root, expected = miniature
    table = database_pairs(root, get_database(name))
    got = [
        (
            p.fields["ref"],
            p.fields["dist"],
            p.fields["distortion"],
            float(p.fields["opinion"]),
        )
        for p in table.pairs
    ]
    want = [
        (e.ref, e.dist, e.distortion, pytest.approx(e.opinion, abs=1e-9))
        for e in expected
    ]
    assert got == want
    assert all(Path(p.ref).is_file() and Path(p.dist).is_file() for p in table.pairs)


def _fsim_scores(root: Path, expected: list[Expected], chromatic: bool) -> np.ndarray:
    return np.array(
        [
            fsimlib.fsim(
                np.asarray(Image.open(root / e.ref)),
                np.asarray(Image.open(root / e.dist)),
                chromatic=chromatic,
            )
            for e in expected
        ]
    )


def _logistic_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """PLCC and RMSE after the 5-parameter logistic, fitted here with scipy."""

    def q(s, b1, b2, b3, b4, b5):  # noqa: PLR0917 - curve_fit passes them so
        with np.errstate(over="ignore"):  # exp -> inf is the right limit
            return b1 * (0.5 - 1 / (1 + np.exp(b2 * (s - b3)))) + b4 * s + b5

    start = [
        np.sign(stats.pearsonr(x, y)[0]) * np.ptp(y),
        1 / np.std(x),
        np.mean(x),
        0,
        np.mean(y),
    ]
    with warnings.catch_warnings():
        # The parameters' covariance is not used.
        warnings.simplefilter("ignore", OptimizeWarning)
        parameters, _ = curve_fit(q, x, y, p0=start, maxfev=20000)
    predicted = q(x, *parameters)
    return stats.pearsonr(predicted, y)[0], float(
        np.sqrt(np.mean((predicted - y) ** 2))
    )


def _check_fit(entry: dict, x: np.ndarray, y: np.ndarray) -> None:
    """The logistic statistics agree with scipy's fit, or both fits failed."""
    try:
        plcc, rmse = _logistic_fit(x, y)
    except RuntimeError:
        # Not converging here too: the summary must say so, not give NaN.
        assert entry["plcc_logistic"] is None
        assert entry["rmse"] is None
        assert entry["fit_error"].startswith("the logistic fit did not converge")
        return
    # Two least-squares runs from the same start: agree to the optimiser's
    # tolerance, not to the last bit.
    assert entry["plcc_logistic"] == pytest.approx(plcc, abs=1e-6)
    assert entry["rmse"] == pytest.approx(rmse, rel=1e-5)


@pytest.mark.parametrize("chromatic", [True, False])
def test_summary_matches_scipy_on_fsim_scores(
    miniature: tuple[str, Path, list[Expected]], tmp_path: Path, chromatic: bool
) -> None:
    name, root, expected = miniature
    result = evaluate(root, name, output=tmp_path / "out", chromatic=chromatic)
    described = get_database(name)
    sign = 1.0 if described.higher_is_better else -1.0
    assert result.summary["correlated_with"] == ("MOS" if sign > 0 else "-DMOS")
    metrics = result.summary["metrics"]
    assert list(metrics) == (["fsim", "fsimc"] if chromatic else ["fsim"])
    opinions = sign * np.array([e.opinion for e in expected])
    labels = [e.distortion for e in expected]
    for metric in metrics:
        # Tolerance: the scores CSV holds repr() of each float, read back exactly.
        scores = _fsim_scores(root, expected, metric == "fsimc")
        groups = {"all": list(range(len(expected)))}
        for index, label in enumerate(labels):
            groups.setdefault(label, []).append(index)
        for group, members in groups.items():
            entry = (
                metrics[metric]["overall"]
                if group == "all"
                else metrics[metric]["by_distortion"][group]
            )
            x, y = scores[members], opinions[members]
            assert entry["n"] == len(members)
            assert entry["srocc"] == pytest.approx(stats.spearmanr(x, y)[0], abs=1e-12)
            assert entry["krocc"] == pytest.approx(stats.kendalltau(x, y)[0], abs=1e-12)
            assert entry["plcc"] == pytest.approx(stats.pearsonr(x, y)[0], abs=1e-12)
            _check_fit(entry, x, y)
        # The opinions worsen with the distortion level and FSIM falls with
        # it, so after orienting DMOS every correlation is positive.
        assert metrics[metric]["overall"]["srocc"] > 0.5
    saved = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert saved["metrics"] == json.loads(json.dumps(metrics))
    assert saved["database"] == described.name
    assert saved["engine"] == fsimlib.backends.available_fft_engines()[0]
    assert saved["loops"] == fsimlib.backends.available_loops()[0]
    assert saved["fsimlib"] == fsimlib.__version__
    assert saved["options"]["gradient"] == "scharr"


def test_detects_each_layout(miniature: tuple[str, Path, list[Expected]]) -> None:
    name, root, _ = miniature
    if name.startswith("TID"):
        with pytest.raises(ValueError, match=r"TID2013 and TID2008.*--database"):
            detect_database(root)
    else:
        assert detect_database(root).name == name


@pytest.fixture
def kadid(tmp_path: Path) -> tuple[Path, list[Expected]]:
    root = tmp_path / "kadid10k"
    root.mkdir()
    return root, build_kadid(root)


def test_resume_after_a_cut_gives_the_same_output(
    kadid: tuple[Path, list[Expected]], tmp_path: Path
) -> None:
    root, _ = kadid
    whole = evaluate(root, "KADID-10k", output=tmp_path / "whole")
    complete = (tmp_path / "whole" / "scores.csv").read_text()
    cut = tmp_path / "cut"
    evaluate(root, "KADID-10k", output=cut)
    lines = complete.splitlines(keepends=True)
    # As a kill leaves it: a few rows, the last one cut short.
    (cut / "scores.csv").write_text("".join(lines[:4]) + lines[4][:10])
    again = evaluate(root, "KADID-10k", output=cut)
    assert (cut / "scores.csv").read_text() == complete
    assert again.summary["metrics"] == whole.summary["metrics"]


def test_resuming_with_other_options_is_refused(
    kadid: tuple[Path, list[Expected]], tmp_path: Path
) -> None:
    root, _ = kadid
    evaluate(root, "KADID-10k", output=tmp_path / "out")
    with pytest.raises(
        ValueError, match=r"holds a run of .*'scharr'.*not .*'gradient': 'sobel'"
    ):
        evaluate(root, "KADID-10k", output=tmp_path / "out", gradient="sobel")


def test_files_it_did_not_write_are_not_overwritten(
    kadid: tuple[Path, list[Expected]], tmp_path: Path
) -> None:
    root, _ = kadid
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "scores.csv").write_text("mine\n")
    with pytest.raises(ValueError, match=r"scores\.csv but no run\.json"):
        evaluate(root, "KADID-10k", output=tmp_path / "out")
    assert (tmp_path / "out" / "scores.csv").read_text() == "mine\n"


def test_authors_values_are_compared_to_their_printed_precision(tmp_path: Path) -> None:
    root = tmp_path / "tid2013"
    root.mkdir()
    expected = build_tid(root)
    scores = _fsim_scores(root, expected, False)
    printed = [f"{value:.4f}" for value in scores]
    printed[3] = f"{scores[3] + 0.01:.4f}"  # one value the authors got wrong
    (root / "metrics_values").mkdir()
    (root / "metrics_values" / "FSIM.txt").write_text("\n".join(printed) + "\n")
    result = evaluate(root, "TID2013", output=tmp_path / "out")
    check = result.summary["authors"]["fsim"]
    assert "fsimc" not in result.summary["authors"]  # no FSIMc.txt here
    differences = np.abs(scores - np.array(printed, dtype=float))
    assert check["compared"] == len(expected)
    assert check["max_abs_difference"] == pytest.approx(differences.max(), abs=1e-15)
    assert check["median_abs_difference"] == pytest.approx(
        np.median(differences), abs=1e-15
    )
    assert check["beyond_printed_precision"] == 1
    assert [pair["dist"] for pair in check["first_beyond"]] == [expected[3].dist]
    with (tmp_path / "out" / "authors_check.csv").open() as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    assert [row["dist"] for row in rows] == [expected[3].dist]


def test_authors_file_with_another_row_count_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "tid2013"
    root.mkdir()
    expected = build_tid(root)
    (root / "metrics_values").mkdir()
    values = "\n".join(["0.9"] * (len(expected) - 1))
    (root / "metrics_values" / "FSIMc.txt").write_text(values + "\n")
    with pytest.raises(
        ValueError, match=r"mismatched row count: .*FSIMc\.txt has 15 values"
    ):
        evaluate(root, "TID2013", output=tmp_path / "out")


def test_cli_prints_the_table_and_writes_the_files(
    kadid: tuple[Path, list[Expected]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, expected = kadid
    out = tmp_path / "out"
    code = main(
        [
            "evaluate",
            str(root),
            "--database",
            "kadid10k",
            "-o",
            str(out),
            "-j",
            "1",
            "--no-progress",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "KADID-10k: 16 pairs, 0 failed; correlations with MOS" in printed
    assert "Gaussian blur" in printed
    assert "White noise" in printed
    summary = json.loads((out / "summary.json").read_text())
    srocc = summary["metrics"]["fsimc"]["overall"]["srocc"]
    assert f"{srocc:.4f}" in printed
    with (out / "summary.csv").open() as handle:
        header = [line for line in handle if line.startswith("#")]
    assert any(line.startswith("# loops:") for line in header)
    assert (out / "scatter.png").stat().st_size > 0
    # The provenance line, the header, then one row per pair.
    lines = (out / "scores.csv").read_text().splitlines()
    assert lines[0].startswith(f"# fsimlib {fsimlib.__version__} ")
    assert len(lines) == len(expected) + 2


def test_cli_with_two_workers_matches_one(
    kadid: tuple[Path, list[Expected]], tmp_path: Path
) -> None:
    root, _ = kadid
    for workers in ("1", "2"):
        args = [
            "evaluate",
            str(root),
            "-o",
            str(tmp_path / workers),
            "-j",
            workers,
            "--no-progress",
        ]
        assert main(args) == 0
    assert (tmp_path / "1" / "scores.csv").read_text() == (
        tmp_path / "2" / "scores.csv"
    ).read_text()


def test_without_matplotlib_everything_but_the_plot_is_written(
    kadid: tuple[Path, list[Expected]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    root, _ = kadid
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    result = evaluate(root, "KADID-10k", output=tmp_path / "out")
    assert (
        result.plot_error
        == "the scatter plot needs matplotlib: pip install 'fsimlib[plot]'"
    )
    assert not (tmp_path / "out" / "scatter.png").exists()
    assert (tmp_path / "out" / "summary.json").is_file()


# --------------------------------------------------------------------------
# bad input


def test_missing_score_file_is_named(
    kadid: tuple[Path, list[Expected]], tmp_path: Path
) -> None:
    root, _ = kadid
    (root / "dmos.csv").unlink()
    with pytest.raises(
        ValueError, match=r"no KADID-10k score file: expected .*dmos\.csv"
    ):
        evaluate(root, "KADID-10k", output=tmp_path / "out")


def test_row_naming_a_missing_image_is_named(
    kadid: tuple[Path, list[Expected]], tmp_path: Path
) -> None:
    root, expected = kadid
    (root / expected[5].dist).unlink()
    with pytest.raises(
        ValueError,
        match=r"1 image\(s\) missing: .*dmos\.csv, line 7 names .*I01_11_02\.png",
    ):
        evaluate(root, "KADID-10k", output=tmp_path / "out")


def test_opinion_that_is_not_a_number_is_named(
    kadid: tuple[Path, list[Expected]],
) -> None:
    root, _ = kadid
    text = (root / "dmos.csv").read_text().splitlines()
    text[3] = text[3].replace(text[3].split(",")[2], "n/a")
    (root / "dmos.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(
        ValueError,
        match=r"dmos\.csv, line 4: opinion score 'dmos' is 'n/a', not a number",
    ):
        database_pairs(root, get_database("KADID-10k"))


def test_name_that_is_not_the_database_s_scheme_is_named(tmp_path: Path) -> None:
    root = tmp_path / "tid"
    root.mkdir()
    build_tid(root)
    with (root / "mos_with_names.txt").open("a") as handle:
        handle.write("4.0 picture.bmp\n")
    with pytest.raises(
        ValueError,
        match=r"mos_with_names\.txt, line 17: dist 'picture\.bmp' is not a TID2013",
    ):
        database_pairs(root, get_database("TID2013"))


def test_live_arrays_of_different_lengths_are_refused(tmp_path: Path) -> None:
    from scipy.io import savemat

    root = tmp_path / "live"
    root.mkdir()
    build_live(root)
    savemat(
        root / "refnames_all.mat",
        {"refnames_all": np.array([["a.bmp"] * 10], dtype=object)},
    )
    with pytest.raises(
        ValueError, match=r"mismatched row counts .*refnames_all\.mat:refnames_all': 10"
    ):
        database_pairs(root, get_database("LIVE"))


def test_csiq_unknown_distortion_type_is_named(tmp_path: Path) -> None:
    root = tmp_path / "csiq"
    root.mkdir()
    build_csiq_csv(root)
    text = (root / "csiq.DMOS.csv").read_text().replace(",blur,", ",smear,", 1)
    (root / "csiq.DMOS.csv").write_text(text)
    with pytest.raises(
        ValueError, match=r"csiq\.DMOS\.csv, line \d+: unknown dst_type 'smear'"
    ):
        database_pairs(root, get_database("CSIQ"))


def test_layout_matching_no_database_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(
        ValueError,
        match="matches no known database layout; expected TID2013: reference_images/",
    ):
        detect_database(tmp_path)
    assert main(["evaluate", str(tmp_path), "-o", str(tmp_path / "out")]) == 2
    assert "matches no known database layout" in capsys.readouterr().err


def test_layout_missing_a_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / "mos_with_names.txt").write_text("5.0 i01_01_1.bmp\n")
    with pytest.raises(
        ValueError,
        match=r"not laid out as TID2013: its reference image folder .* is missing",
    ):
        evaluate(tmp_path, "TID2013", output=tmp_path / "out")


def test_unknown_database_name_is_refused() -> None:
    with pytest.raises(
        ValueError, match="unknown database 'TID2020'; expected one of TID2013, TID2008"
    ):
        get_database("TID2020")


# --------------------------------------------------------------------------
# the statistics themselves


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("higher_is_better", [True, False])
def test_correlations_match_scipy_on_random_data(
    seed: int, higher_is_better: bool
) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    scores = rng.uniform(0.7, 1.0, n)
    opinion = 10 * scores + rng.normal(0, 0.4, n)
    if not higher_is_better:
        opinion = 10 - opinion
    labels = rng.choice(["a", "b"], n)
    rows = [
        {
            "fsim": repr(float(s)),
            "opinion": repr(float(o)),
            "distortion": str(d),
            "error": "",
        }
        for s, o, d in zip(scores, opinion, labels, strict=True)
    ]
    summary, _ = correlations(rows, metric="fsim", higher_is_better=higher_is_better)
    y = opinion if higher_is_better else -opinion
    for group in ("all", "a", "b"):
        mask = np.ones(n, bool) if group == "all" else labels == group
        entry = (
            summary["overall"] if group == "all" else summary["by_distortion"][group]
        )
        x, yy = scores[mask], y[mask]
        assert entry["srocc"] == pytest.approx(stats.spearmanr(x, yy)[0], abs=1e-12)
        assert entry["krocc"] == pytest.approx(stats.kendalltau(x, yy)[0], abs=1e-12)
        assert entry["plcc"] == pytest.approx(stats.pearsonr(x, yy)[0], abs=1e-12)
        _check_fit(entry, x, yy)


def test_a_failed_fit_is_reported_never_nan() -> None:
    rows = [
        {"fsim": "0.9", "opinion": repr(float(i)), "distortion": "flat", "error": ""}
        for i in range(8)
    ] + [
        {
            "fsim": repr(0.8 + 0.01 * i),
            "opinion": repr(float(i)),
            "distortion": "few",
            "error": "",
        }
        for i in range(4)
    ]
    summary, _ = correlations(rows, metric="fsim", higher_is_better=True)
    flat = summary["by_distortion"]["flat"]
    assert flat["plcc_logistic"] is None
    assert flat["rmse"] is None
    assert "scores are all equal" in flat["fit_error"]
    few = summary["by_distortion"]["few"]
    assert "at least 6 pairs, got 4" in few["fit_error"]
    assert few["srocc"] == pytest.approx(1.0)
    assert json.dumps(summary, allow_nan=False)


def _data_rows(path: Path) -> int:
    if not path.exists():
        return 0
    return max(0, path.read_bytes().count(b"\n") - 1)


@pytest.mark.e2e  # the command in a subprocess, killed mid-run
def test_a_killed_cli_run_continues_when_started_again(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    root = tmp_path / "kadid10k"
    (root / "images").mkdir(parents=True)
    rows = [["dist_img", "ref_img", "dmos", "var"]]
    big = [
        np.ascontiguousarray(s[:128, :128]) for s in (data.astronaut(), data.coffee())
    ]
    for number, reference in enumerate(big, start=1):
        _save(root / "images" / f"I{number:02d}.png", reference)
        for code in range(1, 11):
            kind = "blur" if code % 2 else "noise"
            for level in range(1, 6):
                name = f"I{number:02d}_{code:02d}_{level:02d}.png"
                seed = 1000 * number + 10 * code + level
                _save(root / "images" / name, _distort(reference, kind, level, seed))
                rows.append([name, f"I{number:02d}.png", str(6 - level), "0"])
    with (root / "dmos.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    total = len(rows) - 1
    out = tmp_path / "out"
    command = [sys.executable, "-m", "fsimlib", "evaluate", str(root)]
    command += ["-o", str(out), "-j", "1", "--no-progress"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    # Kill it once it has written a few rows (polling for that, not sleeping
    # a fixed time, so a busy machine only makes the test slower).
    while _data_rows(out / "scores.csv") < 5:
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, "no rows written in 300 s"
        time.sleep(0.005)
    process.kill()
    process.wait()
    assert 5 <= _data_rows(out / "scores.csv") < total
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr
    whole = evaluate(root, "KADID-10k", output=tmp_path / "whole")
    assert (out / "scores.csv").read_text() == (
        tmp_path / "whole" / "scores.csv"
    ).read_text()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metrics"] == json.loads(json.dumps(whole.summary["metrics"]))
    assert summary["pairs"] == total


@given(
    value=st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    digits=st.integers(min_value=1, max_value=10),
)
def test_rounding_to_the_printed_digits_is_always_allowed(
    value: float, digits: int
) -> None:
    printed = f"{value:.{digits}f}"
    assert abs(value - float(printed)) <= _allowed(printed)
    # ... and one more unit in the last digit never is.
    assert 10.0**-digits > _allowed(printed)


@pytest.mark.e2e  # writes and scores the benchmark's full-size PNG set: 15 s
def test_the_guide_s_synthetic_set_is_in_kadid_layout(tmp_path: Path) -> None:
    """benchmarks/synthetic_kadid.py, which made the guide's table."""
    import sys

    bench = Path(__file__).resolve().parent.parent / "benchmarks"
    sys.path.insert(0, str(bench))
    try:
        import synthetic_kadid
    finally:
        sys.path.remove(str(bench))
        for name in ("synthetic_kadid", "dataset", "_common"):
            sys.modules.pop(name, None)
    root = tmp_path / "kadid10k"
    assert synthetic_kadid.write(root, 1) == 125
    table = database_pairs(root, get_database("KADID-10k"))
    assert [p.fields["dist"] for p in table.pairs[:6]] == [
        *(f"images/I01_01_{level:02d}.png" for level in range(1, 6)),
        "images/I01_02_01.png",
    ]
    # No one rated these images: the 'dmos' column is 6 - level.
    assert [p.fields["opinion"] for p in table.pairs[:6]] == [
        "5",
        "4",
        "3",
        "2",
        "1",
        "5",
    ]
    # Score the first 3 types only, and print the guide's table of them.
    lines = (root / "dmos.csv").read_text().splitlines()
    (root / "dmos.csv").write_text("\n".join(lines[:16]) + "\n")
    evaluate(root, "KADID-10k", output=tmp_path / "out")
    printed = synthetic_kadid.table(tmp_path / "out").splitlines()
    assert printed[1].split() == [
        *("code", "distortion", "(synthetic)", "n"),
        *("SROCC", "FSIM", "SROCC", "FSIMc"),
    ]
    assert [line.split()[:2] for line in printed[3:7]] == [
        ["all", "all"],
        ["01", "gaussian"],
        ["02", "box"],
        ["03", "motion"],
    ]


@pytest.mark.parametrize(
    "module", ["_catalogue", "_description", "_evaluate", "_reader"]
)
def test_docstring_examples_of_the_subpackage_pass(module: str) -> None:
    import doctest
    import importlib

    imported = importlib.import_module(f"fsimlib.databases.{module}")
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(imported, optionflags=flags)
    assert result.attempted > 0, f"fsimlib.databases.{module} lost its examples"
    assert result.failed == 0
