"""The options of FSIM, defined once: :class:`FSIMOptions`.

Every entry point (:func:`fsimlib.fsim`, :func:`fsimlib.compare`,
:class:`fsimlib.Reference`, :func:`fsimlib.fsim_batch`,
:func:`fsimlib.datasets.score_pairs`, the command line and the demo) takes its
option keywords from this one definition: their names and defaults are the
fields of :class:`FSIMOptions`, their documentation is each field's
``doc`` metadata (put into the entry points' docstrings by
:func:`document_options`), their checks are :meth:`FSIMOptions.__post_init__`
and what a result file records of them is :meth:`FSIMOptions.record`.

The entry points take the options as ``**options: Unpack[FSIMKeywords]``:
:class:`FSIMKeywords` tells type checkers the names and types (a test keeps
it equal to the fields), and :func:`document_options` gives the entry point
the signature it would have with the options written out, for
:func:`inspect.signature`, :func:`help` and the documentation.  A new option
is added here, to :class:`FSIMOptions` and :class:`FSIMKeywords`, and every
entry point takes it.

``workers`` is not an option of the score (the scores do not depend on
it); its meaning, the threads one call may use, is documented once in
:data:`WORKERS_DOC`.
"""

from __future__ import annotations

import dataclasses
import inspect
import textwrap
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ForwardRef, TypedDict, TypeVar, get_type_hints

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
    "FSIMKeywords",
    "FSIMOptions",
    "FileKeywords",
    "document_options",
    "option_names",
    "options_from_keywords",
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


class _AnyImageKeywords(TypedDict, total=False):
    """The options that do not depend on how the images are given."""

    data_range: float | None
    downsample: bool | int
    gradient: GradientSpec
    precision: Precision
    pc_parameters: PhaseCongruencyParameters


class FSIMKeywords(_AnyImageKeywords, total=False):
    """The options as keyword arguments, for type checkers: ``**options``.

    The keys and types of the fields of :class:`FSIMOptions` (a test keeps
    the two equal).  The entry points take their options as
    ``**options: Unpack[FSIMKeywords]``, so that a type checker checks the
    names and types of the options given; at run time their signatures
    show every option with its default.  A function that passes options on
    takes them the same way, ``**options: Unpack[fsimlib.FSIMKeywords]``
    (``Unpack`` from :mod:`typing`, or ``typing_extensions`` before Python
    3.11), and a set of options can be kept in a typed dictionary:

    Examples
    --------
    >>> import fsimlib
    >>> from skimage import data
    >>> image = data.camera()
    >>> options: fsimlib.FSIMKeywords = {"gradient": "sobel", "downsample": 2}
    >>> fsimlib.fsim(image, image[::-1], **options) == fsimlib.fsim(
    ...     image, image[::-1], gradient="sobel", downsample=2
    ... )
    True
    """

    channel_axis: int | None


class FileKeywords(_AnyImageKeywords, total=False):
    """The options of the entry points that read image files.

    As :class:`FSIMKeywords`, but ``channel_axis`` can only be None: image
    files are read with their channels last.
    """

    channel_axis: None


def options_from_keywords(
    function: str, keywords: Mapping[str, Any], *, files: bool = False
) -> FSIMOptions:
    """Make the options from the ``**options`` the entry point ``function`` was given.

    A name that is not an option is refused first, with the error Python
    raises for an unknown keyword argument, so that the entry point behaves
    as if its options were written out in its signature.  With ``files``
    (an entry point that reads image files), a ``channel_axis`` other than
    None is refused next (:func:`check_files_channel_axis`).

    Raises
    ------
    TypeError
        For a keyword that is not an option, or an option of the wrong type.
    ValueError
        For an option with a wrong value.
    """
    names = option_names()
    for name in keywords:
        if name not in names:
            msg = f"{function}() got an unexpected keyword argument {name!r}"
            raise TypeError(msg)
    if files:
        check_files_channel_axis(keywords.get("channel_axis"))
    return FSIMOptions(**keywords)


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


#: The ``**options`` annotations of the entry points, and what they unpack.
_UNPACKED: dict[str, type] = {
    "Unpack[FSIMKeywords]": FSIMKeywords,
    "Unpack[FileKeywords]": FileKeywords,
}


def _annotation_text(annotation: object) -> object:
    return (
        annotation.__forward_arg__ if isinstance(annotation, ForwardRef) else annotation
    )


def _spell_out_options(function: Callable[..., Any]) -> None:
    """Give ``function``, which takes ``**options``, the options as its keywords.

    Its ``__signature__`` becomes the signature it would have with the
    options written out: each a keyword-only parameter with the default of
    :class:`FSIMOptions` and the annotation of the unpacked
    :class:`FSIMKeywords` (or :class:`FileKeywords`), in the order of the
    fields, after the function's own keywords and before ``workers``.  Its
    ``__annotations__`` follow, so that :func:`typing.get_type_hints`
    resolves them.  A function without ``**options`` is left as it is.
    """
    signature = inspect.signature(function)
    parameters = list(signature.parameters.values())
    unpacked = [p for p in parameters if p.kind is inspect.Parameter.VAR_KEYWORD]
    if not unpacked:
        return
    (variadic,) = unpacked
    keywords = _UNPACKED.get(str(variadic.annotation))
    if keywords is None:
        msg = (
            f"{function!r} takes **{variadic.name}: {variadic.annotation}; "
            f"expected one of {sorted(_UNPACKED)}"
        )
        raise ValueError(msg)
    annotations = keywords.__annotations__
    options = [
        inspect.Parameter(
            item.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=item.default,
            annotation=_annotation_text(annotations[item.name]),
        )
        for item in fields(FSIMOptions)
    ]
    own = [p for p in parameters if p is not variadic]
    workers = [p for p in own if p.name == "workers"]
    before = [p for p in own if p.name != "workers"]
    function.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*before, *options, *workers]
    )
    hints = get_type_hints(keywords)
    function.__annotations__ = {
        **{
            name: annotation
            for name, annotation in function.__annotations__.items()
            if name != variadic.name
        },
        **{item.name: hints[item.name] for item in fields(FSIMOptions)},
    }


def document_options(
    names: Iterable[str] | None = None, *, workers: str | None = None
) -> Callable[[T], T]:
    """Put the documentation of ``names`` where the docstring says ``{options}``.

    The marker stands alone on its line, in a numpydoc ``Parameters``
    section, indented as the entries around it.  An entry point (a
    function, or a class by its ``__init__``) that takes the options as
    ``**options: Unpack[FSIMKeywords]`` gets them spelled out in its
    signature too (see :func:`_spell_out_options`).
    """
    chosen = option_names() if names is None else tuple(names)

    def decorate(target: T) -> T:
        if inspect.isclass(target):
            _spell_out_options(target.__init__)
        elif callable(target):
            _spell_out_options(target)
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
