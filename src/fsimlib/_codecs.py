"""Which of imagecodecs' codecs this installation has.

imagecodecs is a dependency, but each codec is optional in its builds
(``imagecodecs.<NAME>.available``); the image readers that use one ask
here, and read the file another way when it is missing.
"""

from __future__ import annotations

from typing import Any

__all__ = ["imagecodecs_with"]


def imagecodecs_with(codec: str) -> Any | None:  # noqa: ANN401 - no stubs
    """Return the imagecodecs module if it has ``codec`` (e.g. "DEFLATE"), else None.

    Examples
    --------
    >>> from fsimlib._codecs import imagecodecs_with
    >>> imagecodecs_with("DEFLATE").__name__
    'imagecodecs'
    >>> imagecodecs_with("NO_SUCH_CODEC") is None
    True
    """
    try:
        import imagecodecs
    except ImportError:
        return None
    if not getattr(getattr(imagecodecs, codec, None), "available", False):
        return None
    return imagecodecs
