"""The demo refuses oversized uploads and does not keep uploads forever.

The app's own HTTP routes are called in a child Python process (Starlette's
test client: no server, no port), with the upload limit that
:func:`fsimlib.demo.launch` gives Gradio.  A child process, because Gradio
leaves event loops and sockets to the garbage collector, whose
ResourceWarnings would otherwise surface in whichever test runs next.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# The demo app in a child process: the end-to-end layer.
pytestmark = [pytest.mark.needs_extras, pytest.mark.e2e]

pytest.importorskip("gradio")

CHILD = r"""
import json, sys
from pathlib import Path

import gradio
from fastapi.testclient import TestClient
from gradio import routes, utils

from fsimlib import demo

seen = {"limits": []}

def fake_launch(self, **kwargs):
    seen["limits"].append(kwargs["max_file_size"])
    return None, "http://127.0.0.1:1/", None

gradio.Blocks.launch = fake_launch
gradio.Blocks.block_thread = lambda self: None
demo.launch()
demo.launch(max_upload=1000)

blocks = demo.build_app()
seen["delete_cache"] = list(blocks.delete_cache)
blocks.max_file_size = utils._parse_file_size(seen["limits"][1])
with TestClient(routes.App.create_app(blocks)) as client:
    def upload(size):
        files = {"files": ("a.png", b"x" * size, "image/png")}
        return client.post("/gradio_api/upload", files=files)
    small, large = upload(900), upload(1100)
    stored = Path(small.json()[0])
    seen["small"] = [small.status_code, stored.is_file(), str(stored)]
    seen["large"] = [large.status_code, large.text]
seen["stored_after_stop"] = stored.exists()
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    uploads = tmp_path_factory.mktemp("uploads")
    result = subprocess.run(
        [sys.executable, "-c", CHILD],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "GRADIO_TEMP_DIR": str(uploads)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    observed: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    observed["uploads"] = str(uploads)
    return observed


def test_launch_caps_uploads_at_50_mib_by_default(seen: dict[str, object]) -> None:
    from fsimlib.demo import MAX_UPLOAD_BYTES

    assert MAX_UPLOAD_BYTES == 50 * 1024**2
    assert seen["limits"] == [MAX_UPLOAD_BYTES, 1000]


def test_an_upload_over_the_limit_is_refused(seen: dict[str, object]) -> None:
    status, stored, path = seen["small"]  # type: ignore[misc]
    assert status == 200
    assert stored
    assert Path(path).is_relative_to(str(seen["uploads"]))
    status, text = seen["large"]  # type: ignore[misc]
    assert status == 413
    assert "exceeded maximum allowed size of 1000 bytes" in text


def test_uploads_are_deleted(seen: dict[str, object]) -> None:
    from fsimlib.demo import UPLOAD_CLEANUP

    assert seen["delete_cache"] == list(UPLOAD_CLEANUP)
    assert seen["stored_after_stop"] is False, "deleted when the server stops"


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (0, ValueError, "max_upload must be a positive number of bytes, got 0"),
        ("50mb", TypeError, "max_upload must be an int"),
        (True, TypeError, "max_upload must be an int"),
    ],
)
def test_bad_upload_limits(value: object, error: type[Exception], match: str) -> None:
    from fsimlib.demo import launch

    with pytest.raises(error, match=match):
        launch(max_upload=value)  # type: ignore[arg-type]
