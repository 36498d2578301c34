"""Discrimination and accuracy metrics for a binary outcome.

All functions take the observed outcome ``y_true`` (0/1) and the predicted probability of
outcome 1, ``p``, and return a float. They agree with scikit-learn's ``roc_auc_score``,
``average_precision_score``, ``brier_score_loss`` and ``log_loss`` (the tests check this) but
are written on NumPy directly, because the bootstrap calls them hundreds of times per run and
scikit-learn's input checks dominate at that rate.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata

from validation.performance._inputs import EPS, binary_inputs, require_both_classes
from validation.performance.errors import UndefinedMetricError


class SensitivitySpecificity(NamedTuple):
    """Sensitivity and specificity at one probability threshold."""

    sensitivity: float  # true-positive rate: treated events / all events
    specificity: float  # true-negative rate: untreated non-events / all non-events


def auroc(y_true: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve (the concordance statistic).

    Computed as the Mann-Whitney U statistic with mid-ranks for ties, which equals
    scikit-learn's ``roc_auc_score``.

    Args:
        y_true: Observed outcome, 0 or 1.
        p: Predicted probability of outcome 1.

    Returns:
        AUROC in [0, 1]; 0.5 is chance.

    Raises:
        UndefinedMetricError: If only one outcome class is present.
    """
    y, prob = binary_inputs(y_true, p)
    require_both_classes(y, "AUROC")
    n_pos = y.sum()
    n_neg = y.size - n_pos
    ranks = rankdata(prob)
    return float((ranks[y == 1.0].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auprc(y_true: ArrayLike, p: ArrayLike) -> float:
    """Area under the precision-recall curve, as average precision.

    Same definition as scikit-learn's ``average_precision_score``: the sum over distinct
    thresholds of (increase in recall) x (precision), with no interpolation.

    Args:
        y_true: Observed outcome, 0 or 1.
        p: Predicted probability of outcome 1.

    Returns:
        Average precision in [0, 1]; chance level is the prevalence.

    Raises:
        UndefinedMetricError: If there are no events.
    """
    y, prob = binary_inputs(y_true, p)
    if y.sum() == 0:
        raise UndefinedMetricError("AUPRC needs at least one event; got none.")
    order = np.argsort(-prob, kind="mergesort")
    sorted_prob = prob[order]
    # The last index of each run of tied scores is one point on the curve.
    cut = np.r_[np.flatnonzero(np.diff(sorted_prob)), y.size - 1]
    true_pos = np.cumsum(y[order])[cut]
    precision = true_pos / (cut + 1)
    recall = true_pos / true_pos[-1]
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


def brier(y_true: ArrayLike, p: ArrayLike) -> float:
    """Brier score: mean squared difference between ``p`` and the outcome (lower is better)."""
    y, prob = binary_inputs(y_true, p)
    return float(np.mean((prob - y) ** 2))


def log_loss(y_true: ArrayLike, p: ArrayLike) -> float:
    """Mean negative log-likelihood (cross-entropy) of the outcome under ``p``.

    ``p`` is clipped to [eps, 1 - eps] (float64 machine epsilon), as scikit-learn does, so a
    confident wrong prediction costs about 36 nats instead of infinity.
    """
    y, prob = binary_inputs(y_true, p)
    clipped = np.clip(prob, EPS, 1.0 - EPS)
    return float(-np.mean(y * np.log(clipped) + (1.0 - y) * np.log1p(-clipped)))


def sensitivity_specificity(
    y_true: ArrayLike, p: ArrayLike, threshold: float = 0.5
) -> SensitivitySpecificity:
    """Sensitivity and specificity when persons with ``p >= threshold`` are called positive.

    ``>=`` matches the decision-curve convention (treat when risk reaches the threshold).

    Args:
        y_true: Observed outcome, 0 or 1.
        p: Predicted probability of outcome 1.
        threshold: Probability at or above which a person is called positive.

    Returns:
        ``SensitivitySpecificity(sensitivity, specificity)``.

    Raises:
        UndefinedMetricError: If only one outcome class is present.
    """
    y, prob = binary_inputs(y_true, p)
    require_both_classes(y, "Sensitivity and specificity")
    positive = prob >= threshold
    events = y == 1.0
    return SensitivitySpecificity(
        sensitivity=float(np.mean(positive[events])),
        specificity=float(np.mean(~positive[~events])),
    )


def sensitivity(y_true: ArrayLike, p: ArrayLike, threshold: float = 0.5) -> float:
    """Sensitivity alone; see :func:`sensitivity_specificity`."""
    return sensitivity_specificity(y_true, p, threshold).sensitivity


def specificity(y_true: ArrayLike, p: ArrayLike, threshold: float = 0.5) -> float:
    """Specificity alone; see :func:`sensitivity_specificity`."""
    return sensitivity_specificity(y_true, p, threshold).specificity
