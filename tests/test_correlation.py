"""Correlation helpers against scipy's own functions on seeded data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy.optimize import curve_fit
from scipy.stats import kendalltau, pearsonr, spearmanr

import fsimlib
from fsimlib.stats._logistic import MIN_FIT_PAIRS

# Score scales the logistic must converge on: FSIM's compressed range,
# a PSNR-like range in decibels, and a metric that falls with quality.
SCALES = {
    "fsim-like": (0.75, 1.0, 1.0),
    "psnr-like": (20.0, 45.0, 1.0),
    "falling": (0.0, 1.0, -1.0),
}


def dataset(scale: str, n: int = 60, seed: int = 0) -> tuple[NDArray[np.float64], ...]:
    """Scores and MOS with a sigmoid relation plus noise, as in IQA data."""
    low, high, direction = SCALES[scale]
    rng = np.random.default_rng(seed)
    scores = rng.uniform(low, high, n)
    middle, width = (low + high) / 2, (high - low) / 8
    mos = 1 + 4 / (1 + np.exp(-direction * (scores - middle) / width))
    return scores, mos + rng.normal(0, 0.2, n)


def documented_initial(
    scores: NDArray[np.float64], mos: NDArray[np.float64]
) -> tuple[float, ...]:
    """The initial values fit_logistic's docstring states, computed here."""
    sign = math.copysign(1.0, pearsonr(scores, mos).statistic)
    return (
        sign * (mos.max() - mos.min()),
        1 / scores.std(),
        scores.mean(),
        0.0,
        mos.mean(),
    )


@pytest.mark.parametrize("scale", list(SCALES))
@pytest.mark.parametrize("seed", [0, 1])
def test_rank_and_linear_correlations_are_scipys(scale: str, seed: int) -> None:
    scores, mos = dataset(scale, seed=seed)
    result = fsimlib.stats.correlate(scores, mos)
    # The same scipy functions on the same float64 arrays: bit-identical.
    assert result.srocc == spearmanr(scores, mos).statistic
    assert result.krocc == kendalltau(scores, mos).statistic
    assert result.plcc == pearsonr(scores, mos).statistic
    assert result.n == scores.size


@pytest.mark.parametrize("scale", list(SCALES))
def test_logistic_fit_is_curve_fit_from_the_documented_start(scale: str) -> None:
    scores, mos = dataset(scale)
    result = fsimlib.stats.correlate(scores, mos)
    assert result.fit is not None, result.fit_error
    expected_start = documented_initial(scores, mos)
    np.testing.assert_allclose(result.fit.initial, expected_start, rtol=1e-12)
    fitted, _ = curve_fit(
        fsimlib.stats.logistic_5, scores, mos, p0=expected_start, maxfev=20000
    )
    predicted = fsimlib.stats.logistic_5(scores, *fitted)
    # Same optimiser, same start, same data: equal to round-off.
    np.testing.assert_allclose(result.fit.parameters, fitted, rtol=1e-9)
    assert result.plcc_logistic == pytest.approx(
        pearsonr(predicted, mos).statistic, rel=1e-12
    )
    rmse = np.sqrt(np.mean((predicted - mos) ** 2))
    assert result.rmse == pytest.approx(rmse, rel=1e-9)


@pytest.mark.parametrize("scale", list(SCALES))
def test_logistic_fit_converges_to_the_noise_level(scale: str) -> None:
    """The data are a sigmoid plus N(0, 0.2) noise: a converged fit leaves
    an RMSE near 0.2 (well below the MOS spread of ~1.5) and raises PLCC."""
    scores, mos = dataset(scale, n=200)
    result = fsimlib.stats.correlate(scores, mos)
    assert result.fit_error is None
    assert 0.15 < result.rmse < 0.25
    assert abs(result.plcc_logistic) >= abs(result.plcc)
    assert result.plcc_logistic > 0.95  # the fit's output rises with MOS


def test_logistic_recovers_exact_data() -> None:
    scores = np.linspace(0.8, 1.0, 25)
    truth = (3.5, 60.0, 0.9, 2.0, 1.0)
    mos = fsimlib.stats.logistic_5(scores, *truth)
    fit = fsimlib.stats.fit_logistic(scores, mos)
    # Noise-free data: the fitted curve passes through every point.
    np.testing.assert_allclose(fit.predict(scores), mos, atol=1e-6)


def test_logistic_5_formula() -> None:
    x = np.array([0.0, 0.5, 1.0])
    b1, b2, b3, b4, b5 = 2.0, 3.0, 0.5, 0.25, 1.0
    expected = b1 * (0.5 - 1 / (1 + np.exp(b2 * (x - b3)))) + b4 * x + b5
    np.testing.assert_allclose(
        fsimlib.stats.logistic_5(x, b1, b2, b3, b4, b5), expected, rtol=1e-15
    )


def test_logistic_5_saturates_without_overflow_warning() -> None:
    # exp(1e4) overflows to inf; the logistic is then exactly -b1/2 + ...
    values = fsimlib.stats.logistic_5([-1.0, 1.0], 2.0, 1e4, 0.0, 0.0, 0.0)
    np.testing.assert_array_equal(values, [-1.0, 1.0])


def test_groups_equal_correlate_on_each_subset() -> None:
    scores, mos = dataset("fsim-like", n=40)
    labels = ["blur" if i % 3 else "noise" for i in range(40)]
    results = fsimlib.stats.correlate_groups(scores, mos, labels)
    assert list(results) == ["noise", "blur"]
    for label, result in results.items():
        members = [i for i, name in enumerate(labels) if name == label]
        expected = fsimlib.stats.correlate(scores[members], mos[members])
        assert result.as_dict() == expected.as_dict(), label


def test_constant_input_gives_nan_without_warnings() -> None:
    """pytest turns warnings into errors: scipy's ConstantInputWarning would fail."""
    result = fsimlib.stats.correlate(np.full(8, 0.9), np.arange(8.0))
    assert math.isnan(result.srocc)
    assert math.isnan(result.krocc)
    assert math.isnan(result.plcc)
    assert math.isnan(result.plcc_logistic)
    assert result.fit is None
    assert result.fit_error is not None
    assert "scores are all equal" in result.fit_error


def test_too_few_pairs_for_the_fit_leaves_it_undone() -> None:
    result = fsimlib.stats.correlate([0.7, 0.8, 0.9, 0.95], [1.0, 2.5, 3.0, 4.0])
    assert result.srocc == 1.0
    assert result.fit is None
    assert f"at least {MIN_FIT_PAIRS} pairs" in str(result.fit_error)
    assert math.isnan(result.rmse)
    assert result.as_dict()["logistic"] == {"error": result.fit_error}


@pytest.mark.parametrize(
    ("scores", "mos", "error", "match"),
    [
        ([0.1, 0.2, 0.3], [1.0, 2.0], ValueError, "same length, got 3 and 2"),
        ([0.1, 0.2], [1.0, 2.0], ValueError, "at least 3 pairs to correlate, got 2"),
        ([0.1, np.nan, 0.3], [1.0, 2.0, 3.0], ValueError, "scores contains NaN"),
        ([0.1, 0.2, 0.3], [1.0, np.inf, 3.0], ValueError, "mos contains NaN"),
        ([[0.1, 0.2, 0.3]], [1.0, 2.0, 3.0], ValueError, r"scores must be 1-D"),
        (["a", "b", "c"], [1.0, 2.0, 3.0], TypeError, "scores must be a sequence"),
    ],
)
def test_bad_input_is_named(
    scores: object, mos: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        fsimlib.stats.correlate(scores, mos)  # type: ignore[arg-type]


def test_group_errors_name_the_group() -> None:
    with pytest.raises(ValueError, match=r"group 'tiny': need at least 3 pairs"):
        fsimlib.stats.correlate_groups(
            [0.1, 0.2, 0.3, 0.4], [1, 2, 3, 4], ["a", "a", "a", "tiny"]
        )
    with pytest.raises(ValueError, match="one label per pair"):
        fsimlib.stats.correlate_groups([0.1, 0.2, 0.3], [1, 2, 3], ["a"])


def test_inputs_are_not_modified() -> None:
    scores, mos = dataset("psnr-like")
    before = scores.copy(), mos.copy()
    scores.flags.writeable = False
    mos.flags.writeable = False
    fsimlib.stats.correlate(scores, mos)
    np.testing.assert_array_equal(scores, before[0])
    np.testing.assert_array_equal(mos, before[1])


MOS7 = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]


@pytest.mark.parametrize(
    ("scores", "match"),
    [
        # The mean of seven 0.9s is not exactly 0.9: their std is 1e-16, and
        # the fit used to "succeed" with b2 = 9e15.
        ([0.9] * 7, r"scores are all equal \(they span 0\.0 around 0\.9"),
        ([0.9] * 6 + [0.9 + 2e-16], "scores are all equal"),
        ([0.9] * 6 + [0.91], r"at least 6 distinct scores, got 2 distinct among 7"),
        ([0.1, 0.1, 0.2, 0.2, 0.3, 0.4, 0.5], "at least 6 distinct scores, got 5"),
        ([0.9] * 5, "at least 6 pairs, got 5"),
    ],
)
def test_degenerate_scores_are_refused(scores: list[float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        fsimlib.stats.fit_logistic(scores, MOS7[: len(scores)])


def test_correlate_reports_no_rmse_for_constant_scores() -> None:
    # It used to report RMSE 1.5995 (here 2.43) from a degenerate fit.
    result = fsimlib.stats.correlate([0.9] * 7, MOS7)
    assert result.fit is None
    assert math.isnan(result.rmse)
    assert math.isnan(result.plcc_logistic)
    assert "scores are all equal" in str(result.fit_error)


def test_a_fit_with_non_finite_values_is_refused() -> None:
    from fsimlib.stats._logistic import _check_fitted

    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    _check_fitted((4.0, 1e4, 0.35, 0.0, 3.0), scores)  # steep but finite: kept
    with pytest.raises(ValueError, match="non-finite parameters"):
        _check_fitted((4.0, math.nan, 0.35, 0.0, 3.0), scores)
    with pytest.raises(ValueError, match="predictions of the scores are not finite"):
        _check_fitted((1.0, 1.0, 0.35, 1e308, 1.7e308), scores)


@settings(max_examples=60)
@given(
    scores=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=6, max_size=30),
    seed=st.integers(0, 2**32 - 1),
)
def test_fit_is_finite_or_a_value_error(scores: list[float], seed: int) -> None:
    x = np.array(scores)
    mos = np.random.default_rng(seed).uniform(1, 5, x.size)
    try:
        fit = fsimlib.stats.fit_logistic(x, mos)
    except ValueError:
        return  # a refusal is fine: a silent NaN is not
    assert all(math.isfinite(value) for value in fit.parameters)
    assert np.isfinite(fit.predict(x)).all()
