"""What the job does with a fitted estimator: predict, permutation importance, name it.

Used on both sides of the sandbox: inside it on the SME's fitted model
(:mod:`testbench.jobs.sandbox.compute`), and by nothing that would load that model here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

BINARY = "binary_classification"
REGRESSION = "regression"


def predict(model: BaseEstimator, x: pd.DataFrame, task: str) -> np.ndarray:
    """P(outcome = 1) per row for a binary task, else the predicted value (float64)."""
    if task == BINARY:
        if not hasattr(model, "predict_proba"):
            raise ValueError(
                f"{type(model).__name__} has no predict_proba; a binary_classification model "
                "must give probabilities (e.g. LogisticRegression, or wrap it in "
                "CalibratedClassifierCV)"
            )
        return np.asarray(model.predict_proba(x))[:, 1].astype(float)
    return np.asarray(model.predict(x), dtype=float)


def permutation_importance_rows(
    model: BaseEstimator, x: pd.DataFrame, y: np.ndarray, kind: str, seed: int
) -> list[dict[str, float | str]]:
    """Permutation importance on ``x``: feature, mean, sd; most important first (5 repeats)."""
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


def last_step(model: BaseEstimator) -> BaseEstimator:
    """The last step of a (nested) pipeline, or the model itself."""
    while hasattr(model, "steps"):
        model = model.steps[-1][1]
    return model


def estimator_name(model: BaseEstimator) -> str:
    """The model's class name, as ``Pipeline(LastStep)`` for a pipeline."""
    inner = last_step(model)
    return type(inner).__name__ if inner is model else f"Pipeline({type(inner).__name__})"


def is_instance_based_model(model: BaseEstimator) -> bool:
    """k-NN, SVM and the like, wherever they sit in the model: never released."""
    from validation.privacy.membership import is_instance_based

    return bool(is_instance_based(model))
