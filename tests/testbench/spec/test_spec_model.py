"""Building the SME's model from a spec, the spec's hash, and shipping it to a worker."""

from __future__ import annotations

import hashlib
import pickle
import shutil

import numpy as np
import pytest
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline

from testbench.spec import load_spec
from testbench.spec.errors import SpecError

PIPELINE = """\
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.linear_model import LogisticRegression


def build_model():
    return make_pipeline(StandardScaler(), LogisticRegression())
"""


def _build_error(write_spec, model: str, task: str = "binary_classification") -> str:
    path = write_spec(model=model, replace={"task: binary_classification": f"task: {task}"})
    spec = load_spec(path)
    with pytest.raises(SpecError) as caught:
        spec.build_model()
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_build_model_returns_a_fresh_unfitted_classifier(write_spec) -> None:
    spec = load_spec(write_spec(model=PIPELINE))
    first, second = spec.build_model(), spec.build_model()
    assert isinstance(first, Pipeline) and is_classifier(first)
    assert first is not second
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    y = (x[:, 0] > 0).astype(int)
    assert first.fit(x, y).score(x, y) > 0.9
    assert not hasattr(second[-1], "coef_")  # fitting one left the other untouched


def test_missing_function(write_spec) -> None:
    message = _build_error(write_spec, "def other():\n    return None\n")
    assert "model.py has no function 'build_model'" in message


def test_function_that_raises(write_spec) -> None:
    message = _build_error(write_spec, "def build_model():\n    raise ValueError('no data')\n")
    assert "build_model() raised ValueError: no data" in message


def test_syntax_error_names_the_line(write_spec) -> None:
    message = _build_error(write_spec, "x = 1\n\ndef build_model(:\n    pass\n")
    assert "model.py line 3" in message


def test_failing_import(write_spec) -> None:
    message = _build_error(write_spec, "import not_a_package_here\n\ndef build_model(): ...\n")
    assert "raised ModuleNotFoundError" in message and "not_a_package_here" in message


def test_function_returning_something_else(write_spec) -> None:
    message = _build_error(write_spec, "def build_model():\n    return 'logistic'\n")
    assert "returned a str, not a scikit-learn estimator" in message


def test_regressor_for_a_binary_task(write_spec) -> None:
    model = "from sklearn.linear_model import Ridge\n\ndef build_model():\n    return Ridge()\n"
    assert "which is not a classifier" in _build_error(write_spec, model)


def test_classifier_for_a_regression_task(write_spec) -> None:
    message = _build_error(write_spec, PIPELINE, task="regression")
    assert "which is not a regressor" in message


def test_regressor_for_a_regression_task(write_spec) -> None:
    model = "from sklearn.linear_model import Ridge\n\ndef build_model():\n    return Ridge()\n"
    path = write_spec(model=model, replace={"task: binary_classification": "task: regression"})
    assert type(load_spec(path).build_model()).__name__ == "Ridge"


def test_classifier_without_probabilities(write_spec) -> None:
    model = "from sklearn.svm import SVC\n\ndef build_model():\n    return SVC()\n"
    assert "without predict_proba" in _build_error(write_spec, model)


def test_fitted_estimator_is_refused(write_spec) -> None:
    model = (
        "from sklearn.linear_model import LogisticRegression\n\n"
        "def build_model():\n"
        "    return LogisticRegression().fit([[0.0], [1.0]], [0, 1])\n"
    )
    assert "returned a fitted LogisticRegression" in _build_error(write_spec, model)


def test_hash_covers_spec_and_model_bytes(write_spec) -> None:
    path = write_spec()
    spec = load_spec(path)
    expected = hashlib.sha256(path.read_bytes() + (path.parent / "model.py").read_bytes())
    assert spec.hash() == expected.hexdigest()
    assert load_spec(path).hash() == spec.hash()  # same files, same hash


def test_hash_changes_when_the_model_changes(write_spec) -> None:
    before = load_spec(write_spec()).hash()
    after = load_spec(write_spec(model=PIPELINE)).hash()
    assert before != after


def test_hash_changes_when_the_spec_changes(write_spec) -> None:
    before = load_spec(write_spec()).hash()
    after = load_spec(write_spec(extra="description: another use\n")).hash()
    assert before != after


def test_pickled_spec_builds_the_model_without_its_files(write_spec) -> None:
    path = write_spec(model=PIPELINE)
    spec = load_spec(path)
    shipped = pickle.loads(pickle.dumps(spec))
    shutil.rmtree(path.parent)  # a worker on another machine has no copy of the folder
    assert shipped == spec and shipped.hash() == spec.hash()
    assert isinstance(shipped.build_model(), Pipeline)
