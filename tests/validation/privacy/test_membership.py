"""Release check: instance-based detection and the loss-threshold membership attack."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, StackingClassifier, VotingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier, RadiusNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from validation.privacy import MembershipResult, is_instance_based, membership_inference


@pytest.mark.parametrize(
    "estimator",
    [
        Pipeline([("scale", StandardScaler()), ("knn", KNeighborsClassifier())]),
        SVC(),
        SVR(),
        RadiusNeighborsRegressor(),
        GridSearchCV(make_pipeline(StandardScaler(), SVC()), {"svc__C": [1.0]}),
        VotingClassifier([("lr", LogisticRegression()), ("knn", KNeighborsClassifier())]),
        StackingClassifier([("tree", DecisionTreeClassifier())], final_estimator=SVC()),
        CalibratedClassifierCV(KNeighborsClassifier()),
        make_pipeline(ColumnTransformer([("scale", StandardScaler(), [0])]), SVC()),
    ],
    ids=lambda e: type(e).__name__,
)
def test_instance_based_models_are_found_wherever_they_sit(estimator) -> None:
    assert is_instance_based(estimator)


@pytest.mark.parametrize(
    "estimator",
    [
        LogisticRegression(),
        make_pipeline(StandardScaler(), LogisticRegression()),
        LinearSVC(),  # liblinear keeps coefficients, not rows
        GradientBoostingClassifier(),
        GridSearchCV(DecisionTreeClassifier(), {"max_depth": [2, 3]}),
        VotingClassifier([("lr", LogisticRegression()), ("tree", DecisionTreeClassifier())]),
    ],
    ids=lambda e: type(e).__name__,
)
def test_parametric_models_are_not_instance_based(estimator) -> None:
    assert not is_instance_based(estimator)


def test_a_fitted_search_over_knn_is_instance_based() -> None:
    X, y = _noisy_classification(200, seed=0)
    search = GridSearchCV(
        make_pipeline(StandardScaler(), KNeighborsClassifier()),
        {"kneighborsclassifier__n_neighbors": [3, 5]},
        cv=2,
    ).fit(X, y)
    assert is_instance_based(search)


def _noisy_classification(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Ten features, a weak signal in two of them, and 30% of labels flipped."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 10))
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=rows) > 0).astype(int)
    flip = rng.random(rows) < 0.3
    return X, np.where(flip, 1 - y, y)


def test_an_overfit_tree_leaks_membership_and_a_regularised_model_does_not() -> None:
    X, y = _noisy_classification(1_200, seed=1)
    X_train, y_train, X_out, y_out = X[:600], y[:600], X[600:], y[600:]

    deep_tree = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
    logistic = LogisticRegression(C=0.1).fit(X_train, y_train)

    leak = membership_inference(deep_tree, X_train, y_train, X_out, y_out, seed=3)
    safe = membership_inference(logistic, X_train, y_train, X_out, y_out, seed=3)

    assert isinstance(leak, MembershipResult)
    assert leak.auc > 0.7
    assert leak.advantage > 0.4
    assert abs(safe.auc - 0.5) < 0.06
    assert safe.advantage < 0.15
    assert (leak.n_members, leak.n_non_members) == (600, 600)


def test_membership_samples_are_balanced_and_seeded() -> None:
    X, y = _noisy_classification(900, seed=2)
    tree = DecisionTreeClassifier(max_depth=6, random_state=0).fit(X[:700], y[:700])

    first = membership_inference(tree, X[:700], y[:700], X[700:], y[700:], seed=5)
    again = membership_inference(tree, X[:700], y[:700], X[700:], y[700:], seed=5)

    assert (first.n_members, first.n_non_members) == (200, 200)
    assert first == again


def test_regression_uses_squared_error() -> None:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(800, 5))
    y = X[:, 0] + rng.normal(scale=2.0, size=800)

    deep = DecisionTreeRegressor(random_state=0).fit(X[:400], y[:400])
    ridge = Ridge(alpha=10.0).fit(X[:400], y[:400])

    assert membership_inference(deep, X[:400], y[:400], X[400:], y[400:]).auc > 0.8
    assert abs(membership_inference(ridge, X[:400], y[:400], X[400:], y[400:]).auc - 0.5) < 0.07


def test_a_class_the_model_never_saw_costs_the_largest_loss() -> None:
    X, y = _noisy_classification(300, seed=6)
    model = LogisticRegression().fit(X[:200], y[:200])
    y_out = np.full(100, 7)  # a label absent from training: the model gives it probability 0

    result = membership_inference(model, X[:200], y[:200], X[200:], y_out, seed=0)

    assert result.auc == 1.0


def test_membership_refuses_unfitted_models_and_mismatched_rows() -> None:
    X, y = _noisy_classification(100, seed=7)
    with pytest.raises(NotFittedError):
        membership_inference(LinearRegression(), X, y, X, y)
    model = LinearRegression().fit(X, y)
    with pytest.raises(ValueError, match="matching rows"):
        membership_inference(model, X, y[:50], X, y)
