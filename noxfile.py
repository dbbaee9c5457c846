"""Developer sessions: tests (with and without pyFFTW), lint, types, docs, benchmarks.

Run ``nox -l`` to list them and ``nox -s NAME`` to run one; docs/contributing.rst
says when to use which.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nox

nox.options.sessions = ["tests", "tests_no_pyfftw", "lint", "typecheck"]
nox.options.default_venv_backend = "virtualenv"

# The library's dependencies other than pyFFTW, for the no-pyFFTW session,
# read from pyproject.toml so that the two never drift apart.
CORE_WITHOUT_PYFFTW = [
    requirement
    for requirement in nox.project.load_toml("pyproject.toml")["project"][
        "dependencies"
    ]
    if not requirement.lower().startswith("pyfftw")
]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite with every dependency installed."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def tests_no_pyfftw(session: nox.Session) -> None:
    """Rerun the engine-dependent tests where pyFFTW is not installed.

    Only tests marked ``engine`` (those that compute through the FFT engine)
    run here: everything else does not depend on which engine is present and
    has run in the ``tests`` session.
    """
    session.install(*CORE_WITHOUT_PYFFTW)
    session.install("--no-deps", "-e", ".")
    session.install("pytest>=8", "hypothesis>=6.100")
    session.run(
        "python",
        "-c",
        "import importlib.util, sys; "
        "sys.exit(importlib.util.find_spec('pyfftw') is not None)",
    )
    session.run(
        "pytest",
        "-m",
        "engine and not needs_pyfftw and not needs_extras",
        *session.posargs,
        env={"FSIMLIB_EXPECT_ENGINE": "scipy"},
    )


@nox.session
def explore(session: nox.Session) -> None:
    """Search with the property tests: random examples, more of them, remembered.

    Uses the ``explore`` Hypothesis profile (tests/hypothesis_profiles.py):
    examples are drawn at random rather than from a fixed seed, five times as
    many, and kept in ``.hypothesis/`` so a failure found once is tried first
    on the next run.  Not a default session; run it now and then, or for
    longer with ``nox -s explore -- --hypothesis-seed=N``.
    """
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "-m",
        "hypothesis",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "explore"},
    )


#: The authors' FeatureSIM.m, which cannot be shipped (tests/reference/README.md).
FEATURESIM_VARIABLE = "FSIMLIB_FEATURESIM"


@nox.session
def oracle(session: nox.Session) -> None:
    """Recompute tests/data with the authors' FeatureSIM.m under GNU Octave.

    Needs ``octave-cli`` with the image package on PATH and the path of
    ``FeatureSIM.m`` in FSIMLIB_FEATURESIM; skips, saying which is missing,
    otherwise.  Regenerates every image from its name, reruns the reference
    on every pair and map, writes them under ``.oracle/`` and compares with
    ``tests/data``; ``nox -s oracle -- --tolerance 1e-14`` allows round-off
    from another Octave version.  Not a default session.
    """
    octave = shutil.which("octave-cli") or shutil.which("octave")
    if octave is None:
        session.skip("GNU Octave is not installed: apt-get install octave octave-image")
    featuresim = os.environ.get(FEATURESIM_VARIABLE, "")
    if not featuresim or not Path(featuresim).is_file():
        session.skip(
            f"set {FEATURESIM_VARIABLE} to the path of the authors' FeatureSIM.m "
            "(tests/reference/README.md says where it is published)"
        )
    session.install("numpy", "scipy", "scikit-image", "pillow")
    out = f".oracle/{time.strftime('%Y%m%d-%H%M%S')}"
    session.run(
        "python",
        "tests/reference/oracle.py",
        "--featuresim",
        featuresim,
        out,
        *session.posargs,
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Run ruff's linter and formatter check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Run mypy --strict on the package."""
    session.install("-e", ".[lint]")
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML documentation; any Sphinx warning is an error.

    The examples of the pages and docstrings run in ``tests/test_docs.py``.
    """
    session.install("-e", ".[docs]")
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "docs",
        "docs/_build/html",
        *session.posargs,
    )


# Peers whose own requirements cannot be installed here: piq needs
# torchvision, whose PyPI wheels are CUDA builds that fail to load against the
# CPU torch (and piq.fsim does not use it); image-similarity-measures pins
# numpy<2 and scikit-image<0.21.  Their FSIM functions' real imports are in the
# bench extra.
BENCH_PEERS_NO_DEPS = ["piq==0.8.0", "image-similarity-measures==0.3.6"]


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Run every benchmark: tables, results JSON and docs/_static/benchmark.png.

    Not a default session.  ``nox -s benchmarks -- --quick`` is a short smoke
    run; see benchmarks/README.md.
    """
    session.install("-e", ".[bench]")
    session.install("--no-deps", *BENCH_PEERS_NO_DEPS)
    session.run("python", "benchmarks/run.py", *session.posargs)
