"""Statistics of scores against opinion: correlation and the logistic fit.

SROCC, KROCC and PLCC (:func:`correlate`, :func:`correlate_groups`), and
the five-parameter logistic that maps scores to opinion before PLCC and
RMSE (:func:`fit_logistic`, :func:`logistic_5`).

Examples
--------
>>> from fsimlib import stats
>>> result = stats.correlate([0.1, 0.4, 0.35, 0.8], [1.0, 2.5, 2.0, 4.0])
>>> round(result.srocc, 3)
1.0
"""

from ._correlation import Correlation, correlate, correlate_groups
from ._logistic import LogisticFit, fit_logistic, logistic_5

__all__ = [
    "Correlation",
    "LogisticFit",
    "correlate",
    "correlate_groups",
    "fit_logistic",
    "logistic_5",
]
