"""The corpus images are reproducible: ``tests/reference/make_images.py``
makes each PNG of ``tests/data/images`` from its file name, bit for bit.

So the corpus can be regenerated and extended from the repository alone
(``tests/reference/README.md``); a change to a rule there fails here.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from skimage.io import imread

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "data" / "images"


def load_generator() -> ModuleType:
    path = HERE / "reference" / "make_images.py"
    spec = importlib.util.spec_from_file_location("make_images", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = load_generator()
NAMES = GENERATOR.corpus_names(HERE / "data" / "cases.csv")


def test_every_stored_image_is_named_in_the_cases_table() -> None:
    assert sorted(path.name for path in IMAGES.glob("*.png")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_generator_reproduces_the_stored_image(name: str) -> None:
    stored = imread(IMAGES / name)
    made = GENERATOR.make(name)
    assert made.dtype == stored.dtype == np.uint8
    np.testing.assert_array_equal(made, stored, err_msg=name)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("picture.png", "not a corpus image name"),
        ("ref_camera_c_64x64_0_0.png", "camera is a grey picture"),
        ("ref_camera_g_600x64_0_0.png", "too small for the crop"),
        ("dist_camera_g_64x64_0_0_swirl_2.png", "unknown distortion 'swirl'"),
    ],
)
def test_generator_rejects_names_it_cannot_make(name: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        GENERATOR.make(name)
