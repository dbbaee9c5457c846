"""The oracle's own logic, which runs without Octave or FeatureSIM.m.

``tests/reference/oracle.py`` reruns the authors' code (``nox -s oracle``);
the parts tested here decide what it runs and what counts as agreement.
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        name, HERE / "reference" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ORACLE = load("oracle")

#: A file shaped like FeatureSIM.m (a main function, subfunctions, the T1
#: constant); not the authors' code.
STAND_IN = """\
function [FSIM, FSIMc] = FeatureSIM(imageRef, imageDis)
Y1 = double(imageRef);
PC1 = phasecong2(Y1);
T1 = 0.85;
FSIM = T1; FSIMc = T1;

function PC = phasecong2(im)
PC = lowpassfilter(im);

function f = lowpassfilter(im)
f = im;
"""


def test_featuresim_is_split_into_one_file_per_function(tmp_path: Path) -> None:
    source = tmp_path / "FeatureSIM.m"
    source.write_text(STAND_IN)
    ORACLE.prepare_featuresim(source, tmp_path / "work")
    written = sorted(path.name for path in (tmp_path / "work").iterdir())
    assert written == [
        "FeatureSIM.m",
        "fsimlib_dump_maps.m",
        "lowpassfilter.m",
        "phasecong2.m",
    ]
    main = (tmp_path / "work" / "FeatureSIM.m").read_text()
    # The hook goes in once, just before T1; nothing else changes.
    assert (
        main.replace("\nfsimlib_dump_maps();\n", "")
        == STAND_IN.split("\n\n", maxsplit=1)[0] + "\n\n"
    )
    assert main.index("fsimlib_dump_maps();") < main.index("T1 = 0.85")
    assert (
        (tmp_path / "work" / "phasecong2.m")
        .read_text()
        .startswith("function PC = phasecong2(im)")
    )


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("x = 1;\n", "no function found"),
        (
            "function y = other(x)\ny = x;\n",
            "does not define FeatureSIM and phasecong2",
        ),
        (STAND_IN.replace("T1 = 0.85;\n", ""), "no line setting T1"),
    ],
)
def test_unexpected_featuresim_is_refused(
    tmp_path: Path, text: str, match: str
) -> None:
    source = tmp_path / "FeatureSIM.m"
    source.write_text(text)
    with pytest.raises(ValueError, match=match):
        ORACLE.prepare_featuresim(source, tmp_path / "work")


def test_map_cases_outside_the_table_find_their_images() -> None:
    names = ["ref_camera_g_255x255_100_130.png", "ref_camera_g_256x256_40_150.png"]
    assert ORACLE.map_case_images("148_camera_255x255_g_blur_2", names) == (
        "ref_camera_g_255x255_100_130.png",
        "dist_camera_g_255x255_100_130_blur_2.png",
    )


@pytest.mark.parametrize(
    ("stored", "computed", "gap"),
    [
        ("0.5", "0.5", 0.0),
        ("0.5", "0.25", 0.25),
        ("NaN", "NaN", 0.0),
        ("NaN", "0.5", math.inf),
        ("0.5", "NaN", math.inf),
        ("", "0.5", 0.0),  # a new row: nothing to compare with
    ],
)
def test_score_difference(stored: str, computed: str, gap: float) -> None:
    assert ORACLE.difference(stored, computed) == gap


def test_map_difference_and_shape_mismatch() -> None:
    stored = np.zeros((3, 4))
    computed = stored.copy()
    computed[1, 2] = -1e-3
    assert ORACLE.largest_gap(stored, computed) == 1e-3
    assert ORACLE.largest_gap(stored, stored.T) == math.inf


def test_without_featuresim_the_oracle_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "FeatureSIM.m"
    status = ORACLE.main(["--featuresim", str(missing), str(tmp_path / "out")])
    assert status == 2
    assert "cannot run the oracle" in capsys.readouterr().err
