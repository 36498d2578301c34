"""Accuracy metrics for a continuous outcome.

They agree with scikit-learn's ``mean_squared_error`` (square-rooted), ``mean_absolute_error``
and ``r2_score`` except where R² is undefined (constant outcome): scikit-learn then returns
0 or 1 by convention, here it raises :class:`UndefinedMetricError` so the bootstrap records
NaN rather than a made-up number.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from validation.performance._inputs import regression_inputs
from validation.performance.errors import UndefinedMetricError


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error, in the outcome's units."""
    y, pred = regression_inputs(y_true, y_pred)
    return float(np.sqrt(np.mean((y - pred) ** 2)))


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error, in the outcome's units."""
    y, pred = regression_inputs(y_true, y_pred)
    return float(np.mean(np.abs(y - pred)))


def r2(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination: 1 - residual sum of squares / total sum of squares.

    Raises:
        UndefinedMetricError: If ``y_true`` is constant.
    """
    y, pred = regression_inputs(y_true, y_pred)
    total = np.sum((y - y.mean()) ** 2)
    if total == 0.0:
        raise UndefinedMetricError("R² is undefined when the outcome is the same for everyone.")
    return float(1.0 - np.sum((y - pred) ** 2) / total)


def calibration_in_the_large(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean observed minus mean predicted outcome; 0 is ideal, positive means underprediction."""
    y, pred = regression_inputs(y_true, y_pred)
    return float(y.mean() - pred.mean())
