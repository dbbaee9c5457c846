"""``fsimlib example``: the README's first command, through the console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import fsimlib

#: End to end: every test runs the installed ``fsimlib`` command in a
#: subprocess, as a user would.
pytestmark = pytest.mark.e2e


def _script() -> str:
    script = Path(sys.executable).with_name("fsimlib")
    found = str(script) if script.exists() else shutil.which("fsimlib")
    assert found, "the fsimlib console script is not installed (pip install -e .)"
    return found


def test_example_prints_each_pairs_scores() -> None:
    done = subprocess.run(
        [_script(), "example"], capture_output=True, text=True, check=True
    )
    lines = done.stdout.splitlines()
    pairs = fsimlib.example_pairs()
    assert lines[0].split() == ["pair", "FSIM", "FSIMc"]
    assert len(lines) == 1 + len(pairs)
    for line, pair in zip(lines[1:], pairs, strict=True):
        fsim_text, fsimc_text = line.split()[-2:]
        assert line.startswith(pair.label)
        # Printed to 4 decimals: they must round from fsimlib's own scores.
        assert fsim_text == f"{fsimlib.fsim(pair.reference, pair.distorted):.4f}"
        expected_c = fsimlib.fsim(pair.reference, pair.distorted, chromatic=True)
        assert fsimc_text == f"{expected_c:.4f}"


def test_example_json_has_full_precision_scores() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fsimlib", "example", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(done.stdout)
    pairs = fsimlib.example_pairs()
    assert [row["pair"] for row in rows] == [pair.label for pair in pairs]
    for row, pair in zip(rows, pairs, strict=True):
        assert row["fsim"] == fsimlib.fsim(pair.reference, pair.distorted)
        assert row["shape"] == list(pair.reference.shape)
