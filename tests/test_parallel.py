"""fsim with two or more workers: both images at once, the same numbers."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import fsimlib
from fsimlib._parallel import map_pair


@pytest.mark.parametrize("workers", [2, 3, -1])
@pytest.mark.parametrize(
    "shape", [(64, 64), (300, 257), (512, 384, 3), (40, 90, 3)], ids=str
)
@pytest.mark.parametrize("chromatic", [False, True])
def test_workers_give_exactly_the_serial_scores(
    workers: int, shape: tuple[int, ...], chromatic: bool
) -> None:
    rng = np.random.default_rng(sum(shape))
    first = rng.integers(0, 256, shape, dtype=np.uint8)
    second = np.clip(first + rng.normal(0, 12, shape), 0, 255).astype(np.uint8)
    serial = fsimlib.compare(first, second, workers=1)
    both = fsimlib.compare(first, second, workers=workers)
    assert both.fsim == serial.fsim
    assert both.fsimc == serial.fsimc
    np.testing.assert_array_equal(both.phase_congruency2, serial.phase_congruency2)
    assert fsimlib.fsim(first, second, chromatic=chromatic, workers=workers) == (
        serial.fsimc if chromatic else serial.fsim
    )


def test_the_second_image_runs_on_another_thread() -> None:
    seen: list[str] = []

    def gradient(image: np.ndarray) -> np.ndarray:
        seen.append(threading.current_thread().name)
        return np.abs(np.gradient(image)[0])

    rng = np.random.default_rng(1)
    first, second = rng.random((2, 48, 48))
    fsimlib.fsim(first, second, data_range=1.0, gradient=gradient, workers=2)
    assert len(seen) == 2
    assert seen[0] != seen[1]
    assert threading.current_thread().name in seen


def test_an_error_in_either_image_reaches_the_caller() -> None:
    calls = {"count": 0}
    lock = threading.Lock()

    def gradient(image: np.ndarray) -> np.ndarray:
        with lock:
            calls["count"] += 1
        if image.mean() > 0.5:
            msg = "bright image"
            raise RuntimeError(msg)
        return np.abs(image)

    dark = np.full((32, 32), 0.2)
    dark[8:16] = 0.4
    bright = dark + 0.5
    for pair in ((dark, bright), (bright, dark)):
        with pytest.raises(RuntimeError, match="bright image"):
            fsimlib.fsim(*pair, data_range=1.0, gradient=gradient, workers=2)
    assert calls["count"] == 4  # both images ran both times


def test_map_pair_keeps_argument_order_and_waits_for_both() -> None:
    finished: list[int] = []
    release = threading.Event()

    def work(value: int) -> int:
        if value == 2:
            release.wait(timeout=5)
        finished.append(value)
        if value == 1:
            release.set()
            msg = "first failed"
            raise ValueError(msg)
        return value * 10

    with pytest.raises(ValueError, match="first failed"):
        map_pair(work, 1, 2, parallel=True)
    assert sorted(finished) == [1, 2]
    assert map_pair(lambda v: v * 10, 3, 4, parallel=True) == (30, 40)
    assert map_pair(lambda v: v * 10, 3, 4, parallel=False) == (30, 40)


def test_nested_calls_with_workers_do_not_deadlock() -> None:
    # A callable gradient that itself calls fsim with workers runs, on the
    # executor's thread, a nested pair: that one must run serially.
    rng = np.random.default_rng(5)
    inner_a, inner_b = rng.random((2, 24, 24))

    def gradient(image: np.ndarray) -> np.ndarray:
        fsimlib.fsim(inner_a, inner_b, data_range=1.0, workers=2)
        return np.abs(image)

    outer = threading.Thread(
        target=lambda: [
            fsimlib.fsim(
                *rng.random((2, 32, 32)), data_range=1.0, gradient=gradient, workers=2
            )
            for _ in range(4)
        ]
    )
    outer.start()
    outer.join(timeout=60)
    assert not outer.is_alive()
