"""Net benefit and decision curves (Vickers and Elkin 2006).

At a threshold probability ``pt`` a clinician treats persons whose predicted risk reaches
``pt``. The net benefit counts true positives and charges each false positive the odds
``pt / (1 - pt)``, the exchange rate between the harm of an unnecessary treatment and the
benefit of a necessary one that ``pt`` implies::

    net benefit = TP / n - FP / n * pt / (1 - pt)

A model is useful at ``pt`` when its net benefit beats both "treat all" and "treat none"
(which is always 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from validation.performance._inputs import FloatArray, binary_inputs

# Thresholds 0.01, 0.02, ..., 0.99: the usual full decision curve.
DEFAULT_THRESHOLDS: tuple[float, ...] = tuple(round(0.01 * i, 2) for i in range(1, 100))


@dataclass(frozen=True)
class DecisionCurve:
    """Net benefit of the model and of the two default strategies, per threshold."""

    thresholds: tuple[float, ...]  # threshold probabilities pt, in increasing order
    model: tuple[float, ...]  # net benefit of treating persons with p >= pt
    treat_all: tuple[float, ...]  # net benefit of treating everyone
    treat_none: tuple[float, ...]  # net benefit of treating no one (always 0)
    model_lower: tuple[float, ...] | None = None  # bootstrap CI lower bound, if computed
    model_upper: tuple[float, ...] | None = None  # bootstrap CI upper bound, if computed


def net_benefit(
    y_true: ArrayLike, p: ArrayLike, thresholds: ArrayLike = DEFAULT_THRESHOLDS
) -> DecisionCurve:
    """Decision curve: net benefit of the model, treat-all and treat-none at each threshold.

    Args:
        y_true: Observed outcome, 0 or 1.
        p: Predicted probability of outcome 1.
        thresholds: Threshold probabilities, each in [0, 1). A person is treated when
            ``p >= threshold``.

    Returns:
        The decision curve, thresholds sorted in increasing order.

    Raises:
        ValueError: If a threshold is outside [0, 1) or there are none.
    """
    y, prob = binary_inputs(y_true, p)
    pts = _check_thresholds(thresholds)
    model = net_benefit_values(y, prob, pts)
    prevalence = y.mean()
    treat_all = prevalence - (1.0 - prevalence) * pts / (1.0 - pts)
    return DecisionCurve(
        thresholds=tuple(pts.tolist()),
        model=tuple(model.tolist()),
        treat_all=tuple(treat_all.tolist()),
        treat_none=(0.0,) * pts.size,
    )


def net_benefit_values(y: FloatArray, prob: FloatArray, thresholds: FloatArray) -> FloatArray:
    """Model net benefit at each threshold, for already-checked arrays.

    Vectorised over thresholds (one sort, then binary searches), so the bootstrap can call it
    once per replicate for the whole curve.
    """
    n = y.size
    event_p = np.sort(prob[y == 1.0])
    non_event_p = np.sort(prob[y == 0.0])
    # Persons with p >= pt are treated: count those at or above each threshold.
    true_pos = event_p.size - np.searchsorted(event_p, thresholds, side="left")
    false_pos = non_event_p.size - np.searchsorted(non_event_p, thresholds, side="left")
    result: FloatArray = true_pos / n - false_pos / n * thresholds / (1.0 - thresholds)
    return result


def _check_thresholds(thresholds: ArrayLike) -> FloatArray:
    pts = np.sort(np.asarray(thresholds, dtype=np.float64).ravel())
    if pts.size == 0:
        raise ValueError("thresholds is empty; give at least one threshold probability.")
    if not np.isfinite(pts).all() or pts.min() < 0.0 or pts.max() >= 1.0:
        raise ValueError("Each threshold must be a probability in [0, 1).")
    return pts
