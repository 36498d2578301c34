"""Input checks shared by the metric functions.

Every public metric accepts array-likes (lists, NumPy arrays, pandas Series) and converts them
here, so that each metric reports bad input with the same clear message.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from validation.performance.errors import UndefinedMetricError

FloatArray = NDArray[np.float64]

# Probabilities are clipped to [EPS, 1 - EPS] before taking logs or logits. This is the
# float64 machine epsilon, the same clip scikit-learn's log_loss uses.
EPS = float(np.finfo(np.float64).eps)


def as_vector(values: ArrayLike, name: str) -> FloatArray:
    """Convert ``values`` to a finite, non-empty 1-D float64 array.

    Raises:
        ValueError: If ``values`` is not 1-D, is empty or holds NaN or infinity.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {array.shape}.")
    if array.size == 0:
        raise ValueError(f"{name} is empty; a metric needs at least one observation.")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds NaN or infinite values; drop or impute them first.")
    return array


def is_binary(values: ArrayLike) -> bool:
    """Return True when every value is 0 or 1 (booleans count)."""
    array = np.asarray(values, dtype=np.float64)
    return bool(np.isin(array, (0.0, 1.0)).all())


def binary_inputs(y_true: ArrayLike, p: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Check a binary outcome and its predicted probabilities.

    Args:
        y_true: Observed outcome, 0 or 1 per person.
        p: Predicted probability of outcome 1, in [0, 1], same length as ``y_true``.

    Returns:
        ``(y, p)`` as float64 arrays.

    Raises:
        ValueError: On a length mismatch, an outcome other than 0/1 or a probability
            outside [0, 1].
    """
    y = as_vector(y_true, "y_true")
    prob = as_vector(p, "p")
    if y.size != prob.size:
        raise ValueError(f"y_true has {y.size} values but p has {prob.size}; they must match.")
    if not is_binary(y):
        raise ValueError("y_true must hold only 0 and 1 (1 = the outcome occurred).")
    if prob.min() < 0.0 or prob.max() > 1.0:
        raise ValueError("p must be probabilities in [0, 1]; pass predict_proba(X)[:, 1].")
    return y, prob


def regression_inputs(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Check a continuous outcome and its predictions.

    Raises:
        ValueError: On a length mismatch or non-finite values.
    """
    y = as_vector(y_true, "y_true")
    pred = as_vector(y_pred, "y_pred")
    if y.size != pred.size:
        raise ValueError(f"y_true has {y.size} values but y_pred has {pred.size}; they must match.")
    return y, pred


def require_both_classes(y: FloatArray, metric: str) -> None:
    """Raise UndefinedMetricError unless ``y`` holds at least one 0 and one 1."""
    events = int(y.sum())
    if events == 0 or events == y.size:
        raise UndefinedMetricError(
            f"{metric} needs both outcome classes; got {events} events among {y.size} persons."
        )


def clipped_logit(p: FloatArray) -> FloatArray:
    """Logit of ``p`` after clipping it to [EPS, 1 - EPS], so 0 and 1 stay finite."""
    clipped = np.clip(p, EPS, 1.0 - EPS)
    return np.log(clipped) - np.log1p(-clipped)
