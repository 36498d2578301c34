"""Regression metrics: agreement with scikit-learn."""

import numpy as np
import pytest
from sklearn import metrics as skm

from validation.performance import (
    UndefinedMetricError,
    calibration_in_the_large,
    mae,
    r2,
    rmse,
)


def test_metrics_match_scikit_learn() -> None:
    rng = np.random.default_rng(3)
    y = rng.normal(50, 10, size=400)
    pred = y + rng.normal(2, 5, size=400)
    assert rmse(y, pred) == pytest.approx(np.sqrt(skm.mean_squared_error(y, pred)), rel=1e-12)
    assert mae(y, pred) == pytest.approx(skm.mean_absolute_error(y, pred), rel=1e-12)
    assert r2(y, pred) == pytest.approx(skm.r2_score(y, pred), rel=1e-12)


def test_calibration_in_the_large_is_observed_minus_predicted_mean() -> None:
    # Predictions two units too high on average -> -2 (overprediction is negative).
    assert calibration_in_the_large([1.0, 2.0, 3.0], [3.0, 4.0, 5.0]) == pytest.approx(-2.0)


def test_r2_of_constant_outcome_is_undefined_not_zero() -> None:
    with pytest.raises(UndefinedMetricError):
        r2([4.0, 4.0, 4.0], [3.0, 4.0, 5.0])
