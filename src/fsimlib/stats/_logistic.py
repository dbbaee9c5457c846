"""The five-parameter logistic that maps objective scores to opinion.

The mapping of the VQEG FR-TV Phase II report, as used by Sheikh, Sabir and
Bovik (2006) and by the FSIM paper, fitted before PLCC and RMSE.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._paired import paired

#: Fewest pairs the logistic is fitted to: one more than its parameters,
#: since five points are always fitted exactly (PLCC 1, RMSE 0).
MIN_FIT_PAIRS = 6


def logistic_5(  # noqa: PLR0917 - curve_fit passes parameters positionally
    x: ArrayLike, b1: float, b2: float, b3: float, b4: float, b5: float
) -> NDArray[np.float64]:
    """Map objective scores to MOS by the five-parameter logistic.

    ``q(x) = b1 * (1/2 - 1 / (1 + exp(b2 * (x - b3)))) + b4 * x + b5``
    (VQEG FR-TV Phase II; Sheikh et al., 2006).

    Parameters
    ----------
    x : array_like
        Objective scores.
    b1, b2, b3, b4, b5 : float
        Amplitude, slope and midpoint of the logistic, then slope and
        offset of its linear term.

    Returns
    -------
    ndarray of float64
        The predicted MOS, of the shape of ``x``.

    Examples
    --------
    >>> import fsimlib
    >>> fsimlib.stats.logistic_5([0.5], 4.0, 10.0, 0.5, 0.0, 3.0)
    array([3.])
    """
    scores = np.asarray(x, dtype=np.float64)
    # exp overflows to inf for very steep fits; 1 / (1 + inf) is then 0,
    # which is the right limit, so the warning says nothing useful.
    with np.errstate(over="ignore"):
        logistic = 0.5 - 1.0 / (1.0 + np.exp(b2 * (scores - b3)))
    return np.asarray(b1 * logistic + b4 * scores + b5, dtype=np.float64)


@dataclass(frozen=True)
class LogisticFit:
    """The five-parameter logistic fitted from scores to MOS.

    Attributes
    ----------
    parameters : tuple of float
        ``(b1, b2, b3, b4, b5)`` of :func:`logistic_5`.
    initial : tuple of float
        The starting point of the fit (see :func:`fit_logistic`).

    Examples
    --------
    >>> import fsimlib
    >>> parameters = (4.0, 10.0, 0.5, 0.0, 3.0)
    >>> fit = fsimlib.stats.LogisticFit(parameters, initial=parameters)
    >>> fit.predict([0.5]).tolist()
    [3.0]
    """

    parameters: tuple[float, float, float, float, float]
    initial: tuple[float, float, float, float, float]

    def predict(self, scores: ArrayLike) -> NDArray[np.float64]:
        """MOS predicted from ``scores`` by the fitted logistic.

        Parameters
        ----------
        scores : array_like
            Objective scores.

        Returns
        -------
        ndarray of float64
            :func:`logistic_5` of ``scores`` with the fitted parameters.
        """
        return logistic_5(scores, *self.parameters)


def fit_logistic(scores: ArrayLike, mos: ArrayLike, /) -> LogisticFit:
    """Fit the five-parameter logistic from scores to MOS by least squares.

    The fit is :func:`scipy.optimize.curve_fit` (Levenberg-Marquardt)
    from these initial values, chosen so that they suit any score scale,
    including FSIM's, whose scores crowd into about [0.8, 1]:

    * ``b1 = sign(r) * (max(mos) - min(mos))``: the logistic spans the MOS
      range, rising or falling with the Pearson correlation ``r`` (so DMOS
      works as well as MOS);
    * ``b2 = 1 / std(scores)``: the transition is as wide as the spread of
      the scores (a fixed slope such as 10 is nearly linear on FSIM's
      narrow range and far too steep for scores in the hundreds);
    * ``b3 = mean(scores)``: the midpoint at the centre of the scores;
    * ``b4 = 0``: no linear term to start with;
    * ``b5 = mean(mos)``: ``q(b3)`` is the mean MOS.

    Parameters
    ----------
    scores : array_like
        Objective scores, 1-D, at least 6 distinct values.
    mos : array_like
        Subjective scores (MOS or DMOS) of the same pairs.

    Returns
    -------
    LogisticFit
        The fitted and the initial parameters.

    Raises
    ------
    ValueError
        For inputs of different lengths, fewer than 6 pairs or 6 distinct
        scores, non-finite values, scores that are equal (up to round-off:
        a range of at most 1e-12 of their magnitude), or a fit that does
        not converge (non-finite parameters or predictions): a fit never
        returns NaN or infinite values.

    Examples
    --------
    >>> import numpy as np
    >>> import fsimlib
    >>> scores = np.linspace(0.8, 1.0, 20)
    >>> mos = fsimlib.stats.logistic_5(scores, 5.0, 40.0, 0.9, 0.0, 3.0)
    >>> fit = fsimlib.stats.fit_logistic(scores, mos)
    >>> bool(np.allclose(fit.predict(scores), mos, atol=1e-6))
    True
    """
    from scipy.optimize import OptimizeWarning, curve_fit
    from scipy.stats import pearsonr

    x, y = paired(scores, mos)
    if x.size < MIN_FIT_PAIRS:
        msg = (
            f"fitting the 5-parameter logistic needs at least {MIN_FIT_PAIRS} "
            f"pairs, got {x.size}"
        )
        raise ValueError(msg)
    _check_scores_spread(x)
    spread = float(np.std(x))
    direction = 1.0
    if float(np.ptp(y)) > 0.0:
        direction = math.copysign(1.0, float(pearsonr(x, y).statistic))
    initial = (
        direction * float(np.ptp(y)),
        1.0 / spread,
        float(np.mean(x)),
        0.0,
        float(np.mean(y)),
    )
    try:
        with warnings.catch_warnings():
            # The covariance of the parameters is not used: an estimate
            # that cannot be made is no failure of the fit.
            warnings.simplefilter("ignore", OptimizeWarning)
            fitted, _ = curve_fit(logistic_5, x, y, p0=initial, maxfev=20000)
    except RuntimeError as error:
        msg = f"the logistic fit did not converge: {error}"
        raise ValueError(msg) from error
    parameters = tuple(float(value) for value in fitted)
    _check_fitted(parameters, x)
    return LogisticFit(parameters, initial)  # type: ignore[arg-type]


#: Scores whose range is at most this fraction of their magnitude differ by
#: round-off only (some 4500 ulps): no curve can be fitted to them.
ROUND_OFF_SPREAD = 1e-12


def _check_scores_spread(x: NDArray[np.float64]) -> None:
    """Raise if the scores are equal up to round-off, or too few differ."""
    spread = float(np.ptp(x))
    magnitude = float(np.max(np.abs(x)))
    if spread <= ROUND_OFF_SPREAD * magnitude:
        msg = (
            f"scores are all equal (they span {spread!r} around {float(x[0])!r}, "
            f"at most {ROUND_OFF_SPREAD:g} of their size); a logistic cannot be "
            "fitted to them"
        )
        raise ValueError(msg)
    distinct = int(np.unique(x).size)
    if distinct < MIN_FIT_PAIRS:
        msg = (
            f"fitting the 5-parameter logistic needs at least {MIN_FIT_PAIRS} "
            f"distinct scores, got {distinct} distinct among {x.size}: with "
            "fewer, the curve passes through every group of equal scores "
            "whatever their values"
        )
        raise ValueError(msg)


def _check_fitted(parameters: tuple[float, ...], x: NDArray[np.float64]) -> None:
    """Raise if a fit has non-finite parameters or predictions."""
    if not all(math.isfinite(value) for value in parameters):
        msg = "the logistic fit did not converge: non-finite parameters"
        raise ValueError(msg)
    with np.errstate(over="ignore", invalid="ignore"):  # reported below
        predictions = logistic_5(x, *parameters)
    if not np.isfinite(predictions).all():
        msg = (
            "the logistic fit did not converge: its predictions of the "
            f"scores are not finite (parameters {parameters})"
        )
        raise ValueError(msg)
