"""Release check for fitted models: instance-based models and a membership-inference attack.

Before a model trained inside a lake may leave it, SACRO-ML's rules apply: a model whose
fitted state holds training rows (k-NN, support-vector machines, kernel ridge, Gaussian
processes) is never released, and any other model must not reveal who was in its training
set. The attack here is the loss-threshold attack of Yeom et al. (2018): a model fits its
training rows better than unseen ones, so a low loss says "member". Its ROC AUC is 0.5 for a
model that generalises and approaches 1 for one that memorised its training data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
from sklearn.kernel_ridge import KernelRidge
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.neighbors import (
    KernelDensity,
    KNeighborsClassifier,
    KNeighborsRegressor,
    KNeighborsTransformer,
    LocalOutlierFactor,
    NearestNeighbors,
    RadiusNeighborsClassifier,
    RadiusNeighborsRegressor,
    RadiusNeighborsTransformer,
)
from sklearn.svm import SVC, SVR, NuSVC, NuSVR, OneClassSVM
from sklearn.utils.validation import check_is_fitted

# Estimators whose fitted state stores training rows (the libsvm ones keep support vectors).
INSTANCE_BASED_TYPES: tuple[type, ...] = (
    KNeighborsClassifier,
    KNeighborsRegressor,
    KNeighborsTransformer,
    RadiusNeighborsClassifier,
    RadiusNeighborsRegressor,
    RadiusNeighborsTransformer,
    NearestNeighbors,
    LocalOutlierFactor,
    KernelDensity,
    SVC,
    NuSVC,
    SVR,
    NuSVR,
    OneClassSVM,
    KernelRidge,
    GaussianProcessClassifier,
    GaussianProcessRegressor,
)

# Fitted attributes that hold training rows, for estimators outside scikit-learn
# (sklearn's own neighbours keep ``_fit_X``, libsvm models ``support_vectors_``).
_STORED_ROW_ATTRIBUTES = ("support_vectors_", "_fit_X", "X_fit_", "X_train_")

# Fitted attributes of meta-estimators that hold their inner estimators.
_FITTED_INNER = (
    "best_estimator_",
    "estimator_",
    "estimators_",
    "final_estimator_",
    "calibrated_classifiers_",
    "base_estimator_",
)

# Probabilities are clipped here so an unseen class costs a large but finite loss.
_PROBABILITY_FLOOR = 1e-15


@dataclass(frozen=True)
class MembershipResult:
    """Outcome of the loss-threshold membership-inference attack on one fitted model."""

    auc: float  # ROC AUC of "lower loss means member"; 0.5 = no leak, 1 = every member found
    advantage: float  # max over thresholds of TPR - FPR (Yeom's membership advantage), in [0, 1]
    n_members: int  # training rows attacked (a balanced sample)
    n_non_members: int  # held-out rows attacked, as many as members


def is_instance_based(estimator: Any) -> bool:
    """Whether an estimator, or any estimator inside it, stores training rows.

    Looks through pipelines, column transformers, feature unions, search and ensemble
    meta-estimators (their parameters and, once fitted, their fitted inner estimators).

    Args:
        estimator: an sklearn estimator or meta-estimator, fitted or not.

    Returns:
        True for k-NN and radius neighbours, libsvm models (SVC, SVR, NuSVC, NuSVR,
        OneClassSVM), kernel ridge, Gaussian processes, kernel density and outlier factor,
        and for any fitted estimator carrying a stored-rows attribute such as
        ``support_vectors_``; False otherwise.
    """
    return any(
        isinstance(inner, INSTANCE_BASED_TYPES)
        or any(hasattr(inner, attribute) for attribute in _STORED_ROW_ATTRIBUTES)
        for inner in _estimators_within(estimator)
    )


def membership_inference(
    model: Any,
    X_train: Any,
    y_train: Any,
    X_out: Any,
    y_out: Any,
    seed: int = 0,
) -> MembershipResult:
    """Loss-threshold membership-inference attack on a fitted model.

    Computes each row's loss under ``model`` (log loss of the true class for classifiers,
    squared error for regressors), draws as many non-members as members (the smaller group
    sets the size) and scores the attack "member when the loss is low" by ROC AUC and its
    best TPR - FPR.

    Args:
        model: the fitted estimator to be released; a classifier needs ``predict_proba``.
        X_train: the rows it was trained on (members).
        y_train: their outcomes.
        X_out: rows it never saw (non-members), e.g. the test set.
        y_out: their outcomes.
        seed: seed of the balanced sampling.

    Returns:
        MembershipResult with the AUC and the advantage.

    Raises:
        sklearn.exceptions.NotFittedError: ``model`` is not fitted; fit it first.
        ValueError: a group has no rows, or X and y lengths differ.
    """
    check_is_fitted(model)
    member_loss = _row_loss(model, X_train, y_train)
    outside_loss = _row_loss(model, X_out, y_out)
    n = min(len(member_loss), len(outside_loss))
    if n == 0:
        raise ValueError("Both training and held-out rows are needed for the membership attack.")
    rng = np.random.default_rng(seed)
    members = rng.choice(member_loss, size=n, replace=False)
    outsiders = rng.choice(outside_loss, size=n, replace=False)
    is_member = np.r_[np.ones(n), np.zeros(n)]
    score = -np.r_[members, outsiders]  # the attack's confidence that a row is a member
    fpr, tpr, _ = roc_curve(is_member, score)
    return MembershipResult(
        auc=float(roc_auc_score(is_member, score)),
        advantage=float(np.max(tpr - fpr)),
        n_members=n,
        n_non_members=n,
    )


def _row_loss(model: Any, X: Any, y: Any) -> np.ndarray:
    """Per-row loss of ``model``: -log p(true class) for classifiers, squared error otherwise."""
    y = np.asarray(y).ravel()
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}; pass matching rows.")
    if len(y) == 0:
        return np.empty(0)
    if is_classifier(model) or hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X), dtype=float)
        classes = np.asarray(model.classes_)
        # Column of each row's true class; a class the model never saw gets probability 0.
        position = np.searchsorted(classes, y).clip(0, len(classes) - 1)
        known = classes[position] == y
        p_true = np.where(known, proba[np.arange(len(y)), position], 0.0)
        return -np.log(np.clip(p_true, _PROBABILITY_FLOOR, 1.0))
    predicted = np.asarray(model.predict(X), dtype=float).ravel()
    return (y.astype(float) - predicted) ** 2


def _estimators_within(estimator: Any) -> Iterable[Any]:
    """The estimator and every estimator nested in it, each once."""
    seen: set[int] = set()
    stack = [estimator]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, (list, tuple)):
            stack.extend(item)  # steps, (name, estimator) pairs, fitted estimator lists
            continue
        if isinstance(item, dict):
            stack.extend(item.values())
            continue
        if isinstance(item, type) or not hasattr(item, "fit"):
            # "passthrough", "drop", column lists; calibration wrappers hold an estimator.
            if hasattr(item, "estimator"):
                stack.append(item.estimator)
            continue
        yield item
        if hasattr(item, "get_params"):
            stack.extend(item.get_params(deep=False).values())
        stack.extend(getattr(item, name) for name in _FITTED_INNER if hasattr(item, name))
