"""Every entry point takes the options of FSIMOptions, as it defines them.

The names, defaults, annotations and documentation of the options are
defined once, in :class:`fsimlib.FSIMOptions`.  These tests read every
entry point (Python signatures and docstrings, the command line's
parameters and ``--help``, the demo's choices) and fail if one drifts from
that definition: an option missing, renamed, with another default, type or
text, or a keyword that is an option of one entry point only.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable
from dataclasses import MISSING, Field, fields
from pathlib import Path
from typing import Any

import click
import numpy as np
import pytest
from click.testing import CliRunner
from numpydoc.docscrape import FunctionDoc

import fsimlib
from fsimlib import cli, databases
from fsimlib._cli_options import options_from_flags
from fsimlib._options import (
    FILE_OPTIONS,
    GRADIENT_NAMES,
    PRECISIONS,
    WORKERS_DOC,
    FileKeywords,
)

OPTIONS: dict[str, Field[Any]] = {
    item.name: item for item in fields(fsimlib.FSIMOptions)
}

#: Each Python entry point, the options it takes, and its keywords that are
#: not options of the score (what it does besides, and its threads).
ENTRY_POINTS: dict[str, tuple[Callable[..., Any], tuple[str, ...], set[str]]] = {
    "fsim": (fsimlib.fsim, tuple(OPTIONS), {"chromatic", "workers"}),
    "compare": (fsimlib.compare, tuple(OPTIONS), {"workers"}),
    "Reference": (fsimlib.Reference, tuple(OPTIONS), {"workers"}),
    "fsim_batch": (fsimlib.fsim_batch, tuple(OPTIONS), {"chromatic", "workers"}),
    "score_pairs": (
        fsimlib.datasets.score_pairs,
        tuple(OPTIONS),
        {"executor", "chunk_size", "workers"},
    ),
    "databases.evaluate": (
        databases.evaluate,
        tuple(OPTIONS),
        {"output", "executor", "chunk_size", "chromatic", "progress"},
    ),
    "phase_congruency": (
        fsimlib.phase_congruency,
        ("precision", "pc_parameters"),
        {"workers"},
    ),
}

#: The commands that score, and so take the option flags.
COMMANDS = ("compare", "batch", "evaluate")


def _keywords(function: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    target = function.__init__ if inspect.isclass(function) else function  # type: ignore[misc]
    return {
        name: parameter
        for name, parameter in inspect.signature(target).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }


def _documented(function: Callable[..., Any]) -> dict[str, tuple[str, str]]:
    """Parameter name -> (type, description) from a numpydoc docstring."""
    doc = FunctionDoc(function) if not inspect.isclass(function) else None
    if doc is None:
        from numpydoc.docscrape import ClassDoc

        doc = ClassDoc(function)
    entries: dict[str, tuple[str, str]] = {}
    for parameter in doc["Parameters"]:
        text = " ".join(" ".join(parameter.desc).split())
        for name in parameter.name.split(","):
            entries[name.strip()] = (parameter.type, text)
    return entries


def _field_default(item: Field[Any]) -> Any:
    assert item.default is not MISSING
    return item.default


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_the_options_keywords_are_those_of_fsim_options(entry: str) -> None:
    function, names, others = ENTRY_POINTS[entry]
    keywords = _keywords(function)
    assert set(keywords) == set(names) | others, (
        f"{entry} takes {sorted(keywords)}; an option of the score belongs in "
        "FSIMOptions, and every entry point takes it"
    )
    for name in names:
        parameter, item = keywords[name], OPTIONS[name]
        if name == "channel_axis" and entry in ("score_pairs", "databases.evaluate"):
            # Files have a known layout: the keyword is there, but only None.
            assert parameter.default is None
            assert parameter.annotation == "None"
            continue
        assert parameter.default == _field_default(item), (entry, name)
        assert parameter.annotation == item.type, (entry, name)


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
def test_the_options_documentation_is_that_of_fsim_options(entry: str) -> None:
    function, names, others = ENTRY_POINTS[entry]
    documented = _documented(function)
    for name in names:
        kind, text = documented[name]
        assert kind == OPTIONS[name].metadata["type"], (entry, name)
        assert text == " ".join(OPTIONS[name].metadata["doc"].split()), (entry, name)
    if "workers" in others:
        kind, text = documented["workers"]
        assert kind == "int, optional"
        assert text.startswith(" ".join(WORKERS_DOC.split())), entry
        assert _keywords(function)["workers"].default is None


#: The entry points that read image files, whose ``channel_axis`` is None.
FILE_ENTRY_POINTS = ("score_pairs", "databases.evaluate")


def _target(function: Callable[..., Any]) -> Callable[..., Any]:
    return function.__init__ if inspect.isclass(function) else function  # type: ignore[misc]


def test_the_keywords_type_has_the_names_and_types_of_the_fields() -> None:
    """FSIMKeywords, what type checkers see of ``**options``, is FSIMOptions."""
    fields_types = typing.get_type_hints(fsimlib.FSIMOptions)
    assert typing.get_type_hints(fsimlib.FSIMKeywords) == fields_types
    assert fsimlib.FSIMKeywords.__optional_keys__ == frozenset(OPTIONS)
    assert fsimlib.FSIMKeywords.__required_keys__ == frozenset()
    # Files: the same, but channel_axis can only be None.
    assert typing.get_type_hints(FileKeywords) == {
        **fields_types,
        "channel_axis": type(None),
    }
    assert FileKeywords.__optional_keys__ == frozenset(OPTIONS)


@pytest.mark.parametrize("entry", [e for e in ENTRY_POINTS if e != "phase_congruency"])
def test_the_signature_spells_the_options_out_in_their_order(entry: str) -> None:
    """At run time the options are keywords, after the entry point's own,
    before ``workers``, with the types of FSIMKeywords: as if written out."""
    function, names, others = ENTRY_POINTS[entry]
    parameters = list(inspect.signature(function).parameters.values())
    assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in parameters)
    keywords = [p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY]
    start = keywords.index(names[0])
    assert keywords[start : start + len(names)] == list(names)
    own_after = ["workers"] if "workers" in others else []
    assert keywords[start + len(names) :] == own_after
    assert set(keywords[:start]) == others - set(own_after)
    hints = typing.get_type_hints(_target(function))
    unpacked = FileKeywords if entry in FILE_ENTRY_POINTS else fsimlib.FSIMKeywords
    for name, kind in typing.get_type_hints(unpacked).items():
        assert hints[name] == kind, (entry, name)


def _call(entry: str, tmp_path: Path, **keywords: Any) -> object:
    image = np.zeros((16, 16), dtype=np.uint8)
    if entry == "fsim":
        return fsimlib.fsim(image, image, **keywords)
    if entry == "compare":
        return fsimlib.compare(image, image, **keywords)
    if entry == "Reference":
        return fsimlib.Reference(image, **keywords)
    if entry == "fsim_batch":
        return fsimlib.fsim_batch(image, image[np.newaxis], **keywords)
    if entry == "score_pairs":
        return fsimlib.datasets.score_pairs([], **keywords)
    return databases.evaluate(tmp_path, output=tmp_path / "out", **keywords)


@pytest.mark.parametrize("entry", [e for e in ENTRY_POINTS if e != "phase_congruency"])
def test_an_unknown_keyword_is_refused_as_python_refuses_it(
    entry: str, tmp_path: Path
) -> None:
    name = _target(ENTRY_POINTS[entry][0]).__qualname__
    wording = f"{name}() got an unexpected keyword argument 'colour'"
    with pytest.raises(TypeError, match=rf"^{re.escape(wording)}$"):
        _call(entry, tmp_path, colour=True)
    with pytest.raises(ValueError, match="precision must be one of"):
        _call(entry, tmp_path, precision="float16")
    assert not (tmp_path / "out").exists()


#: A wrong value of an entry point's own keywords (or of an option it checks
#: itself), which its body would report if it ran.
OTHER_MISTAKES: dict[str, dict[str, Any]] = {
    "fsim": {"chromatic": "yes", "workers": "many"},
    "compare": {"workers": "many"},
    "Reference": {"workers": "many"},
    "fsim_batch": {"chromatic": "yes", "workers": "many"},
    "score_pairs": {"chunk_size": 0, "executor": "pool"},
    "databases.evaluate": {"gradient": fsimlib.SOBEL, "chunk_size": 0},
}


@pytest.mark.parametrize("entry", list(OTHER_MISTAKES))
def test_an_unknown_keyword_is_refused_before_any_other_mistake(
    entry: str, tmp_path: Path
) -> None:
    """Python refuses a call with an unknown keyword before the body runs, so
    no check of the body may speak first."""
    name = _target(ENTRY_POINTS[entry][0]).__qualname__
    wording = f"{name}() got an unexpected keyword argument 'colour'"
    with pytest.raises(TypeError, match=rf"^{re.escape(wording)}$"):
        _call(entry, tmp_path, colour=True, **OTHER_MISTAKES[entry])
    assert not (tmp_path / "out").exists()


def test_the_options_object_documents_its_own_fields() -> None:
    documented = _documented(fsimlib.FSIMOptions)
    assert set(documented) == set(OPTIONS)
    for name, item in OPTIONS.items():
        assert documented[name] == (
            item.metadata["type"],
            " ".join(item.metadata["doc"].split()),
        )


def _command(name: str) -> click.Command:
    command = cli.cli.commands[name]
    assert isinstance(command, click.Command)
    return command


@pytest.mark.parametrize("name", COMMANDS)
def test_each_scoring_command_has_one_flag_per_file_option(name: str) -> None:
    params = {param.name: param for param in _command(name).params}
    for option in FILE_OPTIONS:
        assert option in params, f"fsimlib {name} has no flag for {option}"
        assert params[option].help == OPTIONS[option].metadata["cli_help"]  # type: ignore[attr-defined]
    assert "channel_axis" not in params, "files are read with channels last"
    assert "workers" not in params, "the command's processes are --processes"
    defaults = {option: params[option].default for option in FILE_OPTIONS}
    assert options_from_flags(**defaults) == fsimlib.FSIMOptions()
    assert params["gradient"].type.choices == GRADIENT_NAMES  # type: ignore[attr-defined]
    assert params["precision"].type.choices == PRECISIONS  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", COMMANDS)
def test_each_scoring_command_shows_the_flags_in_its_help(name: str) -> None:
    result = CliRunner().invoke(cli.cli, [name, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    for option in FILE_OPTIONS:
        flag = "--pc" if option == "pc_parameters" else "--" + option.replace("_", "-")
        assert re.search(rf"{flag}\b", flat), (name, flag)
        assert " ".join(OPTIONS[option].metadata["cli_help"].split()) in flat
    if name != "compare":
        assert "-j, --processes" in flat


def test_the_demo_offers_the_choices_of_the_options_definition() -> None:
    pytest.importorskip("gradio")
    from fsimlib import demo

    assert demo.GRADIENT_CHOICES == GRADIENT_NAMES
    assert demo.PRECISION_CHOICES == PRECISIONS
    # The first choice is shown selected: the default.
    assert GRADIENT_NAMES[0] == fsimlib.FSIMOptions().gradient
    assert PRECISIONS[0] == fsimlib.FSIMOptions().precision
