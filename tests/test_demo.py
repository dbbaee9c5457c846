"""The browser demo, driven for real by headless Chromium.

The demo runs as ``fsimlib.demo.launch`` does for ``fsimlib demo``: in a
child process serving a free loopback port, awaited by polling its page.
Playwright drives the machine's own Chromium (Playwright's browser downloads
are not used) through the page, and every number the page shows is checked
against the public API on the same arrays.

The browser is found, not assumed: ``FSIMLIB_CHROMIUM`` names its
executable, else the first of :data:`CHROMIUM_NAMES` on ``PATH``.  Without
one the browser tests skip, saying so, except under ``CI=true``, where a
missing browser fails.  Missing Gradio or Playwright (both in the ``test``
extra) always fails, saying what to install.

The tests above the browser section need none of the demo's extras and no
browser: they are in the fast layer.  The browser tests are ``e2e``.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pytest
from numpy.typing import NDArray

import fsimlib
from fsimlib import demo

#: Environment variable naming the Chromium (or Chrome) executable to drive.
CHROMIUM_VARIABLE = "FSIMLIB_CHROMIUM"

#: Names under which Chromium or Chrome is looked for on ``PATH``.
CHROMIUM_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
)

#: Headless, sandbox-free (CI runs as root), and quiet on the network: without
#: the background-networking switches Chromium keeps trying to reach update
#: and sync services that a closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: Seconds the child may take to import Gradio, build the examples and answer
#: its page (about 15 s on an idle 2-core machine, several times that with
#: both cores busy), and the page to show a result.  Generous because the
#: machine may be shared and busy; none of this is asserted as a speed.  A
#: server that is not up by then is reported with its stdout and stderr.
STARTUP_TIMEOUT = float(os.environ.get("FSIMLIB_TEST_STARTUP_TIMEOUT", "300"))
PAGE_TIMEOUT_MS = 120_000

#: Seconds a stopped server may take to exit before it is killed.
STOP_TIMEOUT = 10.0

PAIRS = demo.example_pairs()

INSTALL_HINT = re.escape('pip install "fsimlib[demo]"')


# --- Without the demo's extras ---------------------------------------------


def test_import_fsimlib_does_not_import_gradio() -> None:
    # A fresh interpreter: this one may have imported Gradio already.
    code = (
        "import sys, fsimlib, fsimlib.demo; "
        "print(sorted(m for m in ('gradio', 'matplotlib') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=STARTUP_TIMEOUT,
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["gradio", "matplotlib"])
@pytest.mark.parametrize("entry", [demo.launch, demo.build_app])
def test_missing_extra_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, missing: str, entry: Any
) -> None:
    # A None entry in sys.modules makes ``import`` raise ImportError.
    monkeypatch.setitem(sys.modules, missing, None)
    with pytest.raises(ImportError, match=INSTALL_HINT):
        entry()


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"port": 0}, ValueError, "port must be between 1 and 65535, got 0"),
        ({"port": 70000}, ValueError, "port must be between 1 and 65535"),
        ({"port": "7860"}, TypeError, "port must be an int, got str"),
        ({"port": True}, TypeError, "port must be an int, got bool"),
        ({"host": ""}, TypeError, "host must be a non-empty string"),
        ({"host": 127}, TypeError, "host must be a non-empty string, got 127"),
    ],
)
def test_launch_rejects_bad_address(
    options: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        demo.launch(**options)


def test_example_pairs_are_reproducible() -> None:
    again = demo.example_pairs()
    assert [pair.label for pair in again] == [pair.label for pair in PAIRS]
    for first, second in zip(PAIRS, again, strict=True):
        np.testing.assert_array_equal(first.reference, second.reference)
        np.testing.assert_array_equal(first.distorted, second.distorted)
        assert first.distorted.dtype == np.uint8, first.label


def test_examples_are_separable_by_a_threshold() -> None:
    # The default threshold is the midpoint of the gap between the two
    # groups; it only means something if there is a gap.
    near = [fsimlib.fsim(p.reference, p.distorted) for p in PAIRS if p.near_lossless]
    seen = [
        fsimlib.fsim(p.reference, p.distorted) for p in PAIRS if not p.near_lossless
    ]
    assert len(near) >= 2, "need at least two near-lossless examples"
    assert len(seen) >= 2, "need at least two visibly distorted examples"
    assert min(near) > max(seen) + 0.01, (near, seen)


# --- In the browser ---------------------------------------------------------


def free_loopback_port() -> int:
    """Return a TCP port that nothing listens on at 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def find_chromium() -> str | None:
    """The Chromium to drive: ``FSIMLIB_CHROMIUM``, else the first on PATH."""
    named = os.environ.get(CHROMIUM_VARIABLE)
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


def no_browser(reason: str) -> NoReturn:
    """Skip for want of a browser; under ``CI=true``, fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the browser tests must run)")
    pytest.skip(reason)


def page_answers(url: str) -> bool:
    """Whether ``url`` answers HTTP 200 now, asking it directly (no proxy)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=10) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def tail(path: Path, characters: int = 4000) -> str:
    text = path.read_text(errors="replace")
    return text[-characters:] or "(empty)"


def stop(server: subprocess.Popen[bytes]) -> None:
    """Terminate the server; kill it if it has not exited after a short wait."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=STOP_TIMEOUT)


def serve_demo(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start the demo on a free port; return it and its URL once it answers.

    The child writes to files, not pipes, so that a chatty server can never
    block on a full pipe.  If another process took the port between the
    probe and the server's bind, the server exits and a new port is tried.
    """
    env = {
        **os.environ,
        "GRADIO_TEMP_DIR": str(folder / "gradio"),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    failures = []
    for attempt in range(3):
        port = free_loopback_port()
        url = f"http://127.0.0.1:{port}/"
        code = f"from fsimlib.demo import launch; launch(host='127.0.0.1', port={port})"
        stdout_path = folder / f"stdout-{attempt}.txt"
        stderr_path = folder / f"stderr-{attempt}.txt"
        with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
            server = subprocess.Popen(
                [sys.executable, "-c", code], stdout=stdout, stderr=stderr, env=env
            )
        started = time.monotonic()
        while server.poll() is None and time.monotonic() - started < STARTUP_TIMEOUT:
            if page_answers(url):
                # The address line is printed as soon as the server is up.
                printed = stdout_path.read_text()
                while "running at" not in printed and time.monotonic() < (
                    started + STARTUP_TIMEOUT
                ):
                    time.sleep(0.1)
                    printed = stdout_path.read_text()
                found = re.search(r"fsimlib demo running at (http://\S+)", printed)
                if found is None or found.group(1).rstrip("/") != url.rstrip("/"):
                    stop(server)
                    pytest.fail(f"the demo did not print its address {url}:\n{printed}")
                return server, url
            time.sleep(0.5)
        exit_code, waited = server.poll(), time.monotonic() - started
        stop(server)
        state = (
            f"exited with code {exit_code} after {waited:.0f} s"
            if exit_code is not None
            else f"did not answer within {STARTUP_TIMEOUT:.0f} s and was stopped"
        )
        report = (
            f"port {port}: the server {state}\n"
            f"--- stdout ---\n{tail(stdout_path)}\n--- stderr ---\n{tail(stderr_path)}"
        )
        failures.append(report)
        if "address already in use" not in tail(stderr_path).lower():
            break
    pytest.fail("the demo server did not answer:\n" + "\n".join(failures))


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the demo from a child process, as ``fsimlib demo`` does."""
    try:
        import gradio  # noqa: F401
    except ImportError:
        pytest.fail("Gradio is not installed: pip install --group test")
    server, url = serve_demo(tmp_path_factory.mktemp("demo-server"))
    try:
        yield url
    finally:
        stop(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium under Playwright; skips (fails under CI) without one."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: pip install --group test")
    chromium_path = find_chromium()
    named = os.environ.get(CHROMIUM_VARIABLE)
    if chromium_path is None and named:
        no_browser(f"{CHROMIUM_VARIABLE}={named} is not an executable")
    if chromium_path is None:
        no_browser(
            f"no Chromium found: set {CHROMIUM_VARIABLE} to its executable or put "
            f"one of {', '.join(CHROMIUM_NAMES)} on PATH "
            "(e.g. apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
            )
        except Error as error:
            pytest.fail(f"headless Chromium ({chromium_path}) did not start: {error}")
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, demo_url: str) -> Iterator[Any]:
    """A fresh page of the demo; fails on any uncaught error in the page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(demo_url)
    page.wait_for_selector("#compare")
    yield page
    context.close()
    assert not errors, f"errors in the page: {errors}"


def textbox(page: Any, elem_id: str) -> str:
    return str(page.locator(f"#{elem_id} textarea").input_value())


#: A verdict the server has answered with.  Anchored: while an event is
#: pending, Gradio writes its progress ("processing | ...") above the old text.
ANSWERED = re.compile(r"^\s*(Similar|Not similar|Cannot compare)")


def settled_verdict(page: Any) -> str:
    """Wait until no event is pending and return the verdict shown."""
    from playwright.sync_api import expect

    verdict = page.locator("#verdict")
    expect(verdict).to_have_text(ANSWERED, timeout=PAGE_TIMEOUT_MS)
    return str(verdict.inner_text()).strip()


def compare_and_wait(page: Any) -> str:
    """Press Compare and return the verdict once the server has answered."""
    page.click("#compare")
    return settled_verdict(page)


def upload(page: Any, elem_id: str, path: Path) -> None:
    page.locator(f"#{elem_id} input[type=file]").set_input_files(str(path))
    page.locator(f"#{elem_id} img").wait_for()


def save_png(array: NDArray[np.uint8], path: Path) -> Path:
    from PIL import Image

    Image.fromarray(array).save(path)
    return path


def expected_threshold() -> float:
    """The default threshold by the rule the page states."""
    near = [fsimlib.fsim(p.reference, p.distorted) for p in PAIRS if p.near_lossless]
    seen = [
        fsimlib.fsim(p.reference, p.distorted) for p in PAIRS if not p.near_lossless
    ]
    return round((min(near) + max(seen)) / 2, 3)


def fsim_fsimc_gap(pair: demo.ExamplePair) -> float:
    result = fsimlib.compare(pair.reference, pair.distorted)
    return abs(result.fsim - result.fsimc)


#: Every example judged by FSIM; and by FSIMc the colour pair whose FSIMc
#: differs most from its FSIM, to keep the run short.
COLOUR_PAIR = max((p for p in PAIRS if p.reference.ndim == 3), key=fsim_fsimc_gap)
SHOWN_CASES = [
    *(pytest.param(pair, False, id=f"{pair.label} [FSIM]") for pair in PAIRS),
    pytest.param(COLOUR_PAIR, True, id=f"{COLOUR_PAIR.label} [FSIMc]"),
]


@pytest.mark.e2e
@pytest.mark.needs_extras
@pytest.mark.parametrize(("pair", "chromatic"), SHOWN_CASES)
def test_example_pair_shows_fsimlib_scores(
    page: Any, pair: demo.ExamplePair, chromatic: bool, tmp_path: Path
) -> None:
    threshold = expected_threshold()
    # The slider starts at the stated rule's value, to its step of 0.001.
    shown_threshold = float(page.locator("#threshold input[type=number]").input_value())
    assert shown_threshold == pytest.approx(threshold, abs=1e-9)

    page.get_by_role("button", name=pair.label).click()
    page.locator("#image1 img").wait_for()
    page.locator("#image2 img").wait_for()
    if chromatic:
        # Ticking the box re-scores the pair shown: let that finish first.
        page.locator("#chromatic input[type=checkbox]").check()
        settled_verdict(page)
    verdict = compare_and_wait(page)
    page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)

    # The page rounds to 4 decimals; the arrays went through the browser as
    # lossless PNG, so the same rounding of the API's score must match.
    result = fsimlib.compare(pair.reference, pair.distorted)
    fsim = fsimlib.fsim(pair.reference, pair.distorted)
    fsimc = fsimlib.fsim(pair.reference, pair.distorted, chromatic=True)
    assert textbox(page, "fsim") == f"{fsim:.4f}", pair.label
    assert textbox(page, "fsimc") == f"{fsimc:.4f}", pair.label
    assert f"{result.fsim:.4f}" == f"{fsim:.4f}"
    if chromatic:  # the two boxes must be told apart
        assert f"{fsim:.4f}" != f"{fsimc:.4f}", pair.label
    score, name = (fsimc, "FSIMc") if chromatic else (fsim, "FSIM")
    word = "Similar" if score >= threshold else "Not similar"
    assert verdict.startswith(f"{word}: {name} = {score:.4f}"), verdict
    # The default threshold puts each example in its own group.
    assert (word == "Similar") == pair.near_lossless, (pair.label, verdict)

    # The heat map is the local-similarity map, at its own (processing) size.
    rows, cols = result.similarity_map.shape
    heat_map = page.locator("#heat-map img")
    assert heat_map.evaluate("img => img.naturalWidth") == cols
    assert heat_map.evaluate("img => img.naturalHeight") == rows


@pytest.mark.e2e
@pytest.mark.needs_extras
def test_threshold_slider_changes_the_verdict(page: Any) -> None:
    pair = next(p for p in PAIRS if p.near_lossless)
    fsim = fsimlib.fsim(pair.reference, pair.distorted)
    page.get_by_role("button", name=pair.label).click()
    page.locator("#image2 img").wait_for()
    assert compare_and_wait(page).startswith("Similar")
    stricter = min(1.0, round(fsim + 0.0005, 3))
    box = page.locator("#threshold input[type=number]")
    box.fill(f"{stricter:.3f}")
    box.press("Enter")
    page.locator("#verdict").filter(has_text="Not similar").wait_for()
    verdict = settled_verdict(page)
    assert verdict.startswith(f"Not similar: FSIM = {fsim:.4f} < threshold"), verdict
    assert f"threshold {stricter:.3f}" in verdict, verdict


@pytest.mark.e2e
@pytest.mark.needs_extras
def test_different_sizes_get_a_message(page: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    small = rng.integers(0, 256, (40, 60), dtype=np.uint8)
    large = rng.integers(0, 256, (50, 60), dtype=np.uint8)
    upload(page, "image1", save_png(small, tmp_path / "small.png"))
    upload(page, "image2", save_png(large, tmp_path / "large.png"))
    verdict = compare_and_wait(page)
    page.screenshot(path=str(tmp_path / "different-sizes.png"), full_page=True)
    assert "different sizes" in verdict, verdict
    assert "60 x 40 and 60 x 50" in verdict, verdict
    assert "Traceback" not in page.content()
    assert textbox(page, "fsim") == ""
    assert textbox(page, "fsimc") == ""


@pytest.mark.e2e
@pytest.mark.needs_extras
def test_large_upload_is_scored_in_full_and_shown_small(
    page: Any, tmp_path: Path
) -> None:
    # 300 x 1800: FSIM's automatic factor is round(300 / 256) = 1, so the
    # similarity map is as large as the image and must be shrunk to show.
    rng = np.random.default_rng(7)
    smooth = np.cumsum(rng.normal(0, 4, (300, 1800, 3)), axis=1)
    reference = np.clip(128 + smooth, 0, 255).astype(np.uint8)
    noise = rng.normal(0, 10, reference.shape)
    distorted = np.clip(reference + noise, 0, 255).astype(np.uint8)
    upload(page, "image1", save_png(reference, tmp_path / "reference.png"))
    upload(page, "image2", save_png(distorted, tmp_path / "distorted.png"))
    compare_and_wait(page)
    assert textbox(page, "fsim") == f"{fsimlib.fsim(reference, distorted):.4f}"
    heat_map = page.locator("#heat-map img")
    assert heat_map.evaluate("img => img.naturalWidth") == demo.MAX_DISPLAY_SIDE
    assert heat_map.evaluate("img => img.naturalHeight") == round(
        300 * demo.MAX_DISPLAY_SIDE / 1800
    )
    details = page.locator("#details").inner_text()
    assert "Scored on the full 1800 x 300 images" in details, details
    assert f"shown at most {demo.MAX_DISPLAY_SIDE} pixels a side" in details, details
