"""The compiled loops against the numpy loops they replace.

Both implement the same arithmetic in the same order, so they agree to a
few units in the last place: 1e-12 relative in float64 (values are sums of
a few numbers of order 1) and 1e-5 in float32.  The reference corpus is
scored with both in ``test_reference_corpus.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

import fsimlib
from fsimlib.backends import _loops as _kernels
from fsimlib.backends._loops import NUMPY, available_loops, get_kernels, use_loops

#: FSIMLIB_EXPECT_KERNELS=numpy declares an installation built without a C
#: compiler; everywhere else (CI included) the compiled loops must be there.
EXPECTED = os.environ.get("FSIMLIB_EXPECT_KERNELS", "compiled")

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}
COMPLEX = {np.float64: np.complex128, np.float32: np.complex64}


def compiled() -> _kernels.Kernels:
    assert _kernels.COMPILED is not None, "fsimlib._ckernels is not built"
    return _kernels.COMPILED


def test_the_expected_loops_are_in_force() -> None:
    assert get_kernels().name == EXPECTED
    assert available_loops()[0] == EXPECTED


def random_responses(
    rng: np.random.Generator,
    n_scales: int,
    shape: tuple[int, int],
    real: type[np.floating],
    padding: int = 0,
) -> NDArray[np.complexfloating]:
    """Responses of one orientation, optionally with padded rows (as FFTW's)."""
    rows, cols = shape
    padded = rng.standard_normal((n_scales, rows, cols + padding, 2))
    padded *= rng.uniform(0.1, 100.0)
    values = padded.astype(real).view(COMPLEX[real])[..., 0]
    return values[..., :cols]


def run(
    kernels: _kernels.Kernels,
    responses: NDArray[np.complexfloating],
    real: type[np.floating],
    epsilon: float,
) -> tuple[NDArray[np.floating], ...]:
    shape = responses.shape[1:]
    energy = np.full(shape, np.nan, real)
    magnitude = np.full(shape, np.nan, real)
    amplitude = np.full(shape, 0.5, real)  # accumulated into, not overwritten
    source = np.ascontiguousarray(responses) if kernels.needs_contiguous else responses
    kernels.oriented_energy(source, epsilon, energy, amplitude, magnitude)
    return energy, amplitude, magnitude


@pytest.mark.parametrize("real", [np.float64, np.float32])
@pytest.mark.parametrize("n_scales", [1, 2, 4, 6])
@pytest.mark.parametrize(
    ("shape", "padding"),
    [((1, 1), 0), ((5, 7), 0), ((16, 256), 4), ((9, 300), 0), ((33, 513), 8)],
)
@pytest.mark.parametrize("epsilon", [1e-4, 0.0, 10.0])
def test_oriented_energy_matches_numpy(
    real: type[np.floating],
    n_scales: int,
    shape: tuple[int, int],
    padding: int,
    epsilon: float,
) -> None:
    rng = np.random.default_rng(n_scales * 1000 + shape[1])
    responses = random_responses(rng, n_scales, shape, real, padding)
    before = responses.copy()
    expected = run(NUMPY, responses, real, epsilon)
    got = run(compiled(), responses, real, epsilon)
    np.testing.assert_array_equal(responses, before)
    scale = float(np.abs(responses).max())
    for name, want, have in zip(
        ("energy", "amplitude", "magnitude"), expected, got, strict=True
    ):
        assert have.dtype == real
        np.testing.assert_allclose(
            have, want, rtol=0, atol=TOLERANCE[real] * n_scales * scale, err_msg=name
        )
    np.testing.assert_allclose(
        got[2], np.abs(responses[0]), rtol=TOLERANCE[real], atol=0, err_msg="|EO_0|"
    )


@pytest.mark.parametrize("real", [np.float64, np.float32])
def test_filter_product_matches_numpy(real: type[np.floating]) -> None:
    rng = np.random.default_rng(7)
    spectrum = random_responses(rng, 1, (12, 270), real)[0].copy()
    filters = rng.random((4, 12, 270)).astype(real)
    want = np.empty(filters.shape, COMPLEX[real])
    have = np.empty(filters.shape, COMPLEX[real])
    NUMPY.filter_product(spectrum, filters, want)
    compiled().filter_product(spectrum, filters, have)
    np.testing.assert_array_equal(have, want)  # one product each: exact


def test_zero_responses_give_zero_energy() -> None:
    responses = np.zeros((4, 8, 8), np.complex128)
    energy, amplitude, magnitude = run(compiled(), responses, np.float64, 1e-4)
    assert not energy.any()
    np.testing.assert_array_equal(amplitude, 0.5)
    assert not magnitude.any()


@pytest.mark.parametrize("real", [np.float64, np.float32])
def test_phase_congruency_agrees_between_the_loops(real: type[np.floating]) -> None:
    image = np.random.default_rng(11).random((70, 300)) * 255
    precision = "float64" if real is np.float64 else "float32"
    with use_loops("numpy"):
        want = fsimlib.phase_congruency(image, precision=precision)
    with use_loops("compiled"):
        have = fsimlib.phase_congruency(image, precision=precision)
    np.testing.assert_allclose(have, want, rtol=0, atol=TOLERANCE[real] * 10)


def good_arguments() -> list[object]:
    shape = (4, 6, 8)
    return [
        np.zeros(shape, np.complex128),
        1e-4,
        np.zeros(shape[1:]),
        np.zeros(shape[1:]),
        np.zeros(shape[1:]),
    ]


@pytest.mark.parametrize(
    ("position", "bad", "error", "match"),
    [
        (0, np.zeros((4, 6, 8)), TypeError, "responses must be complex"),
        (0, np.zeros((6, 8), np.complex128), ValueError, "responses must be 3-D"),
        (0, np.zeros((4, 6, 16), np.complex128)[..., ::2], ValueError, "contiguous"),
        (0, np.zeros((4, 6, 8), np.complex64), TypeError, "precision"),
        (1, "0.1", TypeError, "real number"),
        (2, np.zeros((6, 9)), ValueError, "energy has planes of 6 x 9"),
        (3, np.zeros((6, 8), np.float32), TypeError, "amplitude must have"),
        (4, np.zeros((6, 8), np.int64), TypeError, "magnitude must be float"),
        (2, np.zeros((6, 8))[::1].T.T[:, ::-1], ValueError, "C-contiguous"),
        (3, np.zeros((6, 8)).view(), None, None),
    ],
)
def test_bad_buffers_are_refused(
    position: int, bad: object, error: type[Exception] | None, match: str | None
) -> None:
    arguments = good_arguments()
    arguments[position] = bad
    if error is None:
        compiled().oriented_energy(*arguments)  # a plain view is fine
        return
    with pytest.raises(error, match=match):
        compiled().oriented_energy(*arguments)


def test_read_only_output_is_refused() -> None:
    arguments = good_arguments()
    frozen = np.zeros((6, 8))
    frozen.flags.writeable = False
    arguments[2] = frozen
    with pytest.raises(ValueError, match="energy must be a writable"):
        compiled().oriented_energy(*arguments)


def test_unknown_loops_are_refused() -> None:
    with pytest.raises(ValueError, match="Unknown inner-loop implementation"):
        use_loops("fortran")  # type: ignore[arg-type]


WITHOUT_COMPILED = """
    import json, sys
    sys.modules["fsimlib._ckernels"] = None  # the import now fails
    import numpy as np
    import fsimlib

    report = {"loops": list(fsimlib.backends.available_loops())}
    try:
        fsimlib.backends.use_loops("compiled")
    except ValueError as error:
        report["error"] = str(error)
    image = np.random.default_rng(7).random((40, 40))
    report["pc_max"] = float(fsimlib.phase_congruency(image).max())
    print(json.dumps(report))
"""


def test_without_the_extension_numpy_is_the_only_loops() -> None:
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(WITHOUT_COMPILED)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["loops"] == ["numpy"]
    assert report["error"] == (
        "inner-loop implementation 'compiled' is not available: the C "
        "extension fsimlib._ckernels failed to import; available: ('numpy',)"
    )
    image = np.random.default_rng(7).random((40, 40))
    with use_loops("numpy"):
        expected = float(fsimlib.phase_congruency(image).max())
    assert report["pc_max"] == expected


@pytest.mark.parametrize(
    ("image_shape", "kernel_shapes"),
    [
        ((256, 256), ((3, 3), (3, 3))),
        ((37, 301), ((3, 3), (3, 3))),
        ((9, 4), ((7, 7), (1, 5))),
        ((1, 1), ((3, 3), (3, 3))),
        ((20, 30), ((5, 3), (3, 5))),
    ],
)
def test_gradient_magnitude_matches_ndimage(
    image_shape: tuple[int, int],
    kernel_shapes: tuple[tuple[int, int], tuple[int, int]],
) -> None:
    rng = np.random.default_rng(sum(image_shape))
    image = rng.random(image_shape) * 255
    kernel_x, kernel_y = (rng.standard_normal(shape) for shape in kernel_shapes)
    want = np.empty(image_shape)
    have = np.empty(image_shape)
    NUMPY.gradient_magnitude(image, kernel_x, kernel_y, want)
    compiled().gradient_magnitude(image, kernel_x, kernel_y, have)
    # Sums of up to 49 products of values up to a few hundred: round-off.
    np.testing.assert_allclose(have, want, rtol=1e-12, atol=1e-11)


@pytest.mark.parametrize(
    ("position", "bad", "error", "match"),
    [
        (0, np.zeros((6, 8), np.float32), TypeError, "image must be float64"),
        (1, np.zeros((2, 3)), ValueError, "kernel_x must have odd sides"),
        (2, np.zeros((3, 6))[:, ::2], ValueError, "C-contiguous"),
        (3, np.zeros((6, 7)), ValueError, "out has planes of 6 x 7"),
    ],
)
def test_gradient_magnitude_refuses_bad_buffers(
    position: int, bad: object, error: type[Exception], match: str
) -> None:
    arguments: list[object] = [
        np.zeros((6, 8)),
        np.zeros((3, 3)),
        np.zeros((3, 3)),
        np.zeros((6, 8)),
    ]
    arguments[position] = bad
    with pytest.raises(error, match=match):
        compiled().gradient_magnitude(*arguments)


@pytest.mark.parametrize("real", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("low", "high"), [(0.3, 0.6), (0.5, 0.5), (2.0, 3.0), (-1.0, 2.0)]
)
# Lengths around the 8 and 16 lanes of the vector loop and its scalar tail.
@pytest.mark.parametrize("size", [1, 7, 8, 15, 16, 17, 5000])
def test_count_and_collect_matches_numpy(
    real: type[np.floating], low: float, high: float, size: int
) -> None:
    values = np.random.default_rng(5).random(size).astype(real)
    values[::7] = 0.5
    want = np.empty_like(values)
    # The compiled loop may write past the values it collects, never past
    # the end of out: a guard element after out stays untouched.
    guarded = np.full(size + 1, -7.0, real)
    have = guarded[:size]
    counts = NUMPY.count_and_collect(values, low, high, want)
    assert compiled().count_and_collect(values, low, high, have) == counts
    np.testing.assert_array_equal(have[: counts[1]], want[: counts[1]])
    assert guarded[size] == -7.0


def test_count_and_collect_refuses_short_output() -> None:
    with pytest.raises(ValueError, match="shorter"):
        compiled().count_and_collect(np.zeros(8), 0.0, 1.0, np.zeros(7))


@pytest.mark.parametrize("real", [np.float64, np.float32])
def test_filter_product_reads_and_writes_padded_rows(real: type[np.floating]) -> None:
    # The pyFFTW engine transforms in place on buffers whose rows are padded.
    rng = np.random.default_rng(8)
    spectrum = random_responses(rng, 1, (10, 33), real, padding=3)[0]
    filters = rng.random((3, 10, 33)).astype(real)
    padded = np.full((3, 10, 37), np.nan, COMPLEX[real])
    out = padded[..., :33]
    compiled().filter_product(spectrum, filters, out)
    np.testing.assert_array_equal(out, spectrum * filters)
    assert np.isnan(padded[..., 33:]).all()  # the padding is left alone


@pytest.mark.parametrize("real", [np.float64, np.float32])
@pytest.mark.parametrize("n_orientations", [1, 4, 6])
@pytest.mark.parametrize("shape", [(17, 40), (3, 300)])
def test_combine_energy_matches_numpy(
    real: type[np.floating], n_orientations: int, shape: tuple[int, int]
) -> None:
    rng = np.random.default_rng(9)
    energies = rng.standard_normal((n_orientations, *shape)).astype(real)
    thresholds = list(rng.uniform(-1.0, 1.0, n_orientations))
    amplitude = rng.random(shape).astype(real) + 1
    amplitude[0, :5] = 0  # no response at all: the bare sum is kept
    want, have = np.full(shape, np.nan), np.full(shape, np.nan)
    NUMPY.combine_energy(energies, thresholds, amplitude, want)
    compiled().combine_energy(energies, thresholds, amplitude, have)
    np.testing.assert_array_equal(have, want)
    above = np.maximum(energies - np.asarray(thresholds, real)[:, None, None], 0)
    summed = above.astype(np.float64).sum(axis=0)
    np.testing.assert_allclose(have[1:], summed[1:] / amplitude[1:], rtol=1e-6)
    np.testing.assert_allclose(have[0, :5], summed[0, :5], rtol=1e-6)


def test_combine_energy_checks_its_arguments() -> None:
    energies, amplitude = np.zeros((2, 4, 4)), np.ones((4, 4))
    with pytest.raises(TypeError, match="out must be float64"):
        compiled().combine_energy(
            energies, [0.0, 0.0], amplitude, np.zeros((4, 4), np.float32)
        )
    with pytest.raises(ValueError, match="thresholds has 1 values"):
        compiled().combine_energy(energies, [0.0], amplitude, np.zeros((4, 4)))
    with pytest.raises(TypeError, match="amplitude must have the precision"):
        compiled().combine_energy(
            energies, [0.0, 0.0], amplitude.astype(np.float32), np.zeros((4, 4))
        )
    with pytest.raises(ValueError, match="out has planes of 4 x 5"):
        compiled().combine_energy(energies, [0.0, 0.0], amplitude, np.zeros((4, 5)))


@pytest.mark.parametrize("with_chroma", [False, True])
@pytest.mark.parametrize("shape", [(1, 1), (7, 300), (256, 256)])
def test_pooled_sums_match_numpy(shape: tuple[int, int], with_chroma: bool) -> None:
    rng = np.random.default_rng(shape[1])
    pc1, pc2 = rng.random((2, *shape))
    g1, g2 = rng.random((2, *shape)) * 300
    chroma = rng.random(shape) if with_chroma else None
    want = NUMPY.pooled_sums(pc1, pc2, g1, g2, chroma, 0.85, 160.0)
    have = compiled().pooled_sums(pc1, pc2, g1, g2, chroma, 0.85, 160.0)
    # Row-by-row against pairwise summation of up to 65536 terms in [0, 1].
    np.testing.assert_allclose(have, want, rtol=1e-13, atol=0)
    assert (have[3], have[4]) != (0.0, 0.0) or not with_chroma


def test_pooled_sums_of_identical_maps_give_exactly_one() -> None:
    rng = np.random.default_rng(3)
    pc, g = rng.random((2, 50, 60))
    weight, weighted, plain, weighted_c, _ = compiled().pooled_sums(
        pc, pc, g, g, np.ones_like(pc), 0.85, 160.0
    )
    assert weighted / weight == 1.0
    assert weighted_c / weight == 1.0
    assert plain == pc.size


@pytest.mark.parametrize("kernels", available_loops())
@pytest.mark.parametrize("shape", [(64, 80), (300, 257, 3)], ids=str)
def test_fsim_compare_and_reference_agree_to_the_bit(
    kernels: str, shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(len(shape))
    first = rng.integers(0, 256, shape, dtype=np.uint8)
    second = np.clip(first + rng.normal(0, 9, shape), 0, 255).astype(np.uint8)
    with use_loops(kernels):  # type: ignore[arg-type]
        result = fsimlib.compare(first, second)
        reference = fsimlib.Reference(first)
        for chromatic, expected in ((False, result.fsim), (True, result.fsimc)):
            assert fsimlib.fsim(first, second, chromatic=chromatic) == expected
            assert reference.fsim(second, chromatic=chromatic) == expected


@pytest.mark.parametrize(
    ("shape", "factor"),
    [
        ((512, 512, 3), 2),
        ((383, 500, 3), 3),
        ((385, 501), 4),
        ((7, 5, 3), 7),  # a factor beyond the shorter side
        ((1, 2), 2),
        ((64, 48, 4), 5),
        ((300, 200, 3), 1),
        ((20, 300, 3), 2),
        ((520, 300), 257),  # the largest factor with 16-bit column sums
        ((610, 300, 3), 258),  # the smallest with 32-bit ones
    ],
)
def test_box_means_of_uint8_match_numpy_exactly(
    shape: tuple[int, ...], factor: int
) -> None:
    from fsimlib._downsample import box_downsample

    image = np.random.default_rng(sum(shape)).integers(0, 256, shape, dtype=np.uint8)
    image[: shape[0] // 2] = 255  # the largest sums
    with use_loops("numpy"):
        want = box_downsample(image, factor)
    have = np.empty(want.shape)
    compiled().box_mean_u8(image, factor, have)  # type: ignore[misc]
    np.testing.assert_array_equal(have, want)  # integer sums: exact
    with use_loops("compiled"):
        np.testing.assert_array_equal(box_downsample(image, factor), want)


@pytest.mark.parametrize(
    ("image", "factor", "out", "error", "match"),
    [
        (np.zeros((4, 4), np.uint16), 2, np.zeros((2, 2)), TypeError, "uint8"),
        (np.zeros((4, 4), np.uint8), 2, np.zeros((3, 2)), ValueError, "shape"),
        (np.zeros((4, 4), np.uint8), 0, np.zeros((2, 2)), ValueError, "factor"),
        (
            np.zeros((4, 8), np.uint8)[:, ::2],
            2,
            np.zeros((2, 2)),
            ValueError,
            "C-contiguous",
        ),
    ],
)
def test_box_means_refuse_bad_buffers(
    image: np.ndarray, factor: int, out: np.ndarray, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        compiled().box_mean_u8(image, factor, out)  # type: ignore[misc]


@pytest.mark.parametrize("scale", [1.0, 255 / 65535, 0.5])
@pytest.mark.parametrize("n_planes", [1, 3])
@pytest.mark.parametrize("shape", [(1, 1), (37, 53), (256, 256)])
def test_weighted_planes_match_numpy_exactly(
    shape: tuple[int, int], n_planes: int, scale: float
) -> None:
    from fsimlib._colour import YIQ_MATRIX, luminance, weighted_sum

    rng = np.random.default_rng(shape[1] + n_planes)
    pixels = rng.uniform(0, 255, (*shape, 3))
    weights = YIQ_MATRIX[:n_planes]
    want = [np.full(shape, np.nan) for _ in range(n_planes)]
    have = [np.full(shape, np.nan) for _ in range(n_planes)]
    NUMPY.weighted_planes(pixels, scale, weights, want)
    compiled().weighted_planes(pixels, scale, weights, have)
    for plane_have, plane_want in zip(have, want, strict=True):
        np.testing.assert_array_equal(plane_have, plane_want)
    # The same numbers as the reference's planes: scaled channels, then Y.
    red, green, blue = (pixels[..., c] * scale for c in range(3))
    np.testing.assert_array_equal(have[0], luminance(red, green, blue))
    if n_planes == 3:
        np.testing.assert_array_equal(
            have[2], weighted_sum(tuple(weights[2]), red, green, blue)
        )


@pytest.mark.parametrize(
    ("pixels", "weights", "outs", "error", "match"),
    [
        (
            np.zeros((4, 4, 3), np.float32),
            np.ones((1, 3)),
            [np.zeros((4, 4))],
            TypeError,
            "float64",
        ),
        (
            np.zeros((4, 4, 4)),
            np.ones((1, 3)),
            [np.zeros((4, 4))],
            ValueError,
            "3 channels",
        ),
        (np.zeros((4, 4, 3)), np.ones((2, 3)), [np.zeros((4, 4))], ValueError, "shape"),
        (np.zeros((4, 4, 3)), np.ones((1, 3)), [np.zeros((4, 5))], ValueError, "shape"),
        (
            np.zeros((4, 4, 3)),
            np.ones((1, 3)),
            [np.zeros((4, 4), np.float32)],
            TypeError,
            "float64",
        ),
        (
            np.zeros((4, 8, 3))[:, ::2],
            np.ones((1, 3)),
            [np.zeros((4, 4))],
            ValueError,
            "C-contiguous",
        ),
    ],
)
def test_weighted_planes_refuse_bad_buffers(
    pixels: np.ndarray,
    weights: np.ndarray,
    outs: list[np.ndarray],
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        compiled().weighted_planes(pixels, 1.0, weights, outs)


@given(
    n=st.integers(1, 3000),
    kind=st.sampled_from(["uniform", "few-values", "wide", "one-outlier", "tiny"]),
    real=st.sampled_from([np.float64, np.float32]),
    seed=st.integers(0, 2**32 - 1),
    data=st.data(),
)
def test_select_ranks_matches_numpy_partition(
    n: int, kind: str, real: type[np.floating], seed: int, data: st.DataObject
) -> None:
    rng = np.random.default_rng(seed)
    values = {
        "uniform": lambda: rng.random(n),
        "few-values": lambda: rng.integers(0, 4, n).astype(float),
        # Spans many orders of magnitude: most values share a bin.
        "wide": lambda: np.exp(
            rng.standard_normal(n) * (100 if real is np.float64 else 10)
        ),
        "one-outlier": lambda: np.where(np.arange(n) == n // 2, 1e300, 3.0),
        # Subnormal steps: the bin width would overflow, so it sorts.
        "tiny": lambda: 5e-324 * rng.integers(0, 4, n),
    }[kind]().astype(real)
    low_rank = data.draw(st.integers(0, n - 1))
    high_rank = (
        low_rank
        if low_rank == n - 1
        else data.draw(st.sampled_from([low_rank, low_rank + 1]))
    )
    want = NUMPY.select_ranks(values.copy(), low_rank, high_rank)
    assert compiled().select_ranks(values.copy(), low_rank, high_rank) == want


@pytest.mark.parametrize(
    ("values", "low", "high", "error", "match"),
    [
        (np.zeros(4), 1, 3, ValueError, "ranks"),
        (np.zeros(4), 3, 4, ValueError, "ranks"),
        (np.zeros(4), -1, 0, ValueError, "ranks"),
        (np.zeros(4, np.int64), 0, 1, TypeError, "float64 or float32"),
        (np.zeros((2, 2)), 0, 1, ValueError, "1-D"),
        (np.zeros(4)[::2], 0, 1, ValueError, "C-contiguous"),
    ],
)
def test_select_ranks_refuses_bad_arguments(
    values: np.ndarray, low: int, high: int, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        compiled().select_ranks(values, low, high)


@pytest.mark.parametrize("shape", [(1, 1), (7, 300), (256, 256)])
def test_chroma_product_matches_numpy_exactly(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[1])
    # Chroma of either sign: S_I and S_Q are negative where the images'
    # chroma have opposite signs.
    i1, i2, q1, q2 = rng.normal(0, 60, (4, *shape))
    want, have = np.full(shape, np.nan), np.full(shape, np.nan)
    negatives = NUMPY.chroma_product(i1, i2, q1, q2, 200.0, 200.0, want)
    assert compiled().chroma_product(i1, i2, q1, q2, 200.0, 200.0, have) == negatives
    np.testing.assert_array_equal(have, want)
    assert negatives == np.count_nonzero(want < 0)
    assert negatives > 0 or shape == (1, 1)


def test_chroma_product_checks_its_maps() -> None:
    planes = [np.zeros((4, 4)) for _ in range(4)]
    with pytest.raises(ValueError, match="q2 has planes of 4 x 5"):
        compiled().chroma_product(*planes[:3], np.zeros((4, 5)), 1.0, 1.0, planes[0])
    readonly = np.zeros((4, 4))
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        compiled().chroma_product(*planes, 1.0, 1.0, readonly)
    with pytest.raises(TypeError, match="i1 must be float64"):
        compiled().chroma_product(
            np.zeros((4, 4), np.float32), *planes[1:], 1.0, 1.0, planes[0]
        )
