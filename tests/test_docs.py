"""The documentation's examples run and print what they say they print.

Two sources of examples:

* the ``Examples`` section of the docstring of every public function and
  class (and their methods) in ``fsimlib.__all__``;
* the ``>>>`` blocks of the pages under ``docs/`` (the guide, the index,
  and any page added later), including the code of the figure in
  ``guide/maps.rst``.

Doctest compares printed output exactly (with ``ELLIPSIS`` and
``NORMALIZE_WHITESPACE``), so a score printed in the docs is checked to the
digits shown there (rounded to 4 decimals in the guide: a genuine change in
the metric moves them, round-off does not).
"""

from __future__ import annotations

import doctest
import inspect
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import fsimlib

DOCS = Path(__file__).resolve().parent.parent / "docs"
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: Pages that must hold examples (others may, and are run if they do).
PAGES_WITH_EXAMPLES = (
    "index.rst",
    "guide/quickstart.rst",
    "guide/options.rst",
    "guide/maps.rst",
    "guide/agreement.rst",
    "guide/migrating.rst",
)
#: Pages whose examples draw with matplotlib (the ``docs`` extra).
PAGES_NEEDING_MATPLOTLIB = ("guide/maps.rst",)


def documented_objects() -> list[str]:
    """Public names that are functions or classes: those with docstrings."""
    return [
        name
        for name in fsimlib.__all__
        if inspect.isroutine(getattr(fsimlib, name))
        or inspect.isclass(getattr(fsimlib, name))
    ]


def doc_pages() -> list[str]:
    """Every reST page of the docs, except build output and generated stubs."""
    pages = []
    for path in sorted(DOCS.rglob("*.rst")):
        relative = path.relative_to(DOCS).as_posix()
        if relative.startswith(("_build/", "_templates/", "api/generated/")):
            continue
        pages.append(relative)
    return pages


def page_param(page: str) -> object:
    marks = [pytest.mark.needs_extras] if page in PAGES_NEEDING_MATPLOTLIB else []
    return pytest.param(page, marks=marks, id=page)


def docstring_examples(name: str) -> list[doctest.DocTest]:
    """The doctests of ``fsimlib.<name>`` and of its methods and properties."""
    finder = doctest.DocTestFinder(exclude_empty=True)
    # module=False: the object lives in a private module, so do not check
    # that it (or a method) was defined in ``fsimlib`` itself.
    return finder.find(getattr(fsimlib, name), name, module=False, globs={})


@pytest.mark.parametrize("name", documented_objects())
def test_docstring_examples_pass(name: str) -> None:
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    for test in docstring_examples(name):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, (
        f"{results.failed} of {results.attempted} docstring examples of "
        f"fsimlib.{name} failed (the doctest report above shows which)"
    )


@pytest.mark.parametrize("name", documented_objects())
def test_public_objects_have_examples(name: str) -> None:
    """House rule: every public function and class has a runnable example."""
    examples = sum(len(test.examples) for test in docstring_examples(name))
    assert examples > 0, f"fsimlib.{name} has no docstring example"


@pytest.fixture
def agg_backend() -> Iterator[None]:
    """Draw off-screen, and close what an example leaves open."""
    import matplotlib
    import matplotlib.pyplot as plt

    previous = matplotlib.get_backend()
    plt.switch_backend("Agg")
    yield
    plt.close("all")
    plt.switch_backend(previous)


@pytest.mark.parametrize("page", [page_param(p) for p in doc_pages()])
def test_page_examples_pass(page: str, request: pytest.FixtureRequest) -> None:
    if page in PAGES_NEEDING_MATPLOTLIB:
        request.getfixturevalue("agg_backend")
    results = doctest.testfile(
        str(DOCS / page),
        module_relative=False,
        optionflags=OPTIONFLAGS,
        verbose=False,
        report=True,
    )
    assert results.failed == 0, (
        f"{results.failed} of {results.attempted} examples of docs/{page} failed "
        "(the doctest report above shows which)"
    )
    if page in PAGES_WITH_EXAMPLES:
        assert results.attempted > 0, f"docs/{page} lost its examples"


def test_guide_pages_are_listed_where_expected() -> None:
    """Each page that must have examples exists (a rename would skip it)."""
    assert set(PAGES_WITH_EXAMPLES) <= set(doc_pages())


_API_ENTRY = re.compile(
    r"^\s+~?(?:fsimlib\.)?(?P<entry>[\w.]+)\s*$"
    r"|^\s*\.\. (?:py:)?data:: (?:fsimlib\.)?(?P<data>[\w.]+)\s*$",
    re.MULTILINE,
)


def test_api_page_lists_every_public_name() -> None:
    """docs/api.rst documents each name of fsimlib.__all__ (the build checks too)."""
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    listed = {m["entry"] or m["data"] for m in _API_ENTRY.finditer(text)}
    missing = sorted(set(fsimlib.__all__) - listed)
    assert not missing, f"docs/api.rst does not document: {missing}"
