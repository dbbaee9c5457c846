"""Developer sessions: tests (with and without pyFFTW), lint, types, docs, benchmarks.

Run ``nox -l`` to list them and ``nox -s NAME`` to run one.
"""

from __future__ import annotations

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
    """Run the test suite where pyFFTW is not installed: the scipy.fft path."""
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
        "not needs_pyfftw and not needs_extras",
        *session.posargs,
        env={"FSIMLIB_EXPECT_ENGINE": "scipy"},
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
