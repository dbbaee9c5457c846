"""Hypothesis profiles for the test suite, chosen by ``HYPOTHESIS_PROFILE``.

- ``ci``, the default: reproducible.  Examples come from a fixed seed and no
  example database is kept, so every run on every machine draws the same
  examples and a failure reproduces exactly.
- ``explore``: random examples, remembered in ``.hypothesis/`` so that a
  failure found once is replayed first on the next run, and
  :data:`EXPLORE_FACTOR` times the examples.  ``nox -s explore`` runs the
  property tests with it (docs/contributing.rst); a failure it finds is worth
  keeping as an ``@example`` or a seeded test.

Neither profile has a deadline: the machine may be shared and busy, and speed
is measured in ``benchmarks/``, never in tests.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase

#: How many more examples each property test draws when exploring.
EXPLORE_FACTOR = 5

#: Examples per test where a test does not set its own count.
DEFAULT_EXAMPLES = 30

#: The profile this run uses: ``ci`` unless ``HYPOTHESIS_PROFILE`` says otherwise.
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")

_EXAMPLE_DATABASE = Path(__file__).resolve().parent.parent / ".hypothesis" / "examples"


def examples(count: int) -> int:
    """Return ``count`` in the ``ci`` profile, more when exploring.

    Property tests write ``@settings(max_examples=examples(40))`` so that
    their reproducible count stays what it is while ``explore`` scales it.
    """
    return count * EXPLORE_FACTOR if PROFILE == "explore" else count


def register_and_load() -> None:
    """Register both profiles and load the one ``HYPOTHESIS_PROFILE`` names."""
    settings.register_profile(
        "ci",
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=DEFAULT_EXAMPLES,
        print_blob=True,
    )
    settings.register_profile(
        "explore",
        derandomize=False,
        database=DirectoryBasedExampleDatabase(_EXAMPLE_DATABASE),
        deadline=None,
        max_examples=examples(DEFAULT_EXAMPLES),
        print_blob=True,
    )
    settings.load_profile(PROFILE)
