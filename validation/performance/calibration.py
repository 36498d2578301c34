"""Calibration slope and calibration-in-the-large for a binary outcome.

Both come from an unpenalised logistic regression of the outcome on the logit of the
predicted probability (Cox 1958; Van Calster et al. 2019):

* slope: ``logit P(y=1) = a + b * logit(p)``; ``b`` is the slope. 1 is ideal, below 1 means
  predictions are too extreme (overfitting), above 1 too modest.
* intercept (calibration-in-the-large): ``logit P(y=1) = a + logit(p)``, i.e. ``logit(p)`` as an
  offset with the slope fixed at 1; ``a`` is the intercept. 0 is ideal, below 0 means risks are
  overestimated on average.

scikit-learn's ``LogisticRegression`` penalises by default and so shrinks the slope; the fit
here is plain Newton-Raphson (IRLS) with step halving, in NumPy.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from validation.performance._inputs import (
    FloatArray,
    binary_inputs,
    clipped_logit,
    require_both_classes,
)
from validation.performance.errors import UndefinedMetricError

_MAX_ITER = 100
_TOLERANCE = 1e-10
# A coefficient this large means the outcome is (quasi-)separated by logit(p): the maximum
# likelihood estimate does not exist, and reporting a huge number would mislead.
_MAX_ABS_COEFFICIENT = 1e4


def calibration_slope(y_true: ArrayLike, p: ArrayLike) -> float:
    """Calibration slope: coefficient of ``logit(p)`` in a logistic regression of ``y_true``.

    ``p`` is clipped away from 0 and 1 before the logit.

    Args:
        y_true: Observed outcome, 0 or 1.
        p: Predicted probability of outcome 1.

    Returns:
        The slope; 1 for a well-calibrated model.

    Raises:
        UndefinedMetricError: If only one outcome class is present, every ``p`` is the same,
            or the outcome is separated by ``p`` so the fit does not converge.
    """
    y, prob = binary_inputs(y_true, p)
    require_both_classes(y, "Calibration slope")
    linear_predictor = clipped_logit(prob)
    if np.ptp(linear_predictor) == 0.0:
        raise UndefinedMetricError(
            "Calibration slope is undefined when every predicted probability is the same."
        )
    design = np.column_stack([np.ones_like(linear_predictor), linear_predictor])
    start = np.array([0.0, 1.0])  # the perfectly calibrated model
    coefficients = fit_logistic(design, y, offset=np.zeros_like(y), start=start)
    return float(coefficients[1])


def calibration_intercept(y_true: ArrayLike, p: ArrayLike) -> float:
    """Calibration-in-the-large: intercept of a logistic regression with ``logit(p)`` as offset.

    Args:
        y_true: Observed outcome, 0 or 1.
        p: Predicted probability of outcome 1.

    Returns:
        The intercept on the log-odds scale; 0 for a model whose average risk is right.

    Raises:
        UndefinedMetricError: If only one outcome class is present.
    """
    y, prob = binary_inputs(y_true, p)
    require_both_classes(y, "Calibration intercept")
    design = np.ones((y.size, 1))
    coefficients = fit_logistic(design, y, offset=clipped_logit(prob), start=np.zeros(1))
    return float(coefficients[0])


def fit_logistic(
    design: NDArray[np.float64],
    y: FloatArray,
    *,
    offset: FloatArray,
    start: FloatArray,
) -> FloatArray:
    """Maximum-likelihood logistic regression by Newton-Raphson with step halving.

    Args:
        design: Design matrix, shape (n, k); include a column of ones for an intercept.
        y: Outcome, 0 or 1, shape (n,).
        offset: Known part of the linear predictor, shape (n,).
        start: Starting coefficients, shape (k,).

    Returns:
        The fitted coefficients, shape (k,).

    Raises:
        UndefinedMetricError: If the fit does not converge (separation) or the design is
            singular.
    """
    coefficients = start.astype(np.float64, copy=True)
    eta = offset + design @ coefficients
    loss = _negative_log_likelihood(eta, y)
    for _ in range(_MAX_ITER):
        mu = expit(eta)
        gradient = design.T @ (y - mu)
        hessian = (design.T * (mu * (1.0 - mu))) @ design
        if _nearly_singular(hessian):
            raise UndefinedMetricError(
                "Logistic calibration fit is singular: logit(p) does not vary enough or "
                "separates the outcome."
            )
        step = np.linalg.solve(hessian, gradient)
        # Halve the step until the likelihood does not get worse; Newton can overshoot
        # when predictions are far from calibrated.
        for _ in range(60):
            candidate = coefficients + step
            candidate_eta = offset + design @ candidate
            candidate_loss = _negative_log_likelihood(candidate_eta, y)
            if candidate_loss <= loss * (1.0 + 1e-12) + 1e-12:
                break
            step = step / 2.0
        converged = np.max(np.abs(step)) < _TOLERANCE * (1.0 + np.max(np.abs(coefficients)))
        coefficients, eta, loss = candidate, candidate_eta, candidate_loss
        if np.max(np.abs(coefficients)) > _MAX_ABS_COEFFICIENT:
            break
        if converged:
            return coefficients
    raise UndefinedMetricError(
        "Logistic calibration fit did not converge: the outcome is (nearly) separated by "
        "logit(p), so the calibration slope or intercept has no finite estimate."
    )


def _nearly_singular(hessian: NDArray[np.float64]) -> bool:
    """True if the Hessian, scaled to unit diagonal, has a determinant near 0."""
    scale = np.sqrt(np.diag(hessian))
    if not np.all(scale > 0.0):
        return True
    return bool(np.linalg.det(hessian / np.outer(scale, scale)) < 1e-12)


def _negative_log_likelihood(eta: FloatArray, y: FloatArray) -> float:
    # log(1 + exp(eta)) - y * eta, written to stay finite for large |eta|.
    return float(np.sum(np.logaddexp(0.0, eta) - y * eta))
