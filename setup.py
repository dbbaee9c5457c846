"""Build the optional compiled loops; all other metadata is in pyproject.toml.

``fsimlib._ckernels`` (phase congruency loops) and ``fsimlib._cpng`` (PNG
unfiltering) are optional: where they cannot be compiled (no C compiler),
the install still succeeds and fsimlib uses its numpy loops and libpng,
which give the same scores and arrays more slowly (``fsimlib --version``
says which loops are in use).  Two environment variables change the build:

``FSIMLIB_REQUIRE_COMPILED=1``
    A failed compile is an error instead of a silent fallback.  ``.ci/run``
    and the wheel builds set it.
``FSIMLIB_PORTABLE=1``
    Leave out the x86-only copies of the loops (GCC's AVX2
    ``target_clones``, the AVX-512 median bracket): the portable C that
    aarch64, macOS and Windows builds run, for testing it on x86 Linux
    (``nox -s tests_portable``).

``FSIMLIB_LIMITED_API=0``
    Build against CPython's full C API rather than the 3.11 limited API
    (abi3), which is the default from CPython 3.11 on.

``CFLAGS`` is honoured as usual (``nox -s tests_clang`` adds ``-Werror``).
"""

from __future__ import annotations

import os
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# Scores must be the same bits on every compiler, as numpy's are: no fused
# multiply-add contraction (a * b + c rounded twice) and no reassociation.
# gcc and clang: -ffp-contract=off; -fno-math-errno only lets sqrt vectorise
# (it changes no result); never -ffast-math.  -g0 drops the debug info that
# Python's own CFLAGS ask for (235 KB -> 92 KB on x86-64 Linux).
UNIX_FLAGS = ["-O3", "-fno-math-errno", "-ffp-contract=off", "-g0"]
# MSVC: /fp:precise forbids reassociation; contraction is also switched off
# in the C file (#pragma fp_contract(off)), since whether /fp:precise
# contracts depends on the compiler version.
MSVC_FLAGS = ["/O2", "/fp:precise"]


# One abi3 wheel per platform for CPython 3.11 and newer (the buffer
# protocol joined the limited API in 3.11); 3.10 and free-threaded builds,
# which have no stable ABI, get a wheel of their own.  The limited API costs
# nothing measurable: the work is in the loops, not in the calls.
# FSIMLIB_LIMITED_API=0 builds against the full API instead.
LIMITED_API = (
    sys.version_info >= (3, 11)
    and not sysconfig.get_config_var("Py_GIL_DISABLED")
    and os.environ.get("FSIMLIB_LIMITED_API", "1") != "0"
)


def _flag(name: str) -> bool:
    """Whether the environment variable ``name`` is set to a true value."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


class BuildExt(build_ext):
    """Add the flags above for the compiler in use."""

    def build_extensions(self) -> None:
        """Compile every extension with its compiler's flags."""
        flags = MSVC_FLAGS if self.compiler.compiler_type == "msvc" else []
        if self.compiler.compiler_type == "unix":
            flags = UNIX_FLAGS
        for extension in self.extensions:
            extension.extra_compile_args = [*extension.extra_compile_args, *flags]
        super().build_extensions()


def _extension(name: str) -> Extension:
    """Return the optional compiled module ``fsimlib.<name>``, from ``<name>.c``."""
    return Extension(
        f"fsimlib.{name}",
        sources=[f"src/fsimlib/{name}.c"],
        define_macros=[
            *([("FSIM_PORTABLE", "1")] if _flag("FSIMLIB_PORTABLE") else []),
            *([("Py_LIMITED_API", "0x030B0000")] if LIMITED_API else []),
        ],
        py_limited_api=LIMITED_API,
        optional=not _flag("FSIMLIB_REQUIRE_COMPILED"),
    )


setup(
    # _ckernels: the phase congruency loops; _cpng: PNG unfiltering for
    # the image reader.
    ext_modules=[_extension("_ckernels"), _extension("_cpng")],
    cmdclass={"build_ext": BuildExt},
    options={"bdist_wheel": {"py_limited_api": "cp311"}} if LIMITED_API else {},
)
