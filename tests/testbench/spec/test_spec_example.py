"""The hip-fracture example spec loads and its cohort SQL runs on the simulated registers."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold, cross_val_score

from generators.registers import simulate_registers
from testbench.lake.cohort import query_frames
from testbench.spec import CohortData, ValidationSpec, load_cohort, load_spec

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hip-fracture-home-care"


@pytest.fixture(scope="module")
def spec() -> ValidationSpec:
    return load_spec(EXAMPLE / "spec.yaml")


def _cohort(spec: ValidationSpec, persons: int, seed: int) -> CohortData:
    tables = simulate_registers(persons=persons, seed=seed)
    return load_cohort(spec, partial(query_frames, tables))


def test_example_spec_loads_and_builds_its_model(spec: ValidationSpec) -> None:
    assert spec.name == "home-care-after-hip-fracture"
    assert spec.task == "binary_classification" and spec.target == "needs_home_care_1y"
    assert spec.subgroups == ["sex", "age_band", "region"]
    assert spec.description and "65" in spec.description
    model = spec.build_model()
    assert hasattr(model, "predict_proba")


def test_example_cohort_on_a_small_simulated_lake(spec: ValidationSpec) -> None:
    cohort = _cohort(spec, persons=5_000, seed=7)
    frame = cohort.frame
    assert len(frame) >= 20  # about 8 first hip fractures at 65+ per 1,000 persons
    assert set(cohort.y) == {0, 1} and 0.2 < cohort.y.mean() < 0.9
    assert cohort.ids.is_unique
    assert (frame["age"] >= 65).all()
    assert set(frame["age_band"]) <= {"65-74", "75-84", "85+"}
    assert set(frame["sex"]) <= {"female", "male"}
    assert set(frame["region"]) <= {"81", "82", "83", "84", "85"}
    flags = ["lives_alone", "dementia", "diabetes", "heart_failure", "copd", "stroke"]
    assert frame[[*flags, "home_care_before"]].isin([0, 1]).all().all()
    assert cohort.features == tuple(spec.features or ())
    # The SME's pipeline fits the cohort as the SQL returns it (types and all).
    model = spec.build_model().fit(cohort.X, cohort.y)
    p = model.predict_proba(cohort.X)[:, 1]
    assert np.all((p > 0) & (p < 1))


@pytest.mark.slow
def test_example_is_informative_on_a_larger_lake(spec: ValidationSpec) -> None:
    cohort = _cohort(spec, persons=50_000, seed=8)
    assert len(cohort.y) >= 300 and cohort.y.sum() >= 60
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
    auroc = cross_val_score(spec.build_model(), cohort.X, cohort.y, cv=folds, scoring="roc_auc")
    assert 0.7 < float(np.mean(auroc)) < 0.9
    smallest = min(int(pd.Series(cohort.subgroups[g]).value_counts().min()) for g in spec.subgroups)
    assert smallest >= 25  # every subgroup leaves at least 5 persons in a 20 % test set
