"""A synthetic KADID-shaped run: 81 references x 125 distortions at 512 x 384.

KADID-10k has 81 pristine 512 x 384 colour images, each distorted by 25
distortion types at 5 levels (10125 pairs).  This builds a data set of the
same shape from scikit-image's colour images: each reference is a seeded
crop (random scale, position and flip) of one of them, and each distorted
image one of 25 distortions (blur, noise, compression, colour, geometry,
...) at one of 5 levels, with fixed seeds.  Only the shape of the work is
KADID's: the images and distortions are not.

Timed, per reference: ``fsimlib.fsim_batch(reference, distorted_stack,
chromatic=True, workers=w)`` (FSIMc; preparing the reference as a
:class:`fsimlib.Reference` included) for 1 and 2 workers, alternating which
goes first, on the same stack.  Making the images is not timed.  Reported:
pairs per second for each worker count and their ratio (target: 2 workers
at least 1.6x one).

Run on its own: ``python benchmarks/dataset.py [--quick]`` (``--quick``: 9
references x 25 distortions, one level per type).
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from _common import format_table
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage
from skimage import data
from skimage.filters import gaussian, unsharp_mask
from skimage.filters.rank import median
from skimage.morphology import disk
from skimage.transform import rescale

import fsimlib

N_REFERENCES = 81
N_LEVELS = 5
SHAPE = (384, 512)  # rows x cols: KADID's 512 x 384 (width x height)
SOURCES = (
    "astronaut",
    "chelsea",
    "coffee",
    "rocket",
    "immunohistochemistry",
    "hubble_deep_field",
    "retina",
)

Image8 = NDArray[np.uint8]


def _u8(values: NDArray[Any]) -> Image8:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def make_references(count: int, *, seed: int = 81) -> list[Image8]:
    """``count`` seeded 384 x 512 RGB crops of scikit-image's colour images."""
    rng = np.random.default_rng(seed)
    sources: dict[str, Image8] = {}
    references = []
    for index in range(count):
        name = SOURCES[index % len(SOURCES)]
        if name not in sources:
            sources[name] = getattr(data, name)()
        source = sources[name]
        fit = max(SHAPE[0] / source.shape[0], SHAPE[1] / source.shape[1])
        scale = fit * rng.uniform(1.0, 1.6)
        scaled = rescale(source, scale, channel_axis=-1, anti_aliasing=scale < 1)
        top = rng.integers(0, scaled.shape[0] - SHAPE[0] + 1)
        left = rng.integers(0, scaled.shape[1] - SHAPE[1] + 1)
        crop = scaled[top : top + SHAPE[0], left : left + SHAPE[1]] * 255.0
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        references.append(_u8(crop))
    return references


def _jpeg(image: NDArray[Any], quality: int, subsampling: int) -> Image8:
    buffer = io.BytesIO()
    Image.fromarray(_u8(image)).save(
        buffer, format="JPEG", quality=quality, subsampling=subsampling
    )
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return np.asarray(decoded.convert("RGB"))


def _grey(x: NDArray[Any]) -> NDArray[Any]:
    return (x @ np.array([0.299, 0.587, 0.114]))[..., None]


def _patches(
    x: NDArray[Any], level: int, rng: np.random.Generator, *, solid: bool
) -> NDArray[Any]:
    out = x.copy()
    size = 16
    for _ in range(4 * (level + 1)):
        top = rng.integers(0, x.shape[0] - size)
        left = rng.integers(0, x.shape[1] - size)
        if solid:
            out[top : top + size, left : left + size] = rng.integers(0, 256, 3)
        else:
            dy, dx = rng.integers(-8, 9, 2)
            src_top = int(np.clip(top + dy, 0, x.shape[0] - size))
            src_left = int(np.clip(left + dx, 0, x.shape[1] - size))
            out[top : top + size, left : left + size] = x[
                src_top : src_top + size, src_left : src_left + size
            ]
    return out


Distortion = Callable[[NDArray[Any], int, np.random.Generator], NDArray[Any]]

#: 25 distortion types, each taking (float64 image in 0..255, level 0..4, rng)
#: and returning a float image (clipped and rounded to uint8 afterwards).
DISTORTIONS: dict[str, Distortion] = {
    "gaussian blur": lambda x, k, _: gaussian(
        x, sigma=0.5 + k, channel_axis=-1, preserve_range=True
    ),
    "box blur": lambda x, k, _: ndimage.uniform_filter(
        x, size=(2 * k + 2, 2 * k + 2, 1)
    ),
    "motion blur": lambda x, k, _: ndimage.uniform_filter1d(x, size=3 + 3 * k, axis=1),
    "white noise": lambda x, k, r: x + r.normal(0, 3 + 5 * k, x.shape),
    "luminance noise": lambda x, k, r: x + r.normal(0, 3 + 5 * k, (*x.shape[:2], 1)),
    "impulse noise": lambda x, k, r: np.where(
        r.random(x.shape[:2])[..., None] < 0.01 * (k + 1),
        r.integers(0, 2, (*x.shape[:2], 1)) * 255,
        x,
    ),
    "multiplicative noise": lambda x, k, r: (
        x * (1 + r.normal(0, 0.04 * (k + 1), x.shape))
    ),
    "jpeg": lambda x, k, _: _jpeg(x, (60, 40, 25, 12, 5)[k], 0),
    "jpeg 4:2:0": lambda x, k, _: _jpeg(x, (60, 40, 25, 12, 5)[k], 2),
    "colour quantisation": lambda x, k, _: np.asarray(
        Image.fromarray(_u8(x)).quantize((64, 32, 16, 8, 4)[k]).convert("RGB")
    ),
    "quantisation": lambda x, k, _: np.floor(x / (8 * (k + 1))) * (8 * (k + 1)),
    "desaturation": lambda x, k, _: x + (_grey(x) - x) * 0.2 * (k + 1),
    "oversaturation": lambda x, k, _: x + (x - _grey(x)) * 0.3 * (k + 1),
    "brighten": lambda x, k, _: 255 * (x / 255) ** (1 - 0.12 * (k + 1)),
    "darken": lambda x, k, _: 255 * (x / 255) ** (1 + 0.3 * (k + 1)),
    "mean shift": lambda x, k, _: x + (-30, -15, 10, 20, 35)[k],
    "contrast": lambda x, k, _: (
        (x - x.mean()) * (0.4, 0.6, 0.8, 1.2, 1.4)[k] + x.mean()
    ),
    "colour shift": lambda x, k, _: np.stack(
        [
            np.roll(x[..., 0], k + 1, axis=1),
            x[..., 1],
            np.roll(x[..., 2], -k - 1, axis=0),
        ],
        axis=-1,
    ),
    "pixelate": lambda x, k, _: np.repeat(
        np.repeat(x[:: k + 2, :: k + 2], k + 2, axis=0), k + 2, axis=1
    )[: x.shape[0], : x.shape[1]],
    "jitter": lambda x, k, r: np.stack(
        [
            np.roll(row, int(s), axis=0)
            for row, s in zip(x, r.integers(-k - 1, k + 2, x.shape[0]), strict=True)
        ]
    ),
    "sharpen": lambda x, k, _: unsharp_mask(
        x, radius=1 + k, amount=0.5 + 0.5 * k, channel_axis=-1, preserve_range=True
    ),
    "colour block": lambda x, k, r: _patches(x, k, r, solid=True),
    "patch displacement": lambda x, k, r: _patches(x, k, r, solid=False),
    "median denoise": lambda x, k, _: np.stack(
        [median(_u8(x[..., c]), footprint=disk(k + 1)) for c in range(3)], axis=-1
    ),
    "channel swap mix": lambda x, k, _: x + (x[..., ::-1] - x) * 0.1 * (k + 1),
}


def distorted_stack(
    reference: Image8, levels: tuple[int, ...], *, seed: int
) -> NDArray[np.uint8]:
    """Every distortion of ``reference`` at each of ``levels``, as one stack."""
    rng = np.random.default_rng(seed)
    image = reference.astype(np.float64)
    images = [
        _u8(distort(image, level, rng))
        for distort in DISTORTIONS.values()
        for level in levels
    ]
    return np.stack(images)


def time_one_and_two_workers(
    reference: NDArray[Any], stack: NDArray[Any], index: int, seconds: dict[int, float]
) -> NDArray[np.float64]:
    """FSIMc of ``stack`` against ``reference`` with 1 and 2 workers, timed.

    Adds each worker count's seconds to ``seconds``; the order alternates
    with ``index`` (the reference's number).  Returns the scores, which
    must not depend on the worker count.
    """
    order = (1, 2) if index % 2 == 0 else (2, 1)
    scores = {}
    for workers in order:
        start = time.perf_counter()
        scores[workers] = fsimlib.fsim_batch(
            reference, stack, chromatic=True, workers=workers
        )
        seconds[workers] += time.perf_counter() - start
    if not np.array_equal(scores[1], scores[2]):
        msg = "fsim_batch scores depend on workers: the comparison is void"
        raise RuntimeError(msg)
    return scores[1]


def run(*, quick: bool = False) -> dict[str, Any]:
    n_references = 9 if quick else N_REFERENCES
    levels = (2,) if quick else tuple(range(N_LEVELS))
    references = make_references(n_references)
    seconds = {1: 0.0, 2: 0.0}
    pairs = 0
    for index, reference in enumerate(references):
        stack = distorted_stack(reference, levels, seed=1000 + index)
        time_one_and_two_workers(reference, stack, index, seconds)
        pairs += len(stack)
    return {
        "references": n_references,
        "distortions_per_reference": len(DISTORTIONS) * len(levels),
        "pairs": pairs,
        "shape": f"{SHAPE[1]}x{SHAPE[0]} (width x height)",
        "metric": "FSIMc",
        "seconds": {str(k): v for k, v in seconds.items()},
        "pairs_per_second": {str(k): pairs / v for k, v in seconds.items()},
        "speedup_2_over_1": seconds[1] / seconds[2],
        "quick": quick,
    }


def report(result: dict[str, Any]) -> str:
    body = [
        [
            workers,
            result["pairs"],
            f"{result['seconds'][workers]:.1f}",
            f"{result['pairs_per_second'][workers]:.1f}",
        ]
        for workers in ("1", "2")
    ]
    title = (
        f"KADID-shaped run: {result['references']} references x "
        f"{result['distortions_per_reference']} distorted at {result['shape']}, "
        f"{result['metric']}; 2 workers / 1 = {result['speedup_2_over_1']:.2f}"
    )
    return title + "\n" + format_table(body, ["workers", "pairs", "seconds", "pairs/s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="9 x 25 pairs")
    args = parser.parse_args()
    print(report(run(quick=args.quick)))


if __name__ == "__main__":
    main()
