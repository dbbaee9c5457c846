"""The dataset and scaling guides run as written, shell commands included.

``tests/test_docs.py`` runs the ``>>>`` examples of every page.  These two
pages also hold what doctest cannot run: ``console`` blocks of ``fsimlib``
commands (run here with the installed console script, in the folder the
page's Python examples made, their stdout compared with the page as
doctest compares output) and a ``python`` block that needs dask.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

#: End to end: every test runs the installed ``fsimlib`` command in a
#: subprocess, as a user would.
pytestmark = pytest.mark.e2e

DOCS = Path(__file__).resolve().parent.parent / "docs"
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
SCRIPT = Path(sys.executable).parent / "fsimlib"
_BLOCK = re.compile(
    r"^\.\. code-block:: (?P<language>\w+)\n\n(?P<body>(?:(?: {3}.*)?\n)+)",
    re.MULTILINE,
)


def blocks(page: str, language: str) -> list[str]:
    """The bodies of a page's code blocks in ``language``, dedented."""
    text = (DOCS / page).read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        if match["language"] == language:
            lines = [line[3:] for line in match["body"].splitlines()]
            found.append("\n".join(lines).strip("\n") + "\n")
    return found


def run_examples(page: str) -> dict[str, Any]:
    """Run the page's doctests; return the namespace they leave behind."""
    text = (DOCS / page).read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, page, str(DOCS / page), 0)
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    runner.run(test, clear_globs=False)
    failed, attempted = runner.summarize(verbose=False)
    assert attempted > 0, f"docs/{page} lost its examples"
    assert failed == 0, f"{failed} examples of docs/{page} failed (report above)"
    return test.globs


def commands(block: str) -> list[tuple[str, str]]:
    """``(command, expected output)`` for each ``$`` line of a console block."""
    pairs: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            pairs.append((line[2:], []))
        else:
            pairs[-1][1].append(line)
    return [(command, "\n".join(out).strip() + "\n") for command, out in pairs]


def test_dataset_page_commands_print_what_the_page_shows() -> None:
    assert SCRIPT.is_file(), "the fsimlib console script is not installed"
    namespace = run_examples("guide/dataset.rst")
    folder = Path(namespace["folder"])
    checker = doctest.OutputChecker()
    ran = 0
    for block in blocks("guide/dataset.rst", "console"):
        for command, expected in commands(block):
            words = shlex.split(command)
            assert words[0] == "fsimlib", command
            result = subprocess.run(
                [os.fspath(SCRIPT), *words[1:]],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=180,
                check=False,
            )
            assert result.returncode == 0, (command, result.stderr)
            assert checker.check_output(expected, result.stdout, OPTIONFLAGS), (
                f"{command!r} printed:\n{result.stdout}\nthe page shows:\n{expected}"
            )
            ran += 1
    assert ran >= 3, "the page lost its batch and correlate commands"
    assert (folder / "scores.csv").is_file()


@pytest.mark.needs_extras
def test_scaling_page_dask_example_runs() -> None:
    namespace = run_examples("guide/scaling.rst")
    (code,) = blocks("guide/scaling.rst", "python")
    assert "client.get_executor()" in code
    exec(compile(code, "docs/guide/scaling.rst", "exec"), namespace)
    assert len(namespace["on_dask"]) == len(namespace["pairs"]) == 6
