"""The units of work of a validation job: pure, picklable, idempotent Ray tasks.

A validation job is folds x regimes fits, then bootstrap chunks per regime. Each task
is a pure function of its argument, so Ray may run it on any worker and retry it after
a worker dies with the same result. Results hold predictions for the test rows: they
stay inside the job (inside the lake boundary); only aggregates built from them leave.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from validation.performance import (
    DEFAULT_THRESHOLDS,
    auprc,
    auroc,
    binary_replicates,
    brier,
    mae,
    r2,
    regression_replicates,
    rmse,
)
from validation.performance.errors import UndefinedMetricError

BINARY = "binary_classification"
REGRESSION = "regression"
# Metrics reported per cross-validation fold (the bootstrap covers the test set).
CV_METRICS: dict[str, dict[str, Callable[[Any, Any], float]]] = {
    BINARY: {"auroc": auroc, "auprc": auprc, "brier": brier},
    REGRESSION: {"rmse": rmse, "mae": mae, "r2": r2},
}


@dataclass(frozen=True)
class FitTask:
    """Fit one model on one training set and predict one test set."""

    regime: str  # "TRTR", "TSTR" or "TSTS"
    fold: int | None  # cross-validation fold number; None for the final fit on all training rows
    task: str  # BINARY or REGRESSION
    train: pd.DataFrame  # features and target of the training rows
    test: pd.DataFrame  # features and target of the rows to predict
    features: tuple[str, ...]  # model inputs
    target: str  # outcome column
    model_factory: Callable[[], BaseEstimator]  # builds the SME's unfitted estimator


@dataclass(frozen=True)
class FitResult:
    """What one fit returns to the job (predictions stay inside the job)."""

    regime: str  # as in FitTask
    fold: int | None  # as in FitTask
    prediction: np.ndarray  # probability of 1 (binary) or predicted value, per test row
    cv_metrics: dict[str, float]  # CV_METRICS on this task's test rows (NaN when undefined)
    estimator: str = ""  # class name of the fitted model (its last step for a pipeline)
    instance_based: bool = False  # k-NN / SVM: never released
    model: BaseEstimator | None = None  # the fitted model of a final fit (job-internal)
    seconds: float = 0.0  # wall-clock time of the task


def fit_task(task: FitTask) -> FitResult:
    """Fit a fresh model from ``task.model_factory`` and predict ``task.test``.

    Idempotent: the same task gives the same result (the SME's estimator is expected to
    fix its own random_state).

    Raises:
        ValueError: the training rows of a binary task hold only one outcome class.
    """
    start = time.perf_counter()
    y_train = task.train[task.target]
    if task.task == BINARY and y_train.nunique() < 2:
        raise ValueError(
            f"{task.regime}: the training rows hold only one outcome class; use more persons"
        )
    model = clone(task.model_factory())
    x_train, x_test = task.train[list(task.features)], task.test[list(task.features)]
    model.fit(x_train, y_train)
    prediction = _predict(model, x_test, task.task)
    y_test = task.test[task.target].to_numpy(dtype=float)
    return FitResult(
        regime=task.regime,
        fold=task.fold,
        prediction=prediction,
        cv_metrics={
            name: _metric_or_nan(fn, y_test, prediction)
            for name, fn in CV_METRICS[task.task].items()
        },
        estimator=_estimator_name(model),
        instance_based=_instance_based(model),
        model=model if task.fold is None else None,
        seconds=time.perf_counter() - start,
    )


@dataclass(frozen=True)
class InspectTask:
    """Look inside one fitted final model: permutation importance, and for the model that may
    be released (trained on real data) a membership-inference attack."""

    regime: str  # as in FitTask
    task: str  # BINARY or REGRESSION
    model: BaseEstimator  # the fitted final model
    train: pd.DataFrame  # its training rows (features and target)
    test: pd.DataFrame  # its test rows
    features: tuple[str, ...]  # model inputs
    target: str  # outcome column
    seed: int  # seeds the permutations and the attack's samples
    membership: bool  # run the membership attack


@dataclass(frozen=True)
class InspectResult:
    """Aggregates from one :class:`InspectTask`."""

    regime: str  # as in InspectTask
    importance: list[dict[str, float | str]]  # feature, mean, sd; most important first
    membership: dict[str, float] | None  # attack AUC and advantage, when asked


def inspect_task(task: InspectTask) -> InspectResult:
    """Permutation importance on the test rows, and the membership attack when asked."""
    x_test = task.test[list(task.features)]
    y_test = task.test[task.target].to_numpy(dtype=float)
    importance = _permutation_importance(task.model, x_test, y_test, task.task, task.seed)
    membership = None
    if task.membership:
        from validation.privacy.membership import membership_inference

        attack = membership_inference(
            task.model,
            task.train[list(task.features)],
            task.train[task.target].to_numpy(),
            x_test,
            y_test,
            seed=task.seed,
        )
        membership = {"auc": float(attack.auc), "advantage": float(attack.advantage)}
    return InspectResult(task.regime, importance, membership)


@dataclass(frozen=True)
class BootTask:
    """Compute some bootstrap replicates of one regime's test-set metrics."""

    regime: str  # as in FitTask
    task: str  # BINARY or REGRESSION
    y: np.ndarray  # observed outcome of the test rows
    prediction: np.ndarray  # the final model's prediction for them
    replicates: range  # which replicates (chunks stack in order to one serial pass)
    seed: int  # bootstrap seed of the whole run
    threshold: float  # sensitivity/specificity cut-off (binary)


def boot_task(task: BootTask) -> np.ndarray:
    """The bootstrap statistics of ``task.replicates`` (idempotent: seeded per replicate)."""
    if task.task == BINARY:
        return binary_replicates(
            task.y,
            task.prediction,
            task.replicates,
            seed=task.seed,
            threshold=task.threshold,
            thresholds=DEFAULT_THRESHOLDS,
        )
    return regression_replicates(task.y, task.prediction, task.replicates, seed=task.seed)


def chunks(n_boot: int, size: int) -> list[range]:
    """Replicate indices ``0..n_boot-1`` cut into consecutive ranges of at most ``size``."""
    return [range(a, min(a + size, n_boot)) for a in range(0, n_boot, size)]


def _predict(model: BaseEstimator, x: pd.DataFrame, task: str) -> np.ndarray:
    if task == BINARY:
        if not hasattr(model, "predict_proba"):
            raise ValueError(
                f"{type(model).__name__} has no predict_proba; a binary_classification model "
                "must give probabilities (e.g. LogisticRegression, or wrap it in "
                "CalibratedClassifierCV)"
            )
        return np.asarray(model.predict_proba(x))[:, 1].astype(float)
    return np.asarray(model.predict(x), dtype=float)


def _metric_or_nan(fn: Callable[[Any, Any], float], y: np.ndarray, p: np.ndarray) -> float:
    try:
        return float(fn(y, p))
    except (UndefinedMetricError, ValueError):
        return float("nan")


def _permutation_importance(
    model: BaseEstimator, x: pd.DataFrame, y: np.ndarray, kind: str, seed: int
) -> list[dict[str, float | str]]:
    from sklearn.inspection import permutation_importance

    scoring = "roc_auc" if kind == BINARY else "neg_root_mean_squared_error"
    if kind == BINARY and len(np.unique(y)) < 2:
        return []
    found = permutation_importance(
        model, x, y, scoring=scoring, n_repeats=5, random_state=seed, n_jobs=1
    )
    rows: list[dict[str, float | str]] = [
        {"feature": name, "mean": float(mean), "sd": float(sd)}
        for name, mean, sd in zip(
            x.columns, found.importances_mean, found.importances_std, strict=True
        )
    ]
    return sorted(rows, key=lambda row: -float(row["mean"]))


def _last_step(model: BaseEstimator) -> BaseEstimator:
    while hasattr(model, "steps"):
        model = model.steps[-1][1]
    return model


def _estimator_name(model: BaseEstimator) -> str:
    inner = _last_step(model)
    return type(inner).__name__ if inner is model else f"Pipeline({type(inner).__name__})"


def _instance_based(model: BaseEstimator) -> bool:
    from validation.privacy.membership import is_instance_based

    return bool(is_instance_based(model))
