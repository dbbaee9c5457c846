"""Build the optional compiled loops; all other metadata is in pyproject.toml.

``fsimlib._ckernels`` is optional: where it cannot be compiled (no C
compiler), the install still succeeds and fsimlib uses its numpy loops,
which give the same scores more slowly.
"""

from __future__ import annotations

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# -fno-math-errno lets sqrt vectorise; -ffp-contract=off keeps a * b + c
# rounded twice, as numpy does, so no fused multiply-add changes results
# between CPUs.
UNIX_FLAGS = ["-O3", "-fno-math-errno", "-ffp-contract=off"]


class BuildExt(build_ext):
    """Add the flags above where the compiler understands them (gcc, clang)."""

    def build_extensions(self) -> None:
        """Compile every extension, with the flags above on gcc and clang."""
        if self.compiler.compiler_type == "unix":
            for extension in self.extensions:
                extension.extra_compile_args = [
                    *extension.extra_compile_args,
                    *UNIX_FLAGS,
                ]
        super().build_extensions()


setup(
    ext_modules=[
        Extension(
            "fsimlib._ckernels",
            sources=["src/fsimlib/_ckernels.c"],
            optional=True,
        )
    ],
    cmdclass={"build_ext": BuildExt},
)
