"""The package's layers: what each part of fsimlib may import.

The metric (the modules directly in ``fsimlib/``) and the backends below it
never import the layers built on them (datasets, statistics, databases, the
command line, the demo), so that the metric stays usable, and testable, on
its own.  The top level exports the metric user's names only; the rest is
reached through its subpackage.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import fsimlib

PACKAGE = Path(fsimlib.__file__).resolve().parent
#: Layers built on the metric, by module name.
UPPER = ("datasets", "stats", "databases", "cli", "demo", "_cli_options")
#: What each layer may not import.
FORBIDDEN = {
    "metric": UPPER,
    "backends": (*UPPER, "metric"),
    "stats": ("datasets", "databases", "cli", "demo", "_cli_options"),
    "datasets": ("stats", "databases", "cli", "demo", "_cli_options"),
}


def _layer(path: Path) -> str | None:
    relative = path.relative_to(PACKAGE)
    if len(relative.parts) == 1:
        name = path.stem
        if name in UPPER or name in ("__init__", "__main__"):
            return None
        return "metric"
    return relative.parts[0] if relative.parts[0] in FORBIDDEN else None


def _imported(path: Path) -> set[str]:
    """The fsimlib modules a file imports, as names below ``fsimlib``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.relative_to(PACKAGE).parts[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                module = [*base, *(node.module or "").split(".")]
            elif (node.module or "").startswith("fsimlib"):
                module = (node.module or "").split(".")[1:]
            else:
                continue
            module = [part for part in module if part]
            names.add(".".join(module))
            names.update(".".join([*module, alias.name]) for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(
                alias.name.removeprefix("fsimlib.")
                for alias in node.names
                if alias.name.startswith("fsimlib.")
            )
    return names


def _top_level_metric_modules() -> set[str]:
    return {p.stem for p in PACKAGE.glob("_*.py") if _layer(p) == "metric"}


MODULES = [p for p in sorted(PACKAGE.rglob("*.py")) if _layer(p) is not None]


@pytest.mark.parametrize(
    "path", MODULES, ids=[p.relative_to(PACKAGE).as_posix() for p in MODULES]
)
def test_a_layer_never_imports_the_layers_built_on_it(path: Path) -> None:
    layer = _layer(path)
    assert layer is not None
    forbidden = set(FORBIDDEN[layer])
    if "metric" in forbidden:
        forbidden = (forbidden - {"metric"}) | _top_level_metric_modules()
    wrong = sorted(name for name in _imported(path) if name.split(".")[0] in forbidden)
    assert not wrong, f"{path.name} ({layer}) imports {wrong}"


def test_the_top_level_holds_the_metric_users_names_only() -> None:
    names = set(fsimlib.__all__)
    for subpackage in (fsimlib.backends, fsimlib.datasets, fsimlib.stats):
        moved = set(subpackage.__all__) & names
        assert not moved, f"{moved} are in {subpackage.__name__}, not the top level"
    assert {"fsim", "compare", "Reference", "FSIMOptions", "fsim_batch"} <= names
