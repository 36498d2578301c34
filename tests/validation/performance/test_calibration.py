"""Calibration slope and intercept: known logistic models and hand-derived cases."""

import numpy as np
import pytest
from scipy.special import expit, logit

from validation.performance import UndefinedMetricError, calibration_intercept, calibration_slope


@pytest.fixture(scope="module")
def true_model() -> tuple[np.ndarray, np.ndarray]:
    """Large sample from a known logistic model: y ~ Bernoulli(expit(true_logit))."""
    rng = np.random.default_rng(2024)
    true_logit = rng.normal(-0.5, 1.5, size=200_000)
    y = (rng.random(true_logit.size) < expit(true_logit)).astype(int)
    return y, true_logit


def test_true_probabilities_give_slope_one_and_intercept_zero(true_model) -> None:
    y, true_logit = true_model
    p = expit(true_logit)
    assert calibration_slope(y, p) == pytest.approx(1.0, abs=0.03)
    assert calibration_intercept(y, p) == pytest.approx(0.0, abs=0.02)


def test_overconfident_predictions_give_slope_one_half(true_model) -> None:
    y, true_logit = true_model
    # logit(p) = 2 * true logit, so y ~ 0.5 * logit(p): slope 0.5.
    assert calibration_slope(y, expit(2 * true_logit)) == pytest.approx(0.5, abs=0.02)


@pytest.mark.parametrize("shift", [-0.5, 0.7])
def test_shifted_logits_give_minus_the_shift_as_intercept(true_model, shift: float) -> None:
    y, true_logit = true_model
    # logit(p) = true logit + shift, so the true model is y ~ -shift + offset(logit(p)).
    assert calibration_intercept(y, expit(true_logit + shift)) == pytest.approx(-shift, abs=0.02)


def test_intercept_hand_derived_for_constant_prediction() -> None:
    # Everyone predicted 0.2, observed rate 0.5: the MLE of a is logit(0.5) - logit(0.2) = log 4.
    y = [1, 0] * 10
    assert calibration_intercept(y, [0.2] * 20) == pytest.approx(np.log(4.0), abs=1e-9)


def test_slope_scales_inversely_with_sharpened_logits() -> None:
    # Exact MLE reparametrisation: if logit(p2) = c * logit(p1) then slope2 = slope1 / c.
    rng = np.random.default_rng(5)
    p1 = rng.uniform(0.05, 0.95, size=80)
    y = (rng.random(80) < p1).astype(int)
    p2 = expit(3.0 * logit(p1))
    assert calibration_slope(y, p2) == pytest.approx(calibration_slope(y, p1) / 3.0, rel=1e-8)


def test_matches_statsmodels_glm() -> None:
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(11)
    p = rng.uniform(0.02, 0.98, size=500)
    y = (rng.random(500) < expit(0.8 * logit(p) + 0.3)).astype(int)
    lp = logit(p)
    full = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit()
    offset = sm.GLM(y, np.ones((500, 1)), family=sm.families.Binomial(), offset=lp).fit()
    assert calibration_slope(y, p) == pytest.approx(full.params[1], abs=1e-7)
    assert calibration_intercept(y, p) == pytest.approx(offset.params[0], abs=1e-7)


def test_probabilities_of_exactly_zero_and_one_are_clipped() -> None:
    y = [0, 0, 1, 1, 0, 1, 1, 0]
    p = [0.0, 0.3, 1.0, 0.6, 0.7, 0.4, 0.8, 0.1]
    assert np.isfinite(calibration_slope(y, p))
    assert np.isfinite(calibration_intercept(y, p))


def test_constant_prediction_has_no_slope() -> None:
    with pytest.raises(UndefinedMetricError, match="same"):
        calibration_slope([0, 1, 0, 1], [0.3, 0.3, 0.3, 0.3])


def test_separated_outcome_has_no_slope() -> None:
    # Every event is predicted higher than every non-event: the MLE slope is infinite.
    with pytest.raises(UndefinedMetricError):
        calibration_slope([0, 0, 0, 1, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.8])


def test_single_class_has_no_intercept() -> None:
    with pytest.raises(UndefinedMetricError):
        calibration_intercept([0, 0, 0], [0.1, 0.2, 0.3])
