"""The local similarity map as a picture: a heat map with a colour bar.

Rendering uses matplotlib (the optional ``plot`` extra), without pyplot's
global state, so it is safe to call from threads.
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import NDArray

#: Width in pixels of the colour-bar panel to the right of the map.
LEGEND_WIDTH = 96
#: Smallest height in pixels of the picture, so the colour bar stays legible.
MIN_HEIGHT = 96
#: Colour map: perceptually uniform, dark where the images differ.
COLORMAP = "viridis"
# A power of two, so that pixel sizes divided by it are exact in binary and
# matplotlib's canvas is exactly as many pixels as asked for.
_DPI = 128


def upsample_map(
    values: NDArray[np.float64], factor: int, shape: tuple[int, int]
) -> NDArray[np.float64]:
    """Bring a map at the processing size back to the input's size.

    Each processed pixel is repeated over the ``factor x factor`` block of
    input pixels it stands for (block replication, no interpolation), and
    the result cropped to ``shape``.
    """
    blocks = np.repeat(np.repeat(values, factor, axis=0), factor, axis=1)
    return blocks[: shape[0], : shape[1]]


def map_colours(values: NDArray[np.float64]) -> NDArray[np.uint8]:
    """RGBA colours (uint8) of similarity values on the fixed scale [0, 1]."""
    from matplotlib import colormaps

    clipped = np.clip(values, 0.0, 1.0)
    return np.asarray(colormaps[COLORMAP](clipped, bytes=True), dtype=np.uint8)


def canvas_shape(shape: tuple[int, int]) -> tuple[int, int]:
    """``(rows, cols)`` of the picture of a map of ``shape``."""
    return max(shape[0], MIN_HEIGHT), shape[1] + LEGEND_WIDTH


def save_similarity_map(
    values: NDArray[np.float64],
    path: str | os.PathLike[str],
    *,
    label: str = "local similarity",
    metadata: dict[str, str] | None = None,
) -> None:
    """Write a similarity map as a PNG heat map with a colour bar.

    The map is drawn pixel for pixel (top-left, one picture pixel per map
    pixel) on the fixed scale [0, 1] so that pictures can be compared;
    the colour bar takes a :data:`LEGEND_WIDTH`-pixel panel on the right,
    and short maps are padded below to :data:`MIN_HEIGHT` rows.

    Parameters
    ----------
    values : ndarray, shape (rows, cols)
        Similarity values (1 = identical).
    path : str or os.PathLike
        The PNG file to write.
    label : str, optional
        The colour bar's label.
    metadata : dict of str, optional
        PNG text chunks (``Software``, ``Description``) to write.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize
        from matplotlib.figure import Figure
    except ImportError as error:
        msg = (
            "writing the similarity map needs matplotlib; install it with "
            "pip install 'fsimlib[plot]'"
        )
        raise ImportError(msg) from error
    rows, cols = values.shape
    height, width = canvas_shape((rows, cols))
    figure = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI)
    FigureCanvasAgg(figure)
    # figimage places the pixels as they are: no resampling, no smoothing.
    figure.figimage(map_colours(values), xo=0, yo=height - rows, origin="upper")
    margin = 10
    bar = figure.add_axes(
        (
            (cols + 10) / width,
            margin / height,
            14 / width,
            (height - 2 * margin) / height,
        )
    )
    colour_bar = figure.colorbar(
        ScalarMappable(norm=Normalize(0.0, 1.0), cmap=COLORMAP), cax=bar
    )
    colour_bar.set_ticks([0.0, 0.5, 1.0])
    colour_bar.ax.tick_params(labelsize=6, length=3)
    colour_bar.set_label(label, fontsize=6, labelpad=2)
    figure.savefig(os.fspath(path), dpi=_DPI, format="png", metadata=metadata)
