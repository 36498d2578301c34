"""Train one model on one data set and score it on a real test set."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import roc_auc_score


@dataclass(frozen=True)
class TrainTask:
    """Everything one training task needs; picklable, so it can go to a Ray worker."""

    regime: str  # "TRTR" (train real, test real) or "TSTR" (train synthetic, test real)
    train: pd.DataFrame  # training cohort
    test: pd.DataFrame  # real held-out cohort, the same for every regime
    features: list[str]  # model inputs
    target: str  # binary outcome column
    model: BaseEstimator  # unfitted scikit-learn estimator or pipeline; cloned before fitting


@dataclass(frozen=True)
class TrainResult:
    """Aggregate result of one task: no rows, no predictions per person."""

    regime: str  # as in TrainTask
    auroc: float  # area under the ROC curve on the real test set
    n_train: int  # training rows
    n_test: int  # test rows
    seconds: float  # wall-clock time of fit + score


def train_and_score(task: TrainTask) -> TrainResult:
    """Fit a fresh copy of the model on ``task.train``; AUROC on ``task.test``.

    Raises:
        ValueError: the training or test set holds only one outcome class.
    """
    start = time.perf_counter()
    for name, frame in (("training", task.train), ("test", task.test)):
        if frame[task.target].nunique() < 2:
            raise ValueError(
                f"{task.regime}: the {name} set has only one outcome class; use more persons"
            )
    estimator = clone(task.model)
    estimator.fit(task.train[task.features], task.train[task.target])
    scores = estimator.predict_proba(task.test[task.features])[:, 1]
    return TrainResult(
        regime=task.regime,
        auroc=float(roc_auc_score(task.test[task.target], scores)),
        n_train=len(task.train),
        n_test=len(task.test),
        seconds=time.perf_counter() - start,
    )
