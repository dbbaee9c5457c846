"""Developer sessions: tests, lint, types, docs, benchmarks, builds.

Run ``nox -l`` to list them and ``nox -s NAME`` to run one; docs/contributing.rst
says when to use which.  Each session installs the PEP 735 dependency group
of pyproject.toml it needs.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import nox

nox.options.sessions = ["tests", "tests_no_pyfftw", "lint", "typecheck"]
# uv (from the test group) makes and fills a session's environment in
# seconds; without it, virtualenv and pip.  Sessions that check what pip
# builds (the portable and clang builds) or take torch from this machine's
# disk (benchmarks; uv does not look there) keep virtualenv.
nox.options.default_venv_backend = "uv|virtualenv"

PYPROJECT = nox.project.load_toml("pyproject.toml")

# The library's dependencies other than pyFFTW, for the no-pyFFTW session,
# read from pyproject.toml so that the two never drift apart.
CORE_WITHOUT_PYFFTW = [
    requirement
    for requirement in PYPROJECT["project"]["dependencies"]
    if not requirement.lower().startswith("pyfftw")
]

# A failed compile of the C loops is an error in every session (setup.py).
REQUIRE_COMPILED = {"FSIMLIB_REQUIRE_COMPILED": "1"}


def group(name: str) -> list[str]:
    """The requirements of the dependency group ``name`` of pyproject.toml."""
    return nox.project.dependency_groups(PYPROJECT, name)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite with every dependency installed."""
    session.install("-e", ".", env=REQUIRE_COMPILED)
    session.install(*group("test"))
    session.run("pytest", *session.posargs)


@nox.session
def tests_no_pyfftw(session: nox.Session) -> None:
    """Rerun the engine-dependent tests where pyFFTW is not installed.

    Only tests marked ``engine`` (those that compute through the FFT engine)
    run here: everything else does not depend on which engine is present and
    has run in the ``tests`` session.
    """
    session.install(*CORE_WITHOUT_PYFFTW)
    session.install("--no-deps", "-e", ".", env=REQUIRE_COMPILED)
    # The whole test group: pytest imports every test module to select the
    # marked tests, whatever those modules import.  None of it needs pyFFTW.
    session.install(*group("test"))
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
    session.install("-e", ".", *group("test"), env=REQUIRE_COMPILED)
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
    """Run ruff's linter and formatter check, and deptry on the imports.

    deptry checks that every package src/ imports is a declared dependency
    (and that every dependency is used); it reads the installed packages'
    metadata to map distribution names to module names.
    """
    session.install("-e", ".", *group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("deptry", "src")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Run mypy --strict on the package."""
    session.install("-e", ".")
    session.install(*group("lint"))
    session.run("mypy")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the HTML documentation; any Sphinx warning is an error.

    The examples of the pages and docstrings run in ``tests/test_docs.py``.
    """
    session.install("-e", ".")
    session.install(*group("docs"))
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


@nox.session(venv_backend="virtualenv")
def benchmarks(session: nox.Session) -> None:
    """Run every benchmark: tables, results JSON and docs/_static/benchmark.png.

    Not a default session.  ``nox -s benchmarks -- --quick`` is a short smoke
    run; see benchmarks/README.md.
    """
    session.install("-e", ".")
    session.install(*group("bench"))
    session.install("--no-deps", *BENCH_PEERS_NO_DEPS)
    session.run("python", "benchmarks/run.py", *session.posargs)


def install_built(session: nox.Session, env: dict[str, str]) -> None:
    """Install fsimlib (not editable) built from a copy of the working tree.

    A copy, so that no object file or extension of another build (the
    in-place one, another session's) is reused: setuptools skips compiling
    an extension it finds up to date in build/.
    """
    source = Path(session.create_tmp()) / "source"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(
        Path.cwd(),
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".nox", "build", "dist", "*.so", "*.pyd", "*.egg-info", "_build"
        ),
    )
    session.install(str(source), env={**REQUIRE_COMPILED, **env})
    session.install(*group("test"))


def run_suite_on_installed(session: nox.Session, vector_paths: str) -> None:
    """Check which build is imported, then run the tests against it.

    PYTHONPATH is cleared so that the installed package, not src/, is
    imported; ``vector_paths`` is the expected ``VECTOR_PATHS`` (a Python
    expression).
    """
    env = {"PYTHONPATH": None}
    session.run(
        "python",
        "-c",
        "import fsimlib, fsimlib._ckernels as c, fsimlib._cpng, sys; "
        "print(fsimlib.__file__, fsimlib.backends.available_loops(), c.VECTOR_PATHS); "
        "sys.exit('src' in fsimlib.__file__.split('/') "
        f"or fsimlib.backends.available_loops()[0] != 'compiled' "
        f"or c.VECTOR_PATHS != {vector_paths})",
        env=env,
    )
    session.run("pytest", "-p", "no:cacheprovider", *session.posargs, env=env)


@nox.session(venv_backend="virtualenv")
def tests_portable(session: nox.Session) -> None:
    """Run the tests on a build without the x86-only loops (FSIMLIB_PORTABLE=1).

    These portable loops are what aarch64, macOS arm64 and Windows wheels run.
    """
    install_built(session, {"FSIMLIB_PORTABLE": "1"})
    run_suite_on_installed(session, "()")


@nox.session(venv_backend="virtualenv")
def tests_clang(session: nox.Session) -> None:
    """Run the tests on a build by clang with warnings as errors.

    clang is the compiler of the macOS wheels.  Needs Debian's ``clang``.
    """
    install_built(session, {"CC": "clang", "CFLAGS": "-Werror -Wall -Wextra"})
    run_suite_on_installed(session, "('avx512f',)")


@nox.session(venv_backend="none")
def wheel(session: nox.Session) -> None:
    """Build, repair and test a manylinux wheel from a clean clone (.ci/wheel).

    Builds the wheel from HEAD (commit first), repairs it with auditwheel,
    installs it in a fresh venv with no C compiler on PATH and runs the
    tests against the installed wheel.  Arguments go to pytest.
    """
    session.run("bash", ".ci/wheel", *session.posargs, external=True)
