"""The command line's flags for the options of FSIM, made from :class:`FSIMOptions`.

:func:`score_options` adds one flag per option that applies to image files
(:data:`fsimlib._options.FILE_OPTIONS`), with the default, choices and help
of the options definition, and hands the command one checked
:class:`FSIMOptions` as its ``options`` argument.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import fields
from typing import Any, TypeVar

import click

from ._options import FILE_OPTIONS, GRADIENT_NAMES, PRECISIONS, FSIMOptions
from ._parameters import PhaseCongruencyParameters

F = TypeVar("F", bound=Callable[..., Any])

_HELP = {item.name: item.metadata["cli_help"] for item in fields(FSIMOptions)}
_DEFAULTS = FSIMOptions()
_PC_FIELDS = {item.name: item.type for item in fields(PhaseCongruencyParameters)}


def _downsample_text(value: bool | int) -> str:
    if isinstance(value, bool):
        return "auto" if value else "off"
    return str(value)


def parse_downsample(text: str) -> bool | int:
    """Turn ``auto``, ``off`` or a positive integer into ``downsample=``."""
    lowered = str(text).strip().lower()
    if lowered == "auto":
        return True
    if lowered == "off":
        return False
    try:
        factor = int(lowered)
    except ValueError:
        factor = 0
    if factor < 1:
        msg = f"expected 'auto', 'off' or a positive integer, got {text!r}"
        raise click.BadParameter(msg, param_hint="'--downsample'")
    return factor


def parse_pc_parameters(items: Sequence[str]) -> PhaseCongruencyParameters:
    """Turn ``NAME=VALUE`` items into phase-congruency parameters."""
    values: dict[str, int | float] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or name not in _PC_FIELDS:
            msg = (
                f"expected NAME=VALUE with NAME one of {', '.join(_PC_FIELDS)}, "
                f"got {item!r}"
            )
            raise click.BadParameter(msg, param_hint="'--pc'")
        convert = int if _PC_FIELDS[name] in (int, "int") else float
        try:
            values[name] = convert(text.strip())
        except ValueError as error:
            kind = "an integer" if convert is int else "a number"
            msg = f"{name} must be {kind}, got {text.strip()!r}"
            raise click.BadParameter(msg, param_hint="'--pc'") from error
    try:
        return PhaseCongruencyParameters(**values)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise click.BadParameter(str(error), param_hint="'--pc'") from error


def options_from_flags(
    *,
    data_range: float | None,
    downsample: str,
    gradient: str,
    precision: str,
    pc_parameters: Sequence[str],
) -> FSIMOptions:
    """Return the :class:`FSIMOptions` that the flags' values ask for."""
    return FSIMOptions(
        data_range=data_range,
        downsample=parse_downsample(downsample),
        gradient=gradient,
        precision=precision,  # type: ignore[arg-type]
        pc_parameters=parse_pc_parameters(pc_parameters),
    )


#: The flag of each option, in the order of FSIMOptions.
_FLAGS: dict[str, Callable[[F], F]] = {
    "data_range": click.option(
        "--data-range",
        "data_range",
        type=click.FloatRange(min=0, min_open=True),
        metavar="FLOAT",
        default=_DEFAULTS.data_range,
        help=_HELP["data_range"],
    ),
    "downsample": click.option(
        "--downsample",
        "downsample",
        metavar="auto|off|N",
        default=_downsample_text(_DEFAULTS.downsample),
        show_default=True,
        help=_HELP["downsample"],
    ),
    "gradient": click.option(
        "--gradient",
        "gradient",
        type=click.Choice(GRADIENT_NAMES),
        default=_DEFAULTS.gradient,
        show_default=True,
        help=_HELP["gradient"],
    ),
    "precision": click.option(
        "--precision",
        "precision",
        type=click.Choice(PRECISIONS),
        default=_DEFAULTS.precision,
        show_default=True,
        help=_HELP["precision"],
    ),
    "pc_parameters": click.option(
        "--pc",
        "pc_parameters",
        metavar="NAME=VALUE",
        multiple=True,
        default=(),
        help=_HELP["pc_parameters"],
    ),
}


def score_options(command: F) -> F:
    """Add the option flags to a command, which receives ``options``."""

    @functools.wraps(command)
    def with_options(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        flags = {name: kwargs.pop(name) for name in FILE_OPTIONS}
        try:
            options = options_from_flags(**flags)
        except (TypeError, ValueError) as error:
            raise click.UsageError(" ".join(str(error).split())) from error
        return command(*args, options=options, **kwargs)

    decorated: Any = with_options
    for name in reversed(FILE_OPTIONS):
        decorated = _FLAGS[name](decorated)
    return decorated  # type: ignore[no-any-return]
