"""How well scores predict human opinion: SROCC, KROCC, PLCC and RMSE.

The statistics are scipy's; the nonlinear mapping before PLCC and RMSE is
the five-parameter logistic of the VQEG FR-TV Phase II report, as used by
Sheikh, Sabir and Bovik (2006) and by the FSIM paper.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Fewest pairs a correlation is computed on.
MIN_PAIRS = 3
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
    >>> fsimlib.logistic_5([0.5], 4.0, 10.0, 0.5, 0.0, 3.0)
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
    >>> fit = fsimlib.LogisticFit(parameters, initial=parameters)
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


def _paired(scores: ArrayLike, mos: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    """Validate two equally long 1-D finite float sequences."""
    arrays = []
    for name, values in (("scores", scores), ("mos", mos)):
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as error:
            msg = f"{name} must be a sequence of numbers: {error}"
            raise TypeError(msg) from error
        if array.ndim != 1:
            msg = f"{name} must be 1-D, got shape {array.shape}"
            raise ValueError(msg)
        if not np.isfinite(array).all():
            msg = f"{name} contains NaN or infinite values; expected finite numbers"
            raise ValueError(msg)
        arrays.append(array)
    if arrays[0].shape != arrays[1].shape:
        msg = (
            f"scores and mos must have the same length, got {arrays[0].size} "
            f"and {arrays[1].size}"
        )
        raise ValueError(msg)
    if arrays[0].size < MIN_PAIRS:
        msg = f"need at least {MIN_PAIRS} pairs to correlate, got {arrays[0].size}"
        raise ValueError(msg)
    return tuple(arrays)


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
    >>> mos = fsimlib.logistic_5(scores, 5.0, 40.0, 0.9, 0.0, 3.0)
    >>> fit = fsimlib.fit_logistic(scores, mos)
    >>> bool(np.allclose(fit.predict(scores), mos, atol=1e-6))
    True
    """
    from scipy.optimize import OptimizeWarning, curve_fit
    from scipy.stats import pearsonr

    x, y = _paired(scores, mos)
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


@dataclass(frozen=True)
class Correlation:
    """Agreement of objective scores with subjective ones.

    Correlations are signed: against DMOS (lower is better) a good metric
    has negative SROCC, KROCC and raw PLCC.

    Attributes
    ----------
    n : int
        Number of pairs.
    srocc : float
        Spearman rank-order correlation.
    krocc : float
        Kendall rank-order correlation (tau-b).
    plcc : float
        Pearson linear correlation of the raw scores.
    plcc_logistic : float
        Pearson correlation after the logistic mapping (NaN if the fit
        failed; see ``fit_error``).
    rmse : float
        Root mean square error of the logistic's predictions, in MOS units
        (NaN if the fit failed).
    fit : LogisticFit or None
        The fitted logistic, or None if it failed.
    fit_error : str or None
        Why the fit failed, or None.

    Examples
    --------
    >>> import fsimlib
    >>> result = fsimlib.correlate([0.7, 0.8, 0.9, 0.95], [1.0, 2.5, 3.0, 4.0])
    >>> result.n, result.srocc, sorted(result.as_dict())[:3]
    (4, 1.0, ['krocc', 'logistic', 'n'])
    """

    n: int
    srocc: float
    krocc: float
    plcc: float
    plcc_logistic: float
    rmse: float
    fit: LogisticFit | None
    fit_error: str | None

    def as_dict(self) -> dict[str, object]:
        """Return the statistics as plain Python values, e.g. for JSON.

        Returns
        -------
        dict
            ``n``, the five statistics, and ``logistic`` (the fitted and
            initial parameters, or the reason the fit failed).
        """
        logistic: dict[str, object]
        if self.fit is None:
            logistic = {"error": self.fit_error}
        else:
            logistic = {
                "parameters": list(self.fit.parameters),
                "initial": list(self.fit.initial),
            }
        return {
            "n": self.n,
            "srocc": self.srocc,
            "krocc": self.krocc,
            "plcc": self.plcc,
            "plcc_logistic": self.plcc_logistic,
            "rmse": self.rmse,
            "logistic": logistic,
        }


def correlate(scores: ArrayLike, mos: ArrayLike, /) -> Correlation:
    """Correlate scores with MOS: SROCC, KROCC, PLCC; PLCC, RMSE after a fit.

    SROCC, KROCC and PLCC are :func:`scipy.stats.spearmanr`,
    :func:`scipy.stats.kendalltau` (tau-b) and :func:`scipy.stats.pearsonr`
    of the raw scores.  The scores are then mapped by
    :func:`fit_logistic`, and PLCC and RMSE computed between the mapped
    scores and the MOS, the protocol of the VQEG and of the FSIM paper.

    Parameters
    ----------
    scores : array_like
        Objective scores (e.g. FSIM), 1-D, at least 3.
    mos : array_like
        Subjective scores (MOS or DMOS) of the same pairs.

    Returns
    -------
    Correlation
        The statistics.  A correlation with a constant input is NaN, and a
        logistic fit that fails (or is not made, for fewer than 6 pairs)
        leaves ``plcc_logistic`` and ``rmse`` NaN with the reason in
        ``fit_error``.

    Raises
    ------
    ValueError
        For inputs of different lengths, fewer than 3 pairs, or non-finite
        values.
    TypeError
        For inputs that are not numbers.

    See Also
    --------
    correlate_groups : the same, per group.

    Examples
    --------
    >>> import numpy as np
    >>> import fsimlib
    >>> rng = np.random.default_rng(0)
    >>> scores = rng.uniform(0.8, 1.0, 50)
    >>> mos = 9 * scores + rng.normal(0, 0.05, 50)
    >>> result = fsimlib.correlate(scores, mos)
    >>> result.n, round(result.srocc, 2), round(result.plcc_logistic, 2)
    (50, 0.99, 1.0)
    """
    from scipy.stats import kendalltau, pearsonr, spearmanr

    x, y = _paired(scores, mos)
    constant = float(np.ptp(x)) == 0.0 or float(np.ptp(y)) == 0.0
    if constant:
        # scipy warns and returns NaN; say NaN without the warning.
        srocc = krocc = plcc = math.nan
    else:
        srocc = float(spearmanr(x, y).statistic)
        krocc = float(kendalltau(x, y).statistic)
        plcc = float(pearsonr(x, y).statistic)
    fit: LogisticFit | None = None
    fit_error: str | None = None
    plcc_logistic = rmse = math.nan
    try:
        fit = fit_logistic(x, y)
    except ValueError as error:
        fit_error = str(error)
    else:
        predicted = fit.predict(x)
        rmse = float(np.sqrt(np.mean((predicted - y) ** 2)))
        if float(np.ptp(predicted)) > 0.0 and not constant:
            plcc_logistic = float(pearsonr(predicted, y).statistic)
    return Correlation(
        n=int(x.size),
        srocc=srocc,
        krocc=krocc,
        plcc=plcc,
        plcc_logistic=plcc_logistic,
        rmse=rmse,
        fit=fit,
        fit_error=fit_error,
    )


def correlate_groups(
    scores: ArrayLike, mos: ArrayLike, groups: Iterable[Hashable], /
) -> Mapping[Hashable, Correlation]:
    """:func:`correlate` within each group, e.g. per distortion type.

    Parameters
    ----------
    scores, mos : array_like
        As for :func:`correlate`.
    groups : iterable
        A label per pair (e.g. the distortion type), same length.

    Returns
    -------
    dict
        Group label to :class:`Correlation`, in order of first appearance.

    Raises
    ------
    ValueError
        As :func:`correlate`, naming the group, and if ``groups`` has the
        wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> import fsimlib
    >>> scores = np.array([0.9, 0.95, 0.99, 0.8, 0.85, 0.97])
    >>> mos = np.array([3.1, 4.0, 4.9, 2.0, 2.2, 4.5])
    >>> labels = ["blur", "blur", "blur", "noise", "noise", "noise"]
    >>> results = fsimlib.correlate_groups(scores, mos, labels)
    >>> {label: result.srocc for label, result in results.items()}
    {'blur': 1.0, 'noise': 1.0}
    """
    labels = list(groups)
    x = np.asarray(scores, dtype=np.float64)
    y = np.asarray(mos, dtype=np.float64)
    if len(labels) != x.size or len(labels) != y.size:
        msg = (
            f"groups must hold one label per pair: got {len(labels)} labels "
            f"for {x.size} scores and {y.size} mos values"
        )
        raise ValueError(msg)
    members: dict[Hashable, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(label, []).append(index)
    results: dict[Hashable, Correlation] = {}
    for label, indices in members.items():
        try:
            results[label] = correlate(x[indices], y[indices])
        except ValueError as error:
            msg = f"group {label!r}: {error}"
            raise ValueError(msg) from error
    return results
