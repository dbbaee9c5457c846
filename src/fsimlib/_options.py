"""The options of FSIM, defined once: :class:`FSIMOptions`.

Every entry point (:func:`fsimlib.fsim`, :func:`fsimlib.compare`,
:class:`fsimlib.Reference`, :func:`fsimlib.fsim_batch`,
:func:`fsimlib.datasets.score_pairs`, the command line and the demo) takes its
option keywords from this one definition: their names and defaults are the
fields of :class:`FSIMOptions`, their documentation is each field's
``doc`` metadata (put into the entry points' docstrings by
:func:`document_options`), their checks are :meth:`FSIMOptions.__post_init__`
and what a result file records of them is :meth:`FSIMOptions.record`.  A new
option is added here, and a test fails until every entry point takes it.

``workers`` is not an option of the score (the scores do not depend on
it); its meaning, the threads one call may use, is documented once in
:data:`WORKERS_DOC`.
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

import numpy as np

from ._gradient import (
    GRADIENT_OPERATORS,
    GradientOperator,
    GradientSpec,
    resolve_gradient,
)
from ._parameters import PhaseCongruencyParameters, check_pc_parameters
from ._validation import (
    PRECISIONS,
    Precision,
    check_downsample,
    check_precision,
    resolve_data_range,
)

__all__ = [
    "DEFAULT_PC_PARAMETERS",
    "FILE_OPTIONS",
    "GRADIENT_NAMES",
    "PRECISIONS",
    "WORKERS_DOC",
    "FSIMOptions",
    "document_options",
    "option_names",
]

#: The reference's phase-congruency parameters.
DEFAULT_PC_PARAMETERS = PhaseCongruencyParameters()

#: Names of the gradient operators known by name, the default first.
GRADIENT_NAMES: tuple[str, ...] = tuple(GRADIENT_OPERATORS)

#: What every ``workers`` parameter of the Python API means.
WORKERS_DOC = (
    "The threads this call may use, with ``scipy.fft``'s meaning (``None``: "
    "one; a negative number counts back from the number of CPUs, ``-1`` is "
    "all of them), at most 64.  The scores do not depend on it, to the bit "
    "(see :ref:`workers`)."
)


def _documented(kind: str, doc: str, cli_help: str) -> dict[str, str]:
    """Return the metadata of a field of :class:`FSIMOptions`: its documentation.

    ``kind`` and ``doc`` are the field's numpydoc type and description;
    ``cli_help`` is the help of its command-line flag (empty: no flag).
    """
    return {"type": kind, "doc": doc, "cli_help": cli_help}


@dataclass(frozen=True)
class FSIMOptions:
    """How FSIM is computed: every option of the score, checked.

    The fields are the keyword options of :func:`fsimlib.fsim` and of every
    other entry point, with the same names and defaults; the defaults
    reproduce the authors' reference implementation.  Options are checked
    when the object is made, so a wrong one is reported before any image is
    read.  The object is frozen, hashable and picklable (as long as a
    custom ``gradient`` is), for process pools.

    To pass a whole set of options to an entry point, unpack its
    :meth:`keywords`: ``fsimlib.fsim(a, b, **options.keywords())``.

    Parameters
    ----------
    {options}

    Raises
    ------
    TypeError
        If an option has the wrong type.
    ValueError
        If an option has the wrong value (a negative ``data_range``, an
        unknown gradient or precision name, a downsampling factor below 1).

    Examples
    --------
    >>> import fsimlib
    >>> from skimage import data
    >>> options = fsimlib.FSIMOptions(
    ...     gradient="sobel",
    ...     pc_parameters=fsimlib.PhaseCongruencyParameters(n_scales=5),
    ... )
    >>> image = data.camera()
    >>> fsimlib.fsim(image, image[::-1], **options.keywords()) == fsimlib.fsim(
    ...     image,
    ...     image[::-1],
    ...     gradient="sobel",
    ...     pc_parameters=fsimlib.PhaseCongruencyParameters(n_scales=5),
    ... )
    True
    >>> options.record()["gradient"], options.record()["pc_parameters"]["n_scales"]
    ('sobel', 5)
    """

    data_range: float | None = field(
        default=None,
        metadata=_documented(
            "float, optional",
            "Span of the values the images can take (255 for 8-bit).  Inferred "
            "from integer dtypes (uint8 and 8-bit files: 255, uint16 and 16-bit "
            "files: 65535); required for floating-point images.  Give it for "
            "data that does not fill its type (4095 for 12-bit data stored in "
            "16-bit files).  Images are scaled by ``255 / data_range``, the range "
            "FSIM's constants assume; the scaled values must stay within 1e100 "
            "in magnitude, which keeps every step finite.",
            "Span of the image values (e.g. 4095 for 12-bit data in 16-bit "
            "files); by default that of the files' bit depth (255 or 65535).",
        ),
    )
    channel_axis: int | None = field(
        default=None,
        metadata=_documented(
            "int, optional",
            "Axis of the colour channels of 3-D images.  By default 2-D images "
            "are greyscale and 3-D images have channels last.",
            "",
        ),
    )
    downsample: bool | int = field(
        default=True,
        metadata=_documented(
            "bool or int, optional",
            "``True`` (default) applies the reference's automatic factor "
            "``max(1, round(min(rows, cols) / 256))``; ``False`` processes the "
            "full image; an int is used as the factor.",
            "Downsampling before scoring: 'auto' (the reference's factor, "
            "max(1, round(min(rows, cols) / 256))), 'off', or an integer factor.",
        ),
    )
    gradient: GradientSpec = field(
        default="scharr",
        metadata=_documented(
            "str, GradientOperator, pair of kernels or callable, optional",
            "Gradient operator: ``'scharr'`` (the reference's, for which the "
            "constant ``T2`` was tuned), ``'sobel'``, ``'prewitt'``, a "
            ":class:`~fsimlib.GradientOperator`, a pair ``(kernel_x, kernel_y)`` "
            "(made into a :class:`~fsimlib.GradientOperator`), or a function "
            "mapping a float image to its gradient magnitude.",
            "Gradient operator (Scharr is the reference's).",
        ),
    )
    precision: Precision = field(
        default="float64",
        metadata=_documented(
            "{'float64', 'float32'}, optional",
            "Precision of the phase-congruency FFTs.  ``'float32'`` is faster "
            "and deviates from the float64 score by about 1e-7.",
            "Precision of the phase-congruency FFTs; float32 is faster and "
            "deviates from the float64 score by about 1e-7.",
        ),
    )
    pc_parameters: PhaseCongruencyParameters = field(
        default=DEFAULT_PC_PARAMETERS,
        metadata=_documented(
            "PhaseCongruencyParameters, optional",
            "Parameters of the phase-congruency measure; the defaults are the "
            "reference's.  Scores made with other parameters are not comparable "
            "with published FSIM values.",
            "A phase-congruency parameter as NAME=VALUE (e.g. n_scales=5), "
            "repeatable; names as fsimlib.PhaseCongruencyParameters, defaults "
            "the reference's.",
        ),
    )

    def __post_init__(self) -> None:
        if self.data_range is not None:
            resolve_data_range(self.data_range, ())
        if self.channel_axis is not None and (
            isinstance(self.channel_axis, (bool, np.bool_))
            or not isinstance(self.channel_axis, (int, np.integer))
        ):
            msg = (
                "channel_axis must be an int or None, got "
                f"{type(self.channel_axis).__name__} {self.channel_axis!r}"
            )
            raise TypeError(msg)
        check_downsample(self.downsample)
        resolved = resolve_gradient(self.gradient)
        if isinstance(self.gradient, tuple):
            # Kernels as a pair of arrays would make the options unhashable.
            object.__setattr__(self, "gradient", resolved)
        check_precision(self.precision)
        check_pc_parameters(self.pc_parameters)

    @classmethod
    def from_arguments(cls, arguments: Mapping[str, Any]) -> FSIMOptions:
        """Make the options from an entry point's arguments (its ``locals()``).

        Every entry point takes the options as keywords of its own
        signature, with the names of the fields; this collects those among
        ``arguments`` (other names are left out), so that no entry point
        writes the list of options out again.

        Parameters
        ----------
        arguments : Mapping[str, Any]
            Names to values, e.g. ``locals()`` at the start of a function.

        Returns
        -------
        FSIMOptions
            The options, checked.

        Examples
        --------
        >>> import fsimlib
        >>> def my_metric(image, *, gradient="scharr", precision="float64"):
        ...     return fsimlib.FSIMOptions.from_arguments(locals())
        >>> my_metric(None, gradient="sobel").gradient
        'sobel'
        """
        names = option_names()
        return cls(**{name: arguments[name] for name in names if name in arguments})

    def keywords(self) -> dict[str, Any]:
        """Return the options as keyword arguments of the entry points.

        Returns
        -------
        dict
            Field name to value, not copied: ``fsim(a, b, **o.keywords())``.

        Examples
        --------
        >>> import fsimlib
        >>> sorted(fsimlib.FSIMOptions().keywords())[:3]
        ['channel_axis', 'data_range', 'downsample']
        """
        return {item.name: getattr(self, item.name) for item in fields(self)}

    def record(self) -> dict[str, Any]:
        """Return the options as JSON-able values, for the files results go to.

        A gradient given by name is recorded by name, another by its
        ``repr``; the phase-congruency parameters by field.

        Returns
        -------
        dict
            Field name to a JSON-able value.

        Examples
        --------
        >>> import fsimlib
        >>> fsimlib.FSIMOptions(data_range=4095).record()["data_range"]
        4095.0
        """
        gradient = self.gradient
        return {
            "data_range": None if self.data_range is None else float(self.data_range),
            "channel_axis": (
                None if self.channel_axis is None else int(self.channel_axis)
            ),
            "downsample": (
                bool(self.downsample)
                if isinstance(self.downsample, (bool, np.bool_))
                else int(self.downsample)
            ),
            "gradient": gradient.lower()
            if isinstance(gradient, str)
            else _gradient_label(gradient),
            "precision": self.precision,
            "pc_parameters": dataclasses.asdict(self.pc_parameters),
        }


def _gradient_label(gradient: object) -> str:
    if isinstance(gradient, GradientOperator) and gradient.name in GRADIENT_OPERATORS:
        return gradient.name
    return repr(gradient)


def option_names() -> tuple[str, ...]:
    """Return the names of the options, in the order of :class:`FSIMOptions`."""
    return tuple(item.name for item in fields(FSIMOptions))


#: The options that apply to image files (their channel layout is known).
FILE_OPTIONS: tuple[str, ...] = tuple(
    name for name in option_names() if name != "channel_axis"
)


def check_files_channel_axis(channel_axis: object) -> None:
    """Refuse a ``channel_axis`` for image files, read with channels last."""
    if channel_axis is not None:
        msg = (
            "channel_axis must be None for image files, which are read with "
            f"their channels last; got {channel_axis!r}"
        )
        raise ValueError(msg)


def _parameter_text(name: str, kind: str, text: str, indent: str) -> str:
    body = textwrap.fill(
        text,
        width=79 - len(indent) - 4,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return f"{indent}{name} : {kind}\n" + textwrap.indent(body, indent + "    ")


def options_parameters(
    names: Iterable[str], *, workers: str | None = None, indent: str = ""
) -> str:
    """Return the numpydoc ``Parameters`` entries of options (and ``workers``).

    ``workers`` is the sentence that says what this entry point does with
    its threads; it follows :data:`WORKERS_DOC`.
    """
    by_name = {item.name: item for item in fields(FSIMOptions)}
    entries = [
        _parameter_text(
            name, by_name[name].metadata["type"], by_name[name].metadata["doc"], indent
        )
        for name in names
    ]
    if workers is not None:
        entries.append(
            _parameter_text(
                "workers", "int, optional", f"{WORKERS_DOC}  {workers}", indent
            )
        )
    return "\n".join(entries).lstrip()


T = TypeVar("T")

#: The line of a docstring that :func:`document_options` replaces.
MARKER = "{options}"


def document_options(
    names: Iterable[str] | None = None, *, workers: str | None = None
) -> Callable[[T], T]:
    """Put the documentation of ``names`` where the docstring says ``{options}``.

    The marker stands alone on its line, in a numpydoc ``Parameters``
    section, indented as the entries around it.
    """
    chosen = option_names() if names is None else tuple(names)

    def decorate(target: T) -> T:
        doc = target.__doc__ or ""
        lines = doc.splitlines()
        found = [i for i, line in enumerate(lines) if line.strip() == MARKER]
        if len(found) != 1:
            msg = f"{target!r} needs one {MARKER} line in its docstring"
            raise ValueError(msg)
        line = lines[found[0]]
        indent = line[: len(line) - len(line.lstrip())]
        lines[found[0]] = indent + options_parameters(
            chosen, workers=workers, indent=indent
        )
        target.__doc__ = "\n".join(lines)
        return target

    return decorate


# The class documents its own fields from the same metadata.
document_options()(FSIMOptions)
