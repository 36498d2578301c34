"""Binary and regression reports bundle the metrics with intervals."""

import math

import numpy as np
import pytest

from validation.performance import (
    TooFewEventsError,
    auprc,
    auroc,
    binary_report,
    brier,
    calibration_intercept,
    calibration_slope,
    log_loss,
    net_benefit,
    r2,
    regression_report,
    rmse,
    sensitivity_specificity,
)


@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(21)
    score = rng.normal(size=600)
    y = (rng.random(600) < 1 / (1 + np.exp(1.0 - 1.3 * score))).astype(int)
    p = 1 / (1 + np.exp(1.0 - score))
    return y, p


@pytest.fixture(scope="module")
def report(sample):
    y, p = sample
    return binary_report(y, p, threshold=0.4, n_boot=200, seed=5, thresholds=[0.1, 0.2, 0.3])


def test_binary_report_estimates_equal_the_metric_functions(sample, report) -> None:
    y, p = sample
    assert (report.n, report.events) == (600, int(y.sum()))
    assert report.auroc.estimate == auroc(y, p)
    assert report.auprc.estimate == auprc(y, p)
    assert report.brier.estimate == brier(y, p)
    assert report.log_loss.estimate == log_loss(y, p)
    assert report.calibration_slope.estimate == calibration_slope(y, p)
    assert report.calibration_intercept.estimate == calibration_intercept(y, p)
    sens, spec = sensitivity_specificity(y, p, 0.4)
    assert (report.sensitivity.estimate, report.specificity.estimate) == (sens, spec)
    assert report.decision_curve.model == net_benefit(y, p, [0.1, 0.2, 0.3]).model


def test_binary_report_intervals_bracket_the_estimates(report) -> None:
    for name in ("auroc", "auprc", "brier", "log_loss", "calibration_slope", "sensitivity"):
        ci = getattr(report, name)
        assert ci.lower <= ci.estimate <= ci.upper, name
    curve = report.decision_curve
    assert curve.model_lower is not None and curve.model_upper is not None
    for low, mid, high in zip(curve.model_lower, curve.model, curve.model_upper, strict=True):
        assert low <= mid <= high
    # The outcome's true slope on logit(p) is 1.3: the interval excludes 1 at n=600.
    assert report.calibration_slope.lower > 1.0
    assert all(b.events >= 5 and b.non_events >= 5 for b in report.calibration_curve.bins)


def test_binary_report_is_reproducible_for_a_seed(sample, report) -> None:
    y, p = sample
    again = binary_report(y, p, threshold=0.4, n_boot=200, seed=5, thresholds=[0.1, 0.2, 0.3])
    assert again == report


def test_constant_prediction_reports_nan_slope_instead_of_failing() -> None:
    y = np.array([0, 1] * 20)
    result = binary_report(y, np.full(40, 0.5), n_boot=20)
    assert result.auroc.estimate == 0.5
    assert math.isnan(result.calibration_slope.estimate)
    assert math.isnan(result.calibration_slope.lower)
    assert result.calibration_intercept.estimate == pytest.approx(0.0, abs=1e-9)


def test_binary_report_refuses_too_few_events() -> None:
    y = np.array([1, 1, 1] + [0] * 40)
    with pytest.raises(TooFewEventsError):
        binary_report(y, np.linspace(0.05, 0.95, 43), n_boot=10)


def test_regression_report() -> None:
    rng = np.random.default_rng(8)
    y = rng.normal(70, 12, size=300)
    pred = y + rng.normal(1.0, 6.0, size=300)
    result = regression_report(y, pred, n_boot=200, seed=1)
    assert result.n == 300
    assert result.rmse.estimate == rmse(y, pred)
    assert result.r2.estimate == r2(y, pred)
    assert result.calibration_in_the_large.estimate == pytest.approx(y.mean() - pred.mean())
    for ci in (result.rmse, result.mae, result.r2, result.calibration_in_the_large):
        assert ci.lower < ci.estimate < ci.upper
    assert regression_report(y, pred, n_boot=200, seed=1) == result
