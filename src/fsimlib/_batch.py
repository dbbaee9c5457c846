"""FSIM over stacks of image pairs, on several threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._metric import fsim
from ._options import FSIMKeywords, document_options, options_from_keywords
from ._pil import convert_pillow_stack
from ._reference import Reference
from ._validation import as_real_array, check_flag, image_layout
from .backends._fft import resolve_workers
from .backends._seam import carry_context

if TYPE_CHECKING:
    from typing_extensions import Unpack


@document_options(workers="They score that many pairs at once, one thread per pair.")
def fsim_batch(
    images1: ArrayLike,
    images2: ArrayLike,
    /,
    *,
    chromatic: bool = False,
    workers: int | None = None,
    **options: Unpack[FSIMKeywords],
) -> NDArray[np.float64]:
    """FSIM (or FSIMc) of every pair in two stacks of images.

    Parameters
    ----------
    images1 : array_like
        A stack of ``N`` images (``N x H x W`` greyscale or ``N x H x W x 3``
        colour), or a single image to compare with every image of
        ``images2``; a single image is prepared once, as with
        :class:`Reference`.
    images2 : array_like
        A stack of ``N`` images.  A list of Pillow images is a stack too.
    chromatic : bool, optional
        Return FSIMc instead of FSIM.
    {options}

    Returns
    -------
    ndarray of float64, shape (N,)
        The scores, in the order of the pairs.

    Raises
    ------
    ValueError, TypeError
        As :func:`fsim`, and if the stacks differ in length or are not
        one dimension above an image.

    Notes
    -----
    ``channel_axis`` counts the axes of one image, not of the stack:
    ``channel_axis=0`` for ``N x C x H x W`` stacks.

    Examples
    --------
    >>> import numpy as np
    >>> import fsimlib
    >>> rng = np.random.default_rng(0)
    >>> clean = rng.integers(0, 256, (3, 48, 48), dtype=np.uint8)
    >>> noise = rng.integers(-20, 21, clean.shape)
    >>> noisy = np.clip(clean + noise, 0, 255).astype(np.uint8)
    >>> scores = fsimlib.fsim_batch(clean, noisy, workers=2)
    >>> scores.shape
    (3,)
    >>> bool(scores[0] == fsimlib.fsim(clean[0], noisy[0]))
    True
    """
    fsim_options = options_from_keywords("fsim_batch", options)
    chromatic = check_flag(chromatic, "chromatic")
    channel_axis = fsim_options.channel_axis
    stack1 = as_real_array(convert_pillow_stack(images1, "images1"), "images1")
    stack2 = as_real_array(convert_pillow_stack(images2, "images2"), "images2")
    threads = resolve_workers(workers)
    if stack2.ndim not in (3, 4):
        msg = (
            "images2 must be a stack of images (N x H x W or N x H x W x 3), "
            f"got {stack2.ndim}-D array of shape {stack2.shape}"
        )
        raise ValueError(msg)
    check_stack_layout(stack2, "images2", channel_axis)
    if stack1.ndim == stack2.ndim:
        check_stack_layout(stack1, "images1", channel_axis)
    keywords = fsim_options.keywords()
    if stack1.ndim == stack2.ndim - 1:
        reference = Reference(stack1, **keywords)

        def score(index: int) -> float:
            return reference.fsim(stack2[index], chromatic=chromatic)

    elif stack1.ndim == stack2.ndim:
        if stack1.shape[0] != stack2.shape[0]:
            msg = (
                "images1 and images2 must hold the same number of images, got "
                f"{stack1.shape[0]} and {stack2.shape[0]}"
            )
            raise ValueError(msg)

        def score(index: int) -> float:
            return fsim(stack1[index], stack2[index], chromatic=chromatic, **keywords)

    else:
        msg = (
            "images1 must be a stack like images2 or a single image, got shapes "
            f"{stack1.shape} and {stack2.shape}"
        )
        raise ValueError(msg)
    count = stack2.shape[0]
    if threads == 1 or count < 2:
        return np.array([score(i) for i in range(count)], dtype=np.float64)
    # Each pair runs in a copy of this thread's context, so that the FFT
    # engine and loops chosen here apply on every thread.
    in_context = carry_context(score)
    with ThreadPoolExecutor(max_workers=min(threads, count)) as pool:
        scores = pool.map(in_context, range(count))
        return np.fromiter(scores, dtype=np.float64, count=count)


def check_stack_layout(
    stack: NDArray[np.number], name: str, channel_axis: int | None
) -> None:
    """Raise if the images of ``stack`` do not have a layout FSIM scores.

    Checked once for the stack, so that a channels-first stack
    (``N x C x H x W``) is told which ``channel_axis`` to pass, counted
    along the axes of one image as :func:`fsim_batch` counts it.
    """
    image_layout(stack[0], name, channel_axis, stack_shape=stack.shape)
