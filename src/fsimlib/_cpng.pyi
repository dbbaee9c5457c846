"""PNG unfiltering for fsimlib's image reader (``_cpng.c``)."""

import numpy as np
from numpy.typing import NDArray

def unfilter(
    filtered: bytes | bytearray | memoryview | NDArray[np.uint8],
    bytes_per_pixel: int,
    out: NDArray[np.uint8],
    /,
) -> None: ...
