"""The browser demo, driven for real by headless Chromium.

The demo runs as ``fsimlib.demo.launch`` does for ``fsimlib demo``: in a
child process serving a free loopback port.  Playwright drives Debian's
Chromium (``apt-get install chromium``; Playwright's own browser downloads
are not used) through the page, and every number the page shows is checked
against the public API on the same arrays.  Where the browser, Playwright or
Gradio is missing the browser tests fail, saying what to install, rather
than skip.

The tests above the browser section need none of the demo's extras: they run
in the session without them too.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

import fsimlib
from fsimlib import demo

#: Debian's Chromium; Playwright is pointed at it instead of a download.
CHROMIUM = Path("/usr/bin/chromium")

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

#: Seconds the child may take to import Gradio, build the examples and serve
#: (about 10 s here), and the page to show a result.  Generous because the
#: machine is shared and noisy; none of this is asserted as a speed.
STARTUP_TIMEOUT = 120.0
PAGE_TIMEOUT_MS = 60_000

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


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve the demo from a child process, as ``fsimlib demo`` does."""
    try:
        import gradio  # noqa: F401
    except ImportError:
        pytest.fail("Gradio is not installed: pip install --group test")
    folder = tmp_path_factory.mktemp("demo-server")
    port = free_loopback_port()
    code = f"from fsimlib.demo import launch; launch(host='127.0.0.1', port={port})"
    env = {
        **os.environ,
        "GRADIO_TEMP_DIR": str(folder / "gradio"),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    stdout_path, stderr_path = folder / "stdout.txt", folder / "stderr.txt"
    with stdout_path.open("w") as stdout, stderr_path.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-c", code], stdout=stdout, stderr=stderr, env=env
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while "running at" not in stdout_path.read_text():
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "the demo server did not start (exit code "
                    f"{server.poll()}):\n{stderr_path.read_text()[-3000:]}"
                )
            time.sleep(0.2)
        printed = stdout_path.read_text()
        match = re.search(r"fsimlib demo running at (http://\S+)", printed)
        assert match is not None, printed
        url = match.group(1)
        assert url.rstrip("/") == f"http://127.0.0.1:{port}", printed
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium under Playwright; fails saying why it cannot."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: pip install --group test")
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: apt-get install chromium "
            "(the browser test drives Debian's Chromium)"
        )
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
        except Error as error:
            pytest.fail(f"headless Chromium ({CHROMIUM}) did not start: {error}")
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
