"""The model-release rule, on skops files made in-process (the rule never loads them)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from testbench.jobs.sandbox import (
    BINARY,
    FitRequest,
    ModelCode,
    check_model_release,
    run_unsandboxed,
)

ROWS, FEATURES = 2000, 5
MEMORISER = """\
import numpy as np
from sklearn.linear_model import LogisticRegression


class Memoriser(LogisticRegression):
    def fit(self, X, y):
        rows = np.asarray(X, dtype=float)
        self.kept_ = {chunks}
        return super().fit(X, y)


def build_model():
    return Memoriser()
"""


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.normal(size=(ROWS, FEATURES)), columns=[f"f{i}" for i in range(5)])
    return x, (x["f0"] + rng.normal(size=ROWS) > 0).astype(int).to_numpy()


def _fitted_file(model: object, data: tuple[pd.DataFrame, np.ndarray]) -> bytes:
    return skops.io.dumps(model.fit(*data))  # type: ignore[attr-defined]


def _memoriser_file(chunks: str, data: tuple[pd.DataFrame, np.ndarray]) -> bytes:
    request = FitRequest(
        ModelCode(MEMORISER.format(chunks=chunks)), BINARY, data[0], data[1], export_model=True
    )
    found = run_unsandboxed(request).model_file
    assert found is not None
    return found


def test_a_linear_pipeline_and_a_shallow_boosting_model_are_released(data) -> None:
    for model in (
        make_pipeline(StandardScaler(), LogisticRegression()),
        # Each tree keeps a random state of 624 numbers: the size rule counts them too.
        GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0),
    ):
        verdict = check_model_release(_fitted_file(model, data), ROWS, FEATURES)
        assert verdict.released, verdict.reasons
        assert 0 < verdict.stored_values < ROWS * FEATURES


def test_k_nearest_neighbours_are_never_released(data) -> None:
    verdict = check_model_release(_fitted_file(KNeighborsClassifier(), data), ROWS, FEATURES)

    assert not verdict.released
    assert any("keeps training rows by design" in reason for reason in verdict.reasons)
    assert verdict.longest >= ROWS  # its stored rows break the size rule as well


def test_a_class_from_the_model_file_is_refused_whatever_it_stores(data) -> None:
    verdict = check_model_release(_memoriser_file("None", data), ROWS, FEATURES)

    assert not verdict.released
    assert [name for name in verdict.refused if name.endswith(".Memoriser")]
    assert not [r for r in verdict.reasons if "Memoriser" in r]  # its name is the SME's choice


def test_rows_kept_whole_or_in_slices_break_the_size_rules(data) -> None:
    allow_the_file = ("sklearn.", "numpy.", "builtins", "testbench_model_")
    whole = _memoriser_file("rows", data)
    sliced = _memoriser_file("[rows[i : i + 100] for i in range(0, len(rows), 100)]", data)

    whole_verdict = check_model_release(whole, ROWS, FEATURES, allow_the_file)
    sliced_verdict = check_model_release(sliced, ROWS, FEATURES, allow_the_file)

    assert any("could hold a training column" in r for r in whole_verdict.reasons)
    assert sliced_verdict.longest < ROWS
    assert any("could hold a copy of the data" in r for r in sliced_verdict.reasons)


def test_a_builtin_function_such_as_eval_is_refused(data) -> None:
    model = make_pipeline(FunctionTransformer(eval, validate=False), LogisticRegression())
    model_file = skops.io.dumps(model)

    verdict = check_model_release(model_file, ROWS, FEATURES)

    assert not verdict.released
    assert "builtins.eval" in verdict.types
    assert verdict.refused == ["builtins.eval"]


@settings(max_examples=60, deadline=None)
@given(junk=st.binary(max_size=400))
def test_any_bytes_give_a_verdict_never_an_exception(junk: bytes) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("schema.json", junk)
    for model_file in (junk, buffer.getvalue()):
        assert not check_model_release(model_file, ROWS, FEATURES).released
