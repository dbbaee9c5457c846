"""How well scores predict human opinion: SROCC, KROCC, PLCC and RMSE.

The statistics are scipy's; the nonlinear mapping before PLCC and RMSE is
the five-parameter logistic (:mod:`fsimlib.stats._logistic`).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ._logistic import LogisticFit, fit_logistic
from ._paired import paired


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
    >>> result = fsimlib.stats.correlate([0.7, 0.8, 0.9, 0.95], [1.0, 2.5, 3.0, 4.0])
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
    >>> result = fsimlib.stats.correlate(scores, mos)
    >>> result.n, round(result.srocc, 2), round(result.plcc_logistic, 2)
    (50, 0.99, 1.0)
    """
    from scipy.stats import kendalltau, pearsonr, spearmanr

    x, y = paired(scores, mos)
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
    >>> results = fsimlib.stats.correlate_groups(scores, mos, labels)
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
