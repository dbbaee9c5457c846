"""The chosen FFT engine and loops apply to every thread of a call.

fsimlib runs work on its own threads (the second image of a pair with
``workers=2``, the pairs of :func:`fsimlib.fsim_batch`).  A choice made with
:func:`fsimlib.backends.use_fft_engine` or :func:`fsimlib.backends.use_loops`
must reach those threads too: every FFT plan and every loop call of a call
is recorded with the thread that made it, and all must use the chosen
backend.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import fsimlib
from fsimlib.backends import _fft
from fsimlib.backends import _loops as _kernels
from fsimlib.backends._seam import Seam, carry_context

#: (thread id, "fft" or "loops", backend name) of every FFT plan and loop call.
Calls = list[tuple[int, str, str]]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Record every FFT plan request and loop call, with its thread."""
    recorded: Calls = []
    lock = threading.Lock()

    def record(kind: str, name: str) -> None:
        with lock:
            recorded.append((threading.get_ident(), kind, name))

    plan = _fft._PlanCachingEngine.plan

    def recording_plan(self: Any, *args: Any) -> _fft.Transform:
        record("fft", self.name)
        return plan(self, *args)

    monkeypatch.setattr(_fft._PlanCachingEngine, "plan", recording_plan)

    def recording_loop(name: str, loop: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            record("loops", name)
            return loop(*args)

        return run

    def recording(kernels: _kernels.Kernels) -> _kernels.Kernels:
        loops = {
            field.name: recording_loop(kernels.name, getattr(kernels, field.name))
            for field in dataclasses.fields(kernels)
            if callable(getattr(kernels, field.name))
        }
        return dataclasses.replace(kernels, **loops)  # type: ignore[arg-type]

    get = _kernels.LOOPS.get
    wrapped = {
        name: recording(get(name)) for name in fsimlib.backends.available_loops()
    }
    monkeypatch.setattr(
        _kernels.LOOPS, "get", lambda name=None: wrapped[get(name).name]
    )
    return recorded


def images(count: int) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Two stacks of ``count`` noisy 64 x 64 images (7-smooth, for FFTW)."""
    rng = np.random.default_rng(21)
    clean = rng.integers(0, 256, (count, 64, 64), dtype=np.uint8)
    noise = rng.integers(-25, 26, clean.shape)
    return clean, np.clip(clean + noise, 0, 255).astype(np.uint8)


def meeting_gradient() -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """A gradient whose first two calls wait for each other.

    Two calls can only meet if they run on two threads at once, so a call
    that returns proves that two threads shared the work.
    """
    barrier = threading.Barrier(2, timeout=120)
    met = threading.Event()

    def gradient(image: NDArray[np.float64]) -> NDArray[np.float64]:
        if not met.is_set():
            barrier.wait()
            met.set()
        rows, cols = np.gradient(image)
        magnitude: NDArray[np.float64] = np.hypot(rows, cols)
        return magnitude

    return gradient


def pair_fsim() -> object:
    a, b = images(1)
    return fsimlib.fsim(a[0], b[0], workers=2)


def pair_compare() -> object:
    a, b = images(1)
    return fsimlib.compare(a[0], b[0], workers=2).fsim


def batch() -> object:
    a, b = images(6)
    return fsimlib.fsim_batch(a, b, workers=2, gradient=meeting_gradient())


def batch_against_reference() -> object:
    a, b = images(6)
    return fsimlib.fsim_batch(a[0], b, workers=2)


def reference_scores() -> object:
    a, b = images(2)
    reference = fsimlib.Reference(a[0], workers=2)
    return reference.fsim(b[0]), reference.compare(b[1]).fsimc


#: What each call runs, and how many threads it must use with workers=2.
CALLS: dict[str, tuple[Callable[[], object], int]] = {
    "fsim": (pair_fsim, 2),
    "compare": (pair_compare, 2),
    "fsim_batch": (batch, 2),
    "fsim_batch-reference": (batch_against_reference, 1),
    "Reference": (reference_scores, 1),
}


@contextlib.contextmanager
def choosing(fft: str | None, loops: str | None) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        if fft is not None:
            stack.enter_context(fsimlib.backends.use_fft_engine(fft))
        if loops is not None:
            stack.enter_context(fsimlib.backends.use_loops(loops))  # type: ignore[arg-type]
        yield


@pytest.mark.parametrize("call", list(CALLS))
@pytest.mark.parametrize(
    ("fft", "loops"),
    [
        pytest.param("scipy", "numpy", id="scipy-numpy"),
        pytest.param(
            "pyfftw", "numpy", id="pyfftw-numpy", marks=pytest.mark.needs_pyfftw
        ),
        pytest.param(None, None, id="defaults"),
    ],
)
def test_every_thread_uses_the_chosen_backends(
    calls: Calls, call: str, fft: str | None, loops: str | None
) -> None:
    run, threads = CALLS[call]
    with choosing(fft, loops):
        run()
    expected = {
        "fft": fft or fsimlib.backends.available_fft_engines()[0],
        "loops": loops or fsimlib.backends.available_loops()[0],
    }
    for kind, name in expected.items():
        used = {backend for _, k, backend in calls if k == kind}
        assert used == {name}, f"{call}: {kind} ran on {used}, chose {name}"
    assert len({thread for thread, _, _ in calls}) >= threads, calls


@pytest.mark.needs_pyfftw
@pytest.mark.parametrize("call", list(CALLS))
def test_defaults_are_pyfftw_and_the_best_loops(calls: Calls, call: str) -> None:
    CALLS[call][0]()
    assert {name for _, kind, name in calls if kind == "fft"} == {"pyfftw"}
    best = fsimlib.backends.available_loops()[0]
    assert {name for _, kind, name in calls if kind == "loops"} == {best}


@pytest.mark.parametrize("call", ["fsim", "compare", "fsim_batch"])
def test_scores_do_not_depend_on_workers_under_a_choice(call: str) -> None:
    # One thread and two give the same bits: work left on the default
    # backends by a pool thread would differ in the last bits (about 1e-15).
    a, b = images(3)
    with fsimlib.backends.use_fft_engine("scipy"), fsimlib.backends.use_loops("numpy"):
        if call == "fsim_batch":
            one = fsimlib.fsim_batch(a, b, workers=1)
            two = fsimlib.fsim_batch(a, b, workers=2)
            np.testing.assert_array_equal(one, two)
            return
        function = fsimlib.fsim if call == "fsim" else fsimlib.compare
        single: Any = function(a[0], b[0])
        double: Any = function(a[0], b[0], workers=2)
    if call == "compare":
        single, double = single.fsimc, double.fsimc
    assert single == double


# The seam itself, on made-up backends.


def made_up_seam() -> Seam[str]:
    return Seam(
        "test backend",
        {"fast": lambda: None, "plain": lambda: "plain backend"},
        requirements={"fast": "a missing library"},
    )


def test_seam_lists_what_loads_best_first() -> None:
    seam = made_up_seam()
    assert seam.names == ("fast", "plain")
    assert seam.available() == ("plain",)
    assert seam.get() == "plain backend"


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("slow", ValueError, r"Unknown test backend 'slow'; available: \('plain',\)"),
        (
            "fast",
            ValueError,
            r"test backend 'fast' is not available: a missing library failed "
            r"to import; available: \('plain',\)",
        ),
        (3, TypeError, "test backend name must be a str, got int"),
    ],
)
def test_seam_rejects_names_before_the_block(
    name: object, error: type[Exception], message: str
) -> None:
    seam = made_up_seam()
    with pytest.raises(error, match=message):
        seam.use(name)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("choose", "message"),
    [
        (
            lambda: fsimlib.backends.use_fft_engine("fftw"),
            r"Unknown FFT engine 'fftw'; available: \(.*'scipy'\)",
        ),
        (
            lambda: fsimlib.backends.use_loops("fortran"),  # type: ignore[arg-type]
            r"Unknown inner-loop implementation 'fortran'; available: \(.*'numpy'\)",
        ),
    ],
    ids=["fft", "loops"],
)
def test_public_names_are_checked_up_front(
    choose: Callable[[], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        choose()


def test_blocks_nest_and_restore() -> None:
    seam: Seam[str] = Seam("test backend", {"a": lambda: "A", "b": lambda: "B"})
    with seam.use("b"):
        assert seam.get() == "B"
        with seam.use("a"):
            assert seam.get() == "A"
        assert seam.get() == "B"
    assert seam.get() == "A"


def test_carried_context_reaches_other_threads_and_stays_there() -> None:
    seam: Seam[str] = Seam("test backend", {"a": lambda: "A", "b": lambda: "B"})
    seen: list[str] = []

    def look() -> None:
        seen.append(seam.get())

    with seam.use("b"):
        carried = carry_context(look)
        plain = threading.Thread(target=look)
    threads = [threading.Thread(target=carried) for _ in range(2)]
    for thread in [*threads, plain]:
        thread.start()
        thread.join()
    # The carried calls see the choice made where they were wrapped, even
    # after the block ended; a thread started without it sees the default.
    assert seen == ["B", "B", "A"]
    assert seam.get() == "A"
