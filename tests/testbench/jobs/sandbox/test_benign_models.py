"""A benign model gives, in the sandbox, exactly the numbers today's in-process job gives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from testbench.jobs.estimators import permutation_importance_rows, predict
from testbench.jobs.sandbox import (
    REGRESSION,
    FitOutcome,
    FitRequest,
    ImportanceRequest,
    MembershipRequest,
    ModelCode,
    SandboxLimits,
    check_model_release,
    run_sandboxed,
    run_sandboxed_batch,
    run_unsandboxed,
)
from testbench.spec.estimator import build_estimator
from validation.privacy.membership import membership_inference

if TYPE_CHECKING:
    from conftest import Cohort

pytestmark = pytest.mark.timeout(120)

PIPELINE = """\
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def build_model():
    columns = make_column_transformer(
        (StandardScaler(), ["age", "weight"]), (OneHotEncoder(), ["kommune"])
    )
    return make_pipeline(columns, LogisticRegression())
"""

BOOSTING = """\
from sklearn.ensemble import GradientBoostingRegressor


def build_model():
    return GradientBoostingRegressor(n_estimators=30, max_depth=2, random_state=3)
"""


def _today(request: FitRequest) -> tuple[np.ndarray, list, dict | None]:
    """Prediction, importance and membership as the job computed them before the sandbox:
    the estimator built and fitted here, then predicted, permuted and attacked."""
    assert request.importance is not None
    code = request.code
    model = clone(build_estimator(code.source, Path(code.filename), code.function, request.task))
    model.fit(request.train_x, pd.Series(request.train_y))
    test = request.predict["test"]
    prediction = predict(model, test, request.task)
    importance = permutation_importance_rows(
        model, test, request.importance.y, request.task, request.importance.seed
    )
    membership = None
    if request.membership is not None:
        attack = membership_inference(
            model,
            request.train_x,
            request.train_y,
            test,
            request.membership.y,
            seed=request.membership.seed,
        )
        membership = {"auc": float(attack.auc), "advantage": float(attack.advantage)}
    return prediction, importance, membership


def _assert_same(outcome: FitOutcome, today: tuple[np.ndarray, list, dict | None]) -> None:
    prediction, importance, membership = today
    assert outcome.predictions["test"].tobytes() == prediction.tobytes()
    assert outcome.importance == importance
    assert outcome.membership == membership


def test_a_pipeline_gives_the_numbers_of_an_unsandboxed_fit(
    sandbox: None, cohort: Cohort, tmp_path: Path, binary_request: Callable[..., FitRequest]
) -> None:
    request = binary_request(cohort, PIPELINE, inspect=True, export_model=True)

    outcome = run_sandboxed(request, SandboxLimits(), tmp_path / "job.log")

    _assert_same(outcome, _today(request))
    in_process = run_unsandboxed(request)
    _assert_same(
        outcome, (in_process.predictions["test"], in_process.importance, in_process.membership)
    )
    assert outcome.estimator == "Pipeline(LogisticRegression)"
    assert not outcome.instance_based
    assert "sklearn.linear_model._logistic.LogisticRegression" in outcome.model_types
    assert outcome.model_types == in_process.model_types
    assert outcome.model_file is not None
    assert check_model_release(outcome.model_file, len(cohort.train), 3).released


def test_gradient_boosting_regression_gives_the_same_numbers(
    sandbox: None, cohort: Cohort, tmp_path: Path
) -> None:
    y_train = cohort.train["age"].to_numpy() * 0.5 + cohort.train["weight"].to_numpy()
    y_test = cohort.test["age"].to_numpy() * 0.5 + cohort.test["weight"].to_numpy()
    features = cohort.train[["age", "weight"]]
    request = FitRequest(
        code=ModelCode(BOOSTING),
        task=REGRESSION,
        train_x=features,
        train_y=y_train,
        predict={"test": cohort.test[["age", "weight"]]},
        importance=ImportanceRequest("test", y_test, seed=11),
        membership=MembershipRequest("test", y_test, seed=11),
    )

    outcome = run_sandboxed(request, SandboxLimits(), tmp_path / "job.log")

    _assert_same(outcome, _today(request))
    assert outcome.estimator == "GradientBoostingRegressor"
    assert outcome.model_file is None


def test_the_folds_of_a_regime_fit_in_one_sandbox_with_each_folds_numbers(
    sandbox: None, cohort: Cohort, tmp_path: Path, binary_request: Callable[..., FitRequest]
) -> None:
    whole = binary_request(cohort, PIPELINE)
    folds = [
        replace(whole, train_x=whole.train_x.iloc[rows], train_y=whole.train_y[rows])
        for rows in (slice(0, 200), slice(100, 300), slice(0, 300, 2))
    ]

    outcomes = run_sandboxed_batch(folds, SandboxLimits(), tmp_path / "job.log")

    for fold, outcome in zip(folds, outcomes, strict=True):
        expected = run_unsandboxed(fold).predictions["test"]
        assert outcome.predictions["test"].tobytes() == expected.tobytes()
    assert len({o.predictions["test"].tobytes() for o in outcomes}) == 3
