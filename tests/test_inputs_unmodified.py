"""Nothing the user passes in is modified, and results do not alias inputs.

Inputs are read-only copies (the ``read_only`` fixture of ``conftest.py``):
any in-place write to them raises.  After each call the arrays are compared
with pristine copies and must still be read-only.  Cases cover greyscale and
colour, a size processed at F = 1 and one at F = 2 (automatic), and uint8
and float64 input; float64 input at F = 1 is where the library may work on a
view of the caller's array instead of a copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import fsimlib

ReadOnly = Callable[[Any], NDArray[Any]]

SIZES = {"F1": (40, 44), "F2": (384, 392)}


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Start without cached plans, so FFT planning runs during each call."""
    fsimlib.backends.clear_caches()
    yield
    fsimlib.backends.clear_caches()


def make_pair(colour: bool, size: str, dtype: type) -> tuple[NDArray, NDArray]:
    rng = np.random.default_rng(2011)
    shape = (*SIZES[size], 3) if colour else SIZES[size]
    first = rng.integers(0, 256, shape, dtype=np.uint8)
    second = np.clip(first + rng.normal(0, 20, shape), 0, 255).astype(np.uint8)
    return first.astype(dtype), second.astype(dtype)


def options_for(dtype: type) -> dict[str, Any]:
    return {"data_range": 255.0} if dtype == np.float64 else {}


def first_plane(image: NDArray) -> NDArray:
    """The image itself if grey, else a (non-contiguous) view of its red plane."""
    return image if image.ndim == 2 else image[..., 0]


def scribbling_scharr(plane: NDArray[np.float64]) -> NDArray[np.float64]:
    """A gradient callable that writes to its argument before using it."""
    plane *= 1.0
    return fsimlib.SCHARR.magnitude(plane)


def run_entry(
    entry: str, a: NDArray, b: NDArray, read_only: ReadOnly, options: dict[str, Any]
) -> list[NDArray]:
    """Call one entry point on read-only ``a`` and ``b``.

    Returns any extra read-only arrays that were passed in (stacks), so the
    caller can check them too.
    """
    if entry == "fsim":
        fsimlib.fsim(a, b, **options)
    elif entry == "fsimc":
        fsimlib.fsim(a, b, chromatic=True, **options)
    elif entry == "compare":
        fsimlib.compare(a, b, **options)
    elif entry == "fsim_batch":
        stack1, stack2 = read_only(np.stack([a, b])), read_only(np.stack([b, a]))
        fsimlib.fsim_batch(stack1, stack2, workers=2, **options)
        return [stack1, stack2]
    elif entry == "fsim_batch-reference":
        stack = read_only(np.stack([b, a]))
        fsimlib.fsim_batch(a, stack, chromatic=True, **options)
        return [stack]
    elif entry == "Reference":
        reference = fsimlib.Reference(a, **options)
        reference.fsim(b)
        reference.fsim(b, chromatic=True)
        reference.compare(b)
    elif entry == "phase_congruency":
        fsimlib.phase_congruency(first_plane(a))
        fsimlib.phase_congruency(first_plane(b), precision="float32")
    elif entry == "box_downsample":
        for factor in (1, 2, 3):
            fsimlib.box_downsample(first_plane(a), factor)
    elif entry == "gradient-callable":
        score = fsimlib.fsim(a, b, gradient=scribbling_scharr, **options)
        assert score == fsimlib.fsim(a, b, **options)
    elif entry == "gradient-kernels":
        kernels = (
            read_only(fsimlib.SOBEL.kernel_x),
            read_only(fsimlib.SOBEL.kernel_y),
        )
        fsimlib.fsim(a, b, gradient=kernels, **options)
        return list(kernels)
    else:  # pragma: no cover
        msg = f"unknown entry {entry}"
        raise ValueError(msg)
    return []


ENTRIES = [
    "fsim",
    "fsimc",
    "compare",
    "fsim_batch",
    "fsim_batch-reference",
    "Reference",
    "phase_congruency",
    "box_downsample",
    "gradient-callable",
    "gradient-kernels",
]


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("dtype", [np.uint8, np.float64], ids=["uint8", "float64"])
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
def test_read_only_inputs_pass_through_unchanged(
    entry: str, dtype: type, size: str, colour: bool, read_only: ReadOnly
) -> None:
    pristine = make_pair(colour, size, dtype)
    a, b = (read_only(image) for image in pristine)
    extra = run_entry(entry, a, b, read_only, options_for(dtype))
    for given, original in zip((a, b), pristine, strict=True):
        assert not given.flags.writeable, "the input's writeable flag was changed"
        assert given.dtype == original.dtype
        np.testing.assert_array_equal(given, original)
    for array in extra:
        assert not array.flags.writeable


def test_gradient_callable_gets_its_own_copy(read_only: ReadOnly) -> None:
    a, b = (read_only(image) for image in make_pair(False, "F1", np.float64))
    seen: list[NDArray[np.float64]] = []

    def spy(plane: NDArray[np.float64]) -> NDArray[np.float64]:
        seen.append(plane)
        return fsimlib.SCHARR.magnitude(plane)

    fsimlib.fsim(a, b, gradient=spy, data_range=255.0, downsample=False)
    assert len(seen) == 2
    for plane in seen:
        assert not np.shares_memory(plane, a)
        assert not np.shares_memory(plane, b)


MAP_FIELDS = [
    field.name
    for field in dataclasses.fields(fsimlib.FSIMResult)
    if field.name not in ("fsim", "fsimc", "downsample_factor")
]


@pytest.mark.parametrize("dtype", [np.uint8, np.float64], ids=["uint8", "float64"])
@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
@pytest.mark.parametrize("via", ["compare", "Reference.compare"])
def test_returned_maps_are_not_views_of_the_inputs(
    dtype: type, colour: bool, via: str
) -> None:
    # Writable inputs here: the point is that writing to the *maps* leaves
    # the inputs alone.  float64 at F = 1 is the case most likely to alias.
    a, b = make_pair(colour, "F1", dtype)
    a_before, b_before = a.copy(), b.copy()
    options = options_for(dtype)
    if via == "compare":
        result = fsimlib.compare(a, b, **options)
    else:
        result = fsimlib.Reference(a, **options).compare(b)
    for name in MAP_FIELDS:
        array = getattr(result, name)
        assert isinstance(array, np.ndarray), name
        assert not np.shares_memory(array, a), f"{name} is a view of image1"
        assert not np.shares_memory(array, b), f"{name} is a view of image2"
        if array.flags.writeable:
            array[...] = -1.0
    np.testing.assert_array_equal(a, a_before)
    np.testing.assert_array_equal(b, b_before)


@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
def test_reference_scores_survive_changes_to_returned_maps(colour: bool) -> None:
    """A result's maps belong to the caller: writing to them (or they are
    read-only) must not change what the Reference computes next."""
    a, b = make_pair(colour, "F1", np.uint8)
    reference = fsimlib.Reference(a)
    expected = reference.fsim(b, chromatic=True)
    result = reference.compare(b)
    for name in MAP_FIELDS:
        array = getattr(result, name)
        if array.flags.writeable:
            array[...] = 0.0
    assert reference.fsim(b, chromatic=True) == expected


# --------------------------------------------------------------------------
# Every public function x dtype x memory layout: bytes and flags unchanged.

#: Flags a call must leave as they were (``owndata`` says nothing about the
#: caller's array and is not compared).
PROBED_FLAGS = ("writeable", "aligned", "c_contiguous", "f_contiguous")

#: Integer dtypes of 8 and 16 bits have an inferred data range; the others
#: are given one.
PROBE_DTYPES = {
    "uint8": np.uint8,
    "uint16": np.uint16,
    "int16": np.int16,
    "int32": np.int32,
    "float32": np.float32,
    "float64": np.float64,
}
LAYOUTS = ("c", "fortran", "strided", "read-only", "memmap", "read-only-memmap")


def probe_options(dtype: type) -> dict[str, Any]:
    """Options for a 0..255 image: the data range unless the dtype implies it."""
    if np.dtype(dtype).itemsize * 8 in (8, 16) and np.dtype(dtype).kind in "ui":
        return {}
    return {"data_range": 255.0}


def laid_out(values: NDArray, layout: str, tmp_path: Any, name: str) -> NDArray:
    """``values`` in the given memory layout (same shape and dtype)."""
    if layout == "c":
        return np.ascontiguousarray(values)
    if layout == "fortran":
        return np.asfortranarray(values)
    if layout == "strided":
        wide = np.zeros(
            (values.shape[0] * 2, values.shape[1] * 3, *values.shape[2:]), values.dtype
        )
        wide[::2, ::3] = values
        return wide[::2, ::3]
    if layout == "read-only":
        array = values.copy()
        array.flags.writeable = False
        return array
    path = tmp_path / f"{name}.dat"
    mapped = np.memmap(path, dtype=values.dtype, mode="w+", shape=values.shape)
    mapped[...] = values
    mapped.flush()
    if layout == "memmap":
        return mapped
    del mapped
    return np.memmap(path, dtype=values.dtype, mode="r", shape=values.shape)


def snapshot(array: NDArray) -> tuple[bytes, dict[str, bool], bytes | None]:
    """Bytes and flags of ``array``, and the bytes of the array it views."""
    base = array.base if isinstance(array.base, np.ndarray) else None
    flags = {name: bool(getattr(array.flags, name)) for name in PROBED_FLAGS}
    return array.tobytes(), flags, None if base is None else base.tobytes()


def call_public(entry: str, a: NDArray, b: NDArray, options: dict[str, Any]) -> None:
    """Call one public function (and its variants) on the caller's ``a``, ``b``."""
    grey_a, grey_b = first_plane(a), first_plane(b)
    if entry == "fsim":
        fsimlib.fsim(a, b, **options)
        fsimlib.fsim(a, b, chromatic=True, downsample=False, **options)
    elif entry == "compare":
        fsimlib.compare(a, b, **options)
    elif entry == "Reference":
        reference = fsimlib.Reference(a, **options)
        reference.fsim(b)
        reference.fsim(b, chromatic=True)
        reference.compare(b)
        reference.fsim(a)
    elif entry == "fsim_batch":
        fsimlib.fsim_batch(a, [b, a], workers=2, **options)
    elif entry == "phase_congruency":
        fsimlib.phase_congruency(grey_a)
        fsimlib.phase_congruency(grey_b, precision="float32")
    elif entry == "box_downsample":
        for factor in (1, 2, 3):
            fsimlib.box_downsample(a, factor)
    elif entry == "rgb_to_yiq":
        fsimlib.rgb_to_yiq(grey_a, grey_b, grey_a)
    elif entry == "automatic_factor":
        fsimlib.automatic_factor(a.shape[:2])
    else:  # pragma: no cover
        msg = f"unknown entry {entry}"
        raise ValueError(msg)


PUBLIC_ENTRIES = (
    "fsim",
    "compare",
    "Reference",
    "fsim_batch",
    "phase_congruency",
    "box_downsample",
    "rgb_to_yiq",
    "automatic_factor",
)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", list(PROBE_DTYPES.values()), ids=list(PROBE_DTYPES))
@pytest.mark.parametrize("colour", [False, True], ids=["grey", "colour"])
@pytest.mark.parametrize("entry", PUBLIC_ENTRIES)
def test_public_functions_leave_bytes_and_flags_alone(
    entry: str, colour: bool, dtype: type, layout: str, tmp_path: Any
) -> None:
    values_a, values_b = make_pair(colour, "F1", dtype)
    a = laid_out(values_a, layout, tmp_path, "a")
    b = laid_out(values_b, layout, tmp_path, "b")
    before = [snapshot(a), snapshot(b)]
    call_public(entry, a, b, probe_options(dtype))
    assert [snapshot(a), snapshot(b)] == before
