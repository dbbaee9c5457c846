"""A small browser demo: drop two images and see whether FSIM finds them similar.

The demo is a thin Gradio layer over the public API: every score and map it
shows comes from :func:`fsimlib.compare`.  Gradio, matplotlib and Pillow are
optional dependencies, imported only when the app is built::

    pip install "fsimlib[demo]"
    fsimlib demo --port 7860

``import fsimlib`` (and ``import fsimlib.demo``) never imports Gradio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._examples import ExamplePair, example_pairs
from ._metric import FSIMResult, compare

if TYPE_CHECKING:
    import gradio as gr
    from PIL import Image

__all__ = ["ExamplePair", "build_app", "example_pairs", "launch"]

#: Longest side, in pixels, of any image the demo sends back for display.
MAX_DISPLAY_SIDE = 512
#: Largest upload the demo accepts, in bytes (50 MiB); larger ones are
#: refused by the server before they are stored.  ``launch(max_upload=...)``
#: changes it.
MAX_UPLOAD_BYTES = 50 * 1024**2
#: How uploads are removed from the server's temporary folder: every
#: 5 minutes, the files older than 10 minutes (and all of them when the
#: server stops), as ``(every_seconds, older_than_seconds)``.
UPLOAD_CLEANUP = (300, 600)

#: Height, in CSS pixels, of the image boxes on the page.
IMAGE_HEIGHT = 320

#: The gradient operators offered on the page (the first is the default).
GRADIENT_CHOICES = ("scharr", "sobel", "prewitt")

INSTALL_HINT = 'pip install "fsimlib[demo]"'

#: The colour map of the local-similarity heat map (0: dark, 1: bright).
HEAT_MAP_COLOURS = "viridis"

# Pillow modes passed through as they are: 8-bit grey, 8-bit RGB and 16-bit
# grey (fsimlib infers data_range from the dtype).  Grey modes with a 1-bit
# depth or an alpha channel become 8-bit grey; every other mode (palette,
# RGBA, CMYK, ...) becomes RGB, which drops any transparency.
_KEPT_MODES = frozenset({"L", "RGB", "I;16"})
_GREY_MODES = frozenset({"1", "LA", "La"})


class _DefaultThreshold(NamedTuple):
    """The default verdict threshold and the two example scores behind it."""

    value: float
    worst_near_lossless: float
    best_distorted: float


def _default_threshold(pairs: tuple[ExamplePair, ...]) -> _DefaultThreshold:
    """Choose the verdict threshold that separates the examples' two groups.

    The rule: the midpoint between the lowest FSIM of the near-lossless
    pairs and the highest FSIM of the visibly distorted ones, rounded to
    three decimals (the slider's step).
    """
    near = [_fsim_of(pair) for pair in pairs if pair.near_lossless]
    distorted = [_fsim_of(pair) for pair in pairs if not pair.near_lossless]
    if not near or not distorted:
        msg = (
            "_default_threshold needs near-lossless and visibly distorted pairs, "
            f"got {len(near)} and {len(distorted)}"
        )
        raise ValueError(msg)
    worst, best = min(near), max(distorted)
    return _DefaultThreshold(round((worst + best) / 2, 3), worst, best)


def _fsim_of(pair: ExamplePair) -> float:
    """FSIM of an example pair with the default options."""
    return compare(pair.reference, pair.distorted).fsim


def _as_array(image: Image.Image) -> NDArray[Any]:
    """Convert an uploaded Pillow image to an array fsimlib accepts."""
    if image.mode in _KEPT_MODES:
        return np.asarray(image)
    if image.mode in _GREY_MODES:
        return np.asarray(image.convert("L"))
    return np.asarray(image.convert("RGB"))


def _match_channels(
    image1: NDArray[Any], image2: NDArray[Any]
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Treat a greyscale image as colour (R = G = B) when the other is RGB."""
    from skimage.color import gray2rgb

    if image1.ndim == 2 and image2.ndim == 3:
        return gray2rgb(image1), image2
    if image1.ndim == 3 and image2.ndim == 2:
        return image1, gray2rgb(image2)
    return image1, image2


def _size_text(array: NDArray[Any]) -> str:
    rows, cols = array.shape[:2]
    return f"{cols} x {rows}"


def _heat_map(similarity_map: NDArray[np.float64]) -> NDArray[np.uint8]:
    """Colour a local-similarity map for display, at most MAX_DISPLAY_SIDE wide.

    Values are coloured on a fixed 0..1 scale with matplotlib's viridis map
    (dark: dissimilar, bright yellow: similar).  Maps larger than
    :data:`MAX_DISPLAY_SIDE` are downsampled with anti-aliasing first; this
    is for display only and never touches the scores.
    """
    from matplotlib import colormaps
    from skimage.transform import resize

    rows, cols = similarity_map.shape
    longest = max(rows, cols)
    shown = similarity_map
    if longest > MAX_DISPLAY_SIDE:
        scale = MAX_DISPLAY_SIDE / longest
        shape = (max(1, round(rows * scale)), max(1, round(cols * scale)))
        shown = resize(similarity_map, shape, anti_aliasing=True)
    rgba = colormaps[HEAT_MAP_COLOURS](np.clip(shown, 0.0, 1.0), bytes=True)
    return np.ascontiguousarray(rgba[..., :3], dtype=np.uint8)


def _verdict(
    scores: tuple[float, float] | None, *, chromatic: bool, threshold: float
) -> str:
    """Word the Markdown verdict for a pair's ``(fsim, fsimc)`` scores."""
    if scores is None:
        return "Pick an example pair or upload two images, then press **Compare**."
    name = "FSIMc" if chromatic else "FSIM"
    score = scores[1] if chromatic else scores[0]
    if score >= threshold:
        return f"**Similar**: {name} = {score:.4f} >= threshold {threshold:.3f}."
    return f"**Not similar**: {name} = {score:.4f} < threshold {threshold:.3f}."


class _PageUpdate(NamedTuple):
    """What one comparison puts on the page."""

    fsim: str
    fsimc: str
    verdict: str
    details: str
    heat_map: NDArray[np.uint8] | None
    scores: tuple[float, float] | None


def _message(text: str) -> _PageUpdate:
    return _PageUpdate("", "", text, "", None, None)


def _compare_on_page(
    image1: Image.Image | None,
    image2: Image.Image | None,
    *,
    chromatic: bool,
    gradient: str,
    threshold: float,
) -> _PageUpdate:
    """Score two uploaded images for the page; problems become messages."""
    if image1 is None or image2 is None:
        return _message(_verdict(None, chromatic=chromatic, threshold=threshold))
    array1, array2 = _match_channels(_as_array(image1), _as_array(image2))
    if array1.shape[:2] != array2.shape[:2]:
        return _message(
            "**Cannot compare: the images have different sizes**, "
            f"{_size_text(array1)} and {_size_text(array2)} pixels (width x "
            "height). FSIM compares the two images point by point, so they "
            "must be the same size: crop or resize one of them and try again."
        )
    try:
        result: FSIMResult = compare(array1, array2, gradient=gradient)
    except (TypeError, ValueError) as error:
        return _message(f"**Cannot compare these images**: {error}")
    scores = (result.fsim, result.fsimc)
    shown_map = result.chromatic_similarity_map if chromatic else result.similarity_map
    rows, cols = shown_map.shape
    factor = result.downsample_factor
    shrunk = max(rows, cols) > MAX_DISPLAY_SIDE
    details = (
        f"Scored on the full {_size_text(array1)} images (FSIM itself "
        f"downsamples them by {factor}, as the reference does). The map is "
        f"{cols} x {rows}"
        + (f", shown at most {MAX_DISPLAY_SIDE} pixels a side." if shrunk else ".")
    )
    return _PageUpdate(
        f"{result.fsim:.4f}",
        f"{result.fsimc:.4f}",
        _verdict(scores, chromatic=chromatic, threshold=threshold),
        details,
        _heat_map(shown_map),
        scores,
    )


def _require(module: str) -> None:
    """Import an optional dependency, or say how to install it."""
    import importlib

    try:
        importlib.import_module(module)
    except ImportError as error:
        msg = f"the fsimlib demo needs {module}, which is not installed: {INSTALL_HINT}"
        raise ImportError(msg) from error


INTRODUCTION = """\
# FSIM: are these two images similar?

Upload two images of the same size (a reference and a changed copy) or pick
an example pair, then press **Compare**.  FSIM (Zhang et al., 2011) compares
where the images have features (phase congruency) and how strong their edges
are (gradient magnitude), and averages that local similarity over the places
where either image has structure.  FSIMc also compares colour.  Identical
images score 1; the scores here are computed by `fsimlib.compare` on the full
images exactly as the authors' reference implementation does.
"""

THRESHOLD_TEXT = """\
**The threshold.** The verdict is *similar* when the score (FSIMc if
*Compare colour* is ticked, FSIM otherwise) is at least the threshold.
FSIM is not a probability and its values crowd near 1: the plainly visible
distortions among the examples still score between 0.8 and 0.95.
The default, **{value:.3f}**, is the midpoint between the lowest FSIM of
the near-lossless example pairs ({near:.4f}) and the highest FSIM of the
visibly distorted ones ({distorted:.4f}), rounded to the slider's step.
Raise it to be stricter.
"""


def build_app() -> gr.Blocks:
    """Build the demo's Gradio app without starting it.

    The page has two image inputs (upload, or one of :func:`example_pairs`),
    options for the chromatic score and the gradient operator, a threshold
    slider, and as outputs FSIM and FSIMc to four decimals, a verdict and
    the local similarity map as a heat map.  Images of different sizes get a
    message on the page.  Scores always use the full images; only the heat
    map is downsampled, for display, to at most :data:`MAX_DISPLAY_SIDE`
    pixels on its longest side.

    Returns
    -------
    gradio.Blocks
        The app, ready for ``app.launch(...)``; :func:`launch` does that.

    Raises
    ------
    ImportError
        If Gradio or matplotlib is not installed; the message says to
        ``pip install "fsimlib[demo]"``.

    Examples
    --------
    >>> from fsimlib.demo import build_app
    >>> app = build_app()
    >>> type(app).__name__
    'Blocks'
    """
    _require("gradio")
    _require("matplotlib")
    import gradio as gr

    pairs = example_pairs()
    threshold = _default_threshold(pairs)

    def on_compare(
        image1: Image.Image | None,
        image2: Image.Image | None,
        chromatic: bool,
        gradient: str,
        threshold: float,
    ) -> tuple[Any, ...]:
        return tuple(
            _compare_on_page(
                image1,
                image2,
                chromatic=chromatic,
                gradient=gradient,
                threshold=threshold,
            )
        )

    def on_new_image() -> tuple[Any, ...]:
        return tuple(_message("Press **Compare** to score the new pair."))

    def on_threshold(
        scores: tuple[float, float] | None, chromatic: bool, threshold: float
    ) -> str:
        return _verdict(scores, chromatic=chromatic, threshold=threshold)

    app = gr.Blocks(
        title="fsimlib demo: FSIM similarity",
        analytics_enabled=False,
        delete_cache=UPLOAD_CLEANUP,
    )
    with app:
        gr.Markdown(INTRODUCTION)
        with gr.Row():
            image1 = gr.Image(
                label="Reference image",
                type="pil",
                image_mode=None,
                format="png",
                sources=["upload", "clipboard"],
                height=IMAGE_HEIGHT,
                elem_id="image1",
            )
            image2 = gr.Image(
                label="Changed image",
                type="pil",
                image_mode=None,
                format="png",
                sources=["upload", "clipboard"],
                height=IMAGE_HEIGHT,
                elem_id="image2",
            )
        gr.Examples(
            examples=[[pair.reference, pair.distorted] for pair in pairs],
            inputs=[image1, image2],
            example_labels=[pair.label for pair in pairs],
            label="Example pairs (scikit-image pictures, fixed distortions)",
        )
        with gr.Row():
            chromatic = gr.Checkbox(
                value=False,
                label="Compare colour (FSIMc)",
                info="Judge by FSIMc and map its local similarity.",
                elem_id="chromatic",
            )
            gradient = gr.Radio(
                list(GRADIENT_CHOICES),
                value=GRADIENT_CHOICES[0],
                label="Gradient operator",
                info="Scharr is the reference's; FSIM's constant T2 was tuned for it.",
                elem_id="gradient",
            )
            threshold_slider = gr.Slider(
                0.5,
                1.0,
                value=threshold.value,
                step=0.001,
                label="Threshold",
                elem_id="threshold",
            )
        gr.Markdown(
            THRESHOLD_TEXT.format(
                value=threshold.value,
                near=threshold.worst_near_lossless,
                distorted=threshold.best_distorted,
            )
        )
        compare_button = gr.Button("Compare", variant="primary", elem_id="compare")
        with gr.Row():
            with gr.Column():
                with gr.Row():
                    fsim_box = gr.Textbox(
                        label="FSIM", interactive=False, elem_id="fsim"
                    )
                    fsimc_box = gr.Textbox(
                        label="FSIMc", interactive=False, elem_id="fsimc"
                    )
                verdict_text = gr.Markdown(
                    _verdict(None, chromatic=False, threshold=threshold.value),
                    elem_id="verdict",
                )
                details = gr.Markdown(elem_id="details")
            heat_map_image = gr.Image(
                label="Local similarity (dark: dissimilar, yellow: similar)",
                type="numpy",
                format="png",
                interactive=False,
                height=IMAGE_HEIGHT,
                elem_id="heat-map",
            )
        scores = gr.State(None)

        options = [image1, image2, chromatic, gradient, threshold_slider]
        outputs = [fsim_box, fsimc_box, verdict_text, details, heat_map_image, scores]
        # One queue for every event, served in order: a late "new image"
        # event can never wipe out the comparison that followed it.
        compare_button.click(
            on_compare,
            inputs=options,
            outputs=outputs,
            api_name="compare",
            concurrency_id="page",
        )
        for option in (chromatic, gradient):
            option.change(
                on_compare,
                inputs=options,
                outputs=outputs,
                api_visibility="private",
                concurrency_id="page",
            )
        for image in (image1, image2):
            image.change(
                on_new_image,
                outputs=outputs,
                api_visibility="private",
                concurrency_id="page",
            )
        threshold_slider.change(
            on_threshold,
            inputs=[scores, chromatic, threshold_slider],
            outputs=verdict_text,
            api_visibility="private",
            concurrency_id="page",
        )
    return app


def launch(
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    open_browser: bool = False,
    max_upload: int = MAX_UPLOAD_BYTES,
) -> None:
    """Serve the demo on ``host:port``, print its address, and block.

    Parameters
    ----------
    host : str, optional
        Interface to listen on; the default serves this machine only.  Use
        ``"0.0.0.0"`` to serve the local network.
    port : int, optional
        TCP port, 1 to 65535.
    open_browser : bool, optional
        Also open the page in the default web browser.
    max_upload : int, optional
        Largest upload accepted, in bytes (default
        :data:`MAX_UPLOAD_BYTES`, 50 MiB).  Uploads are deleted from the
        server's temporary folder after :data:`UPLOAD_CLEANUP`.

    Raises
    ------
    ImportError
        If the demo's dependencies are missing; the message says to
        ``pip install "fsimlib[demo]"``.
    TypeError, ValueError
        For a host that is not a non-empty string, a port outside
        1..65535 or a ``max_upload`` that is not a positive int.
    OSError
        If the port is already in use.

    Examples
    --------
    From a shell, ``fsimlib demo --port 7860``; from Python:

    >>> from fsimlib.demo import launch
    >>> launch(port=7860)  # doctest: +SKIP
    fsimlib demo running at http://127.0.0.1:7860 (press Ctrl+C to stop)
    """
    if not isinstance(host, str) or not host:
        msg = f"host must be a non-empty string, got {host!r}"
        raise TypeError(msg)
    if isinstance(port, bool) or not isinstance(port, int):
        msg = f"port must be an int, got {type(port).__name__}"
        raise TypeError(msg)
    if not 1 <= port <= 65535:
        msg = f"port must be between 1 and 65535, got {port}"
        raise ValueError(msg)
    if isinstance(max_upload, bool) or not isinstance(max_upload, int):
        msg = f"max_upload must be an int (bytes), got {type(max_upload).__name__}"
        raise TypeError(msg)
    if max_upload < 1:
        msg = f"max_upload must be a positive number of bytes, got {max_upload}"
        raise ValueError(msg)
    app = build_app()
    _, local_url, _ = app.launch(
        max_file_size=max_upload,
        server_name=host,
        server_port=port,
        inbrowser=bool(open_browser),
        prevent_thread_lock=True,
        quiet=True,
        share=False,
        ssr_mode=False,
        footer_links=[],
    )
    print(f"fsimlib demo running at {local_url} (press Ctrl+C to stop)", flush=True)
    app.block_thread()
