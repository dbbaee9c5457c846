"""Sphinx configuration for fsimlib's documentation.

Build with ``nox -s docs`` or, in an environment with the ``docs`` extra,
``sphinx-build -W --keep-going -b html docs docs/_build/html``.

Two things are computed at build time rather than committed:

* the figure of ``guide/maps.rst`` (matplotlib's ``plot`` directive, output
  under the build directory);
* the table of ``guide/agreement.rst``, by the ``fsim-agreement`` directive
  below, which scores every case of ``tests/data/cases.csv`` with fsimlib
  (another copy of the corpus: ``-D fsim_reference_data=/path/to/folder``).

``api.rst`` lists the public names by hand, grouped by topic; the
``builder-inited`` check below fails the build (under ``-W``) if a name of
``fsimlib.__all__`` is missing from it.
"""

from __future__ import annotations

import csv
import functools
import inspect
import math
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from docutils import nodes
from docutils.statemachine import StringList
from skimage import io
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

import fsimlib

DOCS = Path(__file__).resolve().parent

logger = logging.getLogger("fsimlib.docs")

# -- Project -----------------------------------------------------------------

project = "fsimlib"
author = "The fsimlib developers"
copyright = "2025, The fsimlib developers"
release = fsimlib.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
]
exclude_patterns = ["_build"]
templates_path = ["_templates"]  # autosummary/class.rst: document the members
default_role = "py:obj"

# API pages: autosummary writes stubs into api/generated/ (gitignored).
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc docstrings already state the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# Figures: run the code of each ``.. plot::`` at build time.
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_rcparams = {"figure.dpi": 100, "savefig.bbox": "tight"}

# -- HTML --------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"fsimlib {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_context = {"default_mode": "light"}


# -- API coverage --------------------------------------------------------------

#: An ``autosummary`` entry (an indented bare name) or a ``data`` directive.
_API_ENTRY = re.compile(
    r"^\s+~?(?:fsimlib\.)?(?P<entry>[\w.]+)\s*$"
    r"|^\s*\.\. (?:py:)?data:: (?:fsimlib\.)?(?P<data>[\w.]+)\s*$",
    re.MULTILINE,
)


def documented_names(api_page: Path) -> set[str]:
    """Names that ``api.rst`` documents, as autosummary entries or data."""
    text = api_page.read_text(encoding="utf-8")
    return {m["entry"] or m["data"] for m in _API_ENTRY.finditer(text)}


def check_api_coverage(app: Sphinx) -> None:
    """Warn (an error under ``-W``) for public names missing from api.rst."""
    documented = documented_names(Path(app.srcdir) / "api.rst")
    # The subpackages are documented by their own sections, name by name.
    public = {
        name for name in fsimlib.__all__ if not inspect.ismodule(getattr(fsimlib, name))
    }
    for subpackage in (fsimlib.backends, fsimlib.datasets, fsimlib.stats):
        public |= set(subpackage.__all__)
    missing = sorted(public - documented)
    if missing:
        logger.warning(
            "docs/api.rst does not document these public names: %s; "
            "add each as a line of the autosummary list of its section",
            ", ".join(missing),
        )


# -- Agreement with the reference ----------------------------------------------


@dataclass(frozen=True)
class CaseResult:
    """One corpus case: the reference's scores and fsimlib's."""

    case_id: str
    shape: str
    distortion: str
    factor: int
    reference_factor: int
    reference_fsim: float
    reference_fsimc: float
    fsim: float
    fsimc: float
    bilevel: bool
    #: fsimlib's FSIM of the pair as stored (0/255), for bilevel cases.
    fsim_as_stored: float | None

    @property
    def finite(self) -> bool:
        """Whether the reference returned a number (not NaN)."""
        return math.isfinite(self.reference_fsim)

    @property
    def deviation(self) -> float:
        """Largest absolute difference of the two scores from the reference."""
        return max(
            abs(self.fsim - self.reference_fsim),
            abs(self.fsimc - self.reference_fsimc),
        )


def read_as_octave(path: Path) -> tuple[np.ndarray, bool]:
    """Read a PNG as Octave's ``imread`` does for the reference.

    A greyscale PNG holding only the values 0 and 255 is bilevel: Octave
    returns it as a logical array, which the reference turns into 0.0 and
    1.0.  fsimlib takes no bool images, so such an image becomes uint8 0/1.
    """
    image = io.imread(path)
    bilevel = image.ndim == 2 and bool(np.isin(image, (0, 255)).all())
    if bilevel:
        image = (image > 0).astype(np.uint8)
    return image, bilevel


@functools.cache
def score_corpus(data: Path) -> tuple[CaseResult, ...]:
    """Score every case of ``data/cases.csv`` with fsimlib's defaults."""
    results = []
    with (data / "cases.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            image1, bilevel1 = read_as_octave(data / row["ref_png"])
            image2, bilevel2 = read_as_octave(data / row["dist_png"])
            result = fsimlib.compare(image1, image2)
            bilevel = bilevel1 or bilevel2
            as_stored = (
                fsimlib.fsim(
                    io.imread(data / row["ref_png"]), io.imread(data / row["dist_png"])
                )
                if bilevel
                else None
            )
            results.append(
                CaseResult(
                    case_id=row["case_id"],
                    shape=f"{row['height']} x {row['width']} x {row['channels']}",
                    distortion=f"{row['distortion']} {row['param']}".strip(),
                    factor=result.downsample_factor,
                    reference_factor=int(row["F"]),
                    reference_fsim=float(row["fsim"]),
                    reference_fsimc=float(row["fsimc"]),
                    fsim=result.fsim,
                    fsimc=result.fsimc,
                    bilevel=bilevel,
                    fsim_as_stored=as_stored,
                )
            )
    return tuple(results)


def _cell(value: float, digits: int = 12) -> str:
    return "NaN" if math.isnan(value) else f"{value:.{digits}f}"


def agreement_rst(results: tuple[CaseResult, ...]) -> list[str]:
    """The summary and the table of the agreement page, as reST lines."""
    finite = [r for r in results if r.finite]
    deviations = [r.deviation for r in finite]
    undefined = [r for r in results if not r.finite]
    wrong_factor = [r.case_id for r in results if r.factor != r.reference_factor]
    lines = [
        f"fsimlib {release} on the {len(results)} cases of the corpus "
        f"({len(finite)} with a reference score, {len(undefined)} where the "
        "reference returns NaN).  Deviation is the larger of "
        "``|FSIM - FSIM_ref|`` and ``|FSIMc - FSIMc_ref|``.",
        "",
        f"* **Maximum deviation:** {max(deviations):.3g}",
        f"* **Median deviation:** {statistics.median(deviations):.3g}",
        "* **Downsampling factor:** "
        + (
            "equal to the reference's in every case."
            if not wrong_factor
            else "differs from the reference's in " + ", ".join(wrong_factor)
        ),
        "",
        ".. list-table:: fsimlib against the reference, case by case",
        "   :header-rows: 1",
        "   :class: fsim-agreement",
        "",
        "   * - Case",
        "     - Size",
        "     - Distortion",
        "     - F",
        "     - FSIM (reference)",
        "     - FSIMc (reference)",
        "     - FSIM (fsimlib)",
        "     - FSIMc (fsimlib)",
        "     - Deviation",
    ]
    for r in results:
        note = " [#bilevel]_" if r.bilevel else ""
        deviation = f"{r.deviation:.1e}" if r.finite else "undefined [#nan]_"
        lines += [
            f"   * - ``{r.case_id}``{note}",
            f"     - {r.shape}",
            f"     - {r.distortion}",
            f"     - {r.factor}",
            f"     - {_cell(r.reference_fsim)}",
            f"     - {_cell(r.reference_fsimc)}",
            f"     - {_cell(r.fsim)}",
            f"     - {_cell(r.fsimc)}",
            f"     - {deviation}",
        ]
    lines += [
        "",
        ".. [#bilevel] A bilevel image (only the values 0 and 255), read as "
        "0/1 as Octave reads it; see below.",
        ".. [#nan] The reference divides 0 by 0 where an image is flat; "
        "fsimlib returns the documented score instead (see :func:`fsimlib.fsim`).",
    ]
    return lines


def bilevel_rst(results: tuple[CaseResult, ...]) -> list[str]:
    """What the bilevel cases score if read as stored (0/255), as reST lines."""
    lines = [
        ".. list-table:: The bilevel cases, read as 0/1 and as stored (0/255)",
        "   :header-rows: 1",
        "",
        "   * - Case",
        "     - FSIM (reference)",
        "     - FSIM (fsimlib, 0/1)",
        "     - FSIM (fsimlib, 0/255)",
    ]
    for r in results:
        if r.fsim_as_stored is not None:
            lines += [
                f"   * - ``{r.case_id}``",
                f"     - {_cell(r.reference_fsim)}",
                f"     - {_cell(r.fsim)}",
                f"     - {_cell(r.fsim_as_stored)}",
            ]
    return lines


class AgreementDirective(SphinxDirective):
    """``.. fsim-agreement:: table`` (or ``bilevel``): score the corpus.

    ``table`` gives the summary and the table of every case; ``bilevel``
    the cases with a bilevel image, read both ways.  The corpus is scored
    once per build.
    """

    has_content = False
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        data = Path(self.config.fsim_reference_data)
        cases = data / "cases.csv"
        self.env.note_dependency(str(cases))
        if not cases.is_file():
            logger.warning(
                "cannot build the agreement table: %s does not exist",
                cases,
                location=self.get_location(),
            )
            return []
        part = self.arguments[0]
        if part not in {"table", "bilevel"}:
            logger.warning(
                "fsim-agreement takes 'table' or 'bilevel', got %r",
                part,
                location=self.get_location(),
            )
            return []
        results = score_corpus(data.resolve())
        lines = agreement_rst(results) if part == "table" else bilevel_rst(results)
        container = nodes.section()
        container.document = self.state.document
        source = StringList(lines, source=str(cases))
        nested_parse_with_titles(self.state, source, container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, object]:
    """Register the agreement directive and the API coverage check."""
    # The reference corpus the test suite checks against (see its README.md).
    app.add_config_value(
        "fsim_reference_data", str(DOCS.parent / "tests" / "data"), "env", str
    )
    app.add_directive("fsim-agreement", AgreementDirective)
    app.connect("builder-inited", check_api_coverage)
    return {"parallel_read_safe": True}
