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
    fsimlib.clear_caches()
    yield
    fsimlib.clear_caches()


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
