"""Helpers shared by the benchmark scripts: images, timing, peers, tables.

Timing follows one rule throughout: contenders that are compared with each
other are timed in the same process, interleaved call by call (A, B, A, B,
...), and summarised by the median of several rounds.  The machine is
shared, and load that comes and goes then falls on every contender alike.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import subprocess
import sys
import time
import types
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from skimage import data
from skimage.color import rgb2gray
from skimage.transform import resize

import fsimlib

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
PLOT_PATH = REPO_DIR / "docs" / "_static" / "benchmark.png"
CORPUS_DIR = REPO_DIR / "tests" / "data"

#: The processing-size FFT work of one image: 1 forward + n_orientations
#: batched inverse transforms of n_scales planes (the defaults: 4 and 4).
N_SCALES = 4
N_ORIENTATIONS = 4


# --------------------------------------------------------------------- images
def make_pair(
    shape: tuple[int, int], *, colour: bool, seed: int = 0
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """A reference and a distorted uint8 image of ``shape`` (rows, cols).

    The reference is scikit-image's astronaut resized to the shape; the
    distorted image adds seeded Gaussian noise (sigma 10 grey levels) to a
    slightly blurred copy, a typical mid-quality pair.
    """
    source = data.astronaut()
    big = resize(source, (*shape, 3), order=1, anti_aliasing=True) * 255.0
    rng = np.random.default_rng(seed)
    if not colour:
        big = rgb2gray(big / 255.0) * 255.0
    ref = np.clip(np.rint(big), 0, 255).astype(np.uint8)
    noisy = big + rng.normal(0.0, 10.0, big.shape)
    dist = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
    return ref, dist


def processing_shape(shape: tuple[int, int]) -> tuple[int, int]:
    """Shape at which FSIM works: ``ceil(H / F) x ceil(W / F)``."""
    factor = fsimlib.automatic_factor(shape)
    return (math.ceil(shape[0] / factor), math.ceil(shape[1] / factor))


def shape_label(shape: tuple[int, int]) -> str:
    return f"{shape[0]}x{shape[1]}"


# --------------------------------------------------------------------- timing
def time_once(call: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    value = call()
    return time.perf_counter() - start, value


#: Untimed pause before each contender's turn (see :func:`interleaved`).
SETTLE_SECONDS = 0.05
#: Timed calls per turn, after one untimed call (see :func:`interleaved`).
BURST_CALLS = 3


def interleaved(
    contenders: Mapping[str, Callable[[], object]],
    *,
    rounds: int,
    warmup: int = 1,
    limited: Mapping[str, int] | None = None,
    settle: float = SETTLE_SECONDS,
    burst: int = BURST_CALLS,
) -> tuple[dict[str, list[float]], dict[str, object]]:
    """Time each contender in turn, alternating them within a round.

    A contender's turn is an untimed call followed at once by ``burst``
    timed ones, each timed on its own: what is timed is a call in a steady
    loop, as over a data set.  Before each turn the process sleeps
    ``settle`` seconds, untimed, so that threads the previous contender
    left spinning (torch's OpenMP pool keeps busy-waiting for a while after
    each parallel region) are idle again.  On this virtual machine a CPU
    left idle for that long is slow to wake: a call timed straight after
    the pause paid for waking the second CPU (fsimlib's ``workers=2`` call:
    13 ms back to back, 20 ms after a 50 ms pause, 16.5 ms as the second
    call after it; the 2-thread FFT floor: 6.3, 9.7 and 7.4 ms).

    ``limited`` caps the rounds of slow contenders (name -> rounds); they
    are not warmed up and are called once per turn (they take seconds, and
    waking a CPU does not show).  The order of the contenders is reversed
    every other round so that none is always first after a slow one.
    Returns every timed call's time and the last value each returned.
    """
    limited = dict(limited or {})
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            if name not in limited:  # slow peers are not warmed up
                contenders[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    values: dict[str, object] = {}
    for round_index in range(rounds):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            if round_index >= limited.get(name, rounds):
                continue
            time.sleep(settle)
            timed = 1
            if name not in limited:
                contenders[name]()
                timed = burst
            for _ in range(timed):
                elapsed, values[name] = time_once(contenders[name])
                times[name].append(elapsed)
    return times, values


def median(values: Sequence[float]) -> float:
    return float(np.median(values)) if len(values) else math.nan


# ---------------------------------------------------------------------- peers
def load_piq_fsim() -> tuple[Callable[..., Any] | None, str]:
    """piq's ``fsim``, or None and the reason it is not available.

    piq's package ``__init__`` imports torchvision (for LPIPS, FID and the
    like); the only torchvision wheels on PyPI are CUDA builds that fail to
    load against the CPU torch.  ``piq.fsim`` itself needs only torch, so
    the package is registered without running its ``__init__`` and the
    module is imported from it.
    """
    if importlib.util.find_spec("torch") is None:
        return None, "torch is not installed"
    spec = importlib.util.find_spec("piq")
    if spec is None or spec.submodule_search_locations is None:
        return None, "piq is not installed"
    if "piq" not in sys.modules:
        package = types.ModuleType("piq")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["piq"] = package
    from piq.fsim import fsim

    return fsim, f"piq {importlib.metadata.version('piq')}"


def load_ism_fsim() -> tuple[Callable[..., Any] | None, str]:
    """image-similarity-measures' phasepack-based ``fsim``, or None and why."""
    try:
        from image_similarity_measures.quality_metrics import fsim
    except ImportError as error:
        return None, f"image-similarity-measures unavailable: {error}"
    version = importlib.metadata.version("image-similarity-measures")
    return fsim, f"image-similarity-measures {version}"


def to_torch(image: NDArray[np.uint8], dtype: Any) -> Any:
    """uint8 H x W (x 3) array to a 1 x C x H x W tensor in [0, 1]."""
    import torch

    tensor = torch.from_numpy(np.ascontiguousarray(image))
    tensor = tensor[None, None] if image.ndim == 2 else tensor.permute(2, 0, 1)[None]
    return (tensor.to(dtype) / 255.0).contiguous()


# -------------------------------------------------------------------- machine
def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    for line in text.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def git_commit() -> str | None:
    """The checkout's commit (with ``+dirty`` for uncommitted changes), if any."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def machine_info() -> dict[str, Any]:
    try:
        total_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory_gib = round(total_kb / 2**20, 1)
    except (OSError, StopIteration):
        memory_gib = None
    from fsimlib.backends._fft import get_engine

    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "memory_gib": memory_gib,
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "fsimlib": fsimlib.__version__,
        "commit": git_commit(),
        "fft_engine": get_engine().name,
        "numpy": np.__version__,
        "scipy": _version("scipy"),
        "scikit-image": _version("scikit-image"),
        "pyfftw": _version("pyFFTW"),
        "torch": _version("torch"),
        "piq": _version("piq"),
        "image-similarity-measures": _version("image-similarity-measures"),
        "phasepack": _version("phasepack"),
        "opencv": _version("opencv-python-headless"),
        "openblas_env": {
            key: os.environ[key]
            for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
            if key in os.environ
        },
    }


# ---------------------------------------------------------------- formatting
def format_table(rows: Sequence[Sequence[object]], header: Sequence[str]) -> str:
    """A plain-text table with columns padded to their widest cell."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    value = seconds * 1e3
    return f"{value:.0f}" if value >= 100 else f"{value:.3g}"


def write_json(path: Path, payload: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1, default=_json_default) + "\n")


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    msg = f"cannot write {type(value).__name__} to JSON"
    raise TypeError(msg)
