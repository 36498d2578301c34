"""The validation job core on small made-up cohorts, with the serial executor."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from common.executor import SerialExecutor
from testbench.jobs.model_card import SECTIONS, model_card
from testbench.jobs.sandbox import ModelCode, SandboxLimits
from testbench.jobs.summaries import regime_evidence
from testbench.jobs.tasks import Containment
from testbench.jobs.validation import JobError, ValidationJob, plan_splits, run_validation_job
from testkit.sandbox import require_sandbox

pytestmark = pytest.mark.heavy  # real validation jobs: fits, folds and bootstraps


def cohort(n: int, seed: int, prefix: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(65, 100, n)
    sex = rng.choice(["K", "M"], n)
    logit = -6 + 0.07 * age + 0.5 * (sex == "K")
    return pd.DataFrame(
        {
            "person_id": [f"{prefix}{i}" for i in range(n)],
            "age": age,
            "sex": sex,
            "y": (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int),
            "outcome": 0.1 * age + rng.normal(size=n),
        }
    )


_ENCODE = """
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def encode():
    return ColumnTransformer(
        [("num", StandardScaler(), ["age"]), ("cat", OneHotEncoder(), ["sex"])]
    )
"""
CLASSIFIER = ModelCode(
    _ENCODE
    + """

def build_model():
    return Pipeline([("encode", encode()), ("model", LogisticRegression())])
"""
)
REGRESSOR = ModelCode(
    _ENCODE
    + """

def build_model():
    return Pipeline([("encode", encode()), ("model", LinearRegression())])
"""
)
IN_PROCESS = Containment(limits=None)  # the job's logic; the sandbox has its own tests


def job(**changes: object) -> ValidationJob:
    settings: dict[str, object] = {
        "name": "test",
        "task": "binary_classification",
        "target": "y",
        "features": ("age", "sex"),
        "subgroups": ("sex",),
        "id_column": "person_id",
        "model": CLASSIFIER,
        "containment": IN_PROCESS,
        "folds": 3,
        "bootstrap": 60,
        "seed": 1,
    }
    settings.update(changes)
    return ValidationJob(**settings)  # type: ignore[arg-type]


def test_three_regimes_on_the_twins_held_out_persons() -> None:
    real, twin = cohort(800, 1, "r"), cohort(700, 2, "t")
    held = set(real["person_id"].iloc[::5])  # the twin never saw every fifth person
    splits = plan_splits(job(), real, twin, held)
    assert set(splits["TRTR"].test["person_id"]) == held
    assert splits["TSTR"].test is splits["TRTR"].test
    assert not set(splits["TRTR"].train["person_id"]) & held

    results = run_validation_job(job(), splits, SerialExecutor())
    assert list(results) == ["TRTR", "TSTR", "TSTS"]
    trtr = results["TRTR"]
    expected = roc_auc_score(trtr.y_test, trtr.prediction)
    assert trtr.report.auroc.estimate == pytest.approx(expected)
    assert trtr.report.auroc.lower < expected < trtr.report.auroc.upper
    assert trtr.report.auroc.estimate > 0.6  # age is informative
    assert len(trtr.cv["auroc"]) == 3
    assert trtr.membership is not None and trtr.model_file is not None
    assert results["TSTR"].model_file is None  # only the real-trained model is a candidate
    assert {r.variable for r in trtr.subgroups.results} == {"sex"}  # type: ignore[union-attr]
    assert trtr.importance[0]["feature"] == "age"


def test_evidence_blocks_are_json_and_aggregate_only() -> None:
    real, twin = cohort(600, 3, "r"), cohort(600, 4, "t")
    splits = plan_splits(job(), real, twin, set(real["person_id"].iloc[::4]))
    results = run_validation_job(job(), splits, SerialExecutor())
    block = regime_evidence(job(), results["TRTR"])
    text = json.dumps(block)
    assert "r1" not in text.replace('"', " ").split()  # no person id
    assert len(block["roc"]["fpr"]) == len(block["roc"]["tpr"]) == 51
    assert all(b["events"] >= 5 and b["n"] - b["events"] >= 5 for b in block["calibration"]["bins"])
    assert block["metrics"]["auroc"]["low"] <= block["metrics"]["auroc"]["value"]
    evidence = {"name": "test", "task": "binary_classification", "regimes": {"TRTR": block}}
    card = model_card(evidence)
    assert all(f"## {section}" in card for section in SECTIONS)


def test_results_do_not_depend_on_how_the_bootstrap_is_chunked(monkeypatch) -> None:
    from testbench.jobs import validation

    real = cohort(500, 5, "r")
    splits = plan_splits(job(), real, None)
    first = run_validation_job(job(), splits, SerialExecutor())["TRTR"].report
    monkeypatch.setattr(validation, "BOOT_CHUNK", 7)
    second = run_validation_job(job(), splits, SerialExecutor())["TRTR"].report
    assert first == second


def test_regression_task() -> None:
    real = cohort(400, 6, "r")
    regression = job(task="regression", target="outcome", model=REGRESSOR)
    results = run_validation_job(regression, plan_splits(regression, real, None), SerialExecutor())
    report = results["TRTR"].report
    assert report.r2.estimate > 0.5  # type: ignore[union-attr]
    block = regime_evidence(regression, results["TRTR"])
    assert "roc" not in block and set(block["metrics"]) >= {"rmse", "mae", "r2"}


def test_too_few_events_is_a_clear_error() -> None:
    real = cohort(300, 7, "r")
    real["y"] = 0
    real.loc[real.index[:3], "y"] = 1
    with pytest.raises(JobError, match="persons with and"):
        plan_splits(job(), real, None)


def test_a_twin_too_small_to_test_on_still_trains_tstr() -> None:
    real, twin = cohort(800, 1, "r"), cohort(60, 2, "t")
    twin["y"] = 0
    twin.loc[twin.index[::5], "y"] = 1  # 12 outcomes: 2-3 in a 20% twin test set
    held = set(real["person_id"].iloc[::4])
    skipped: dict[str, str] = {}
    splits = plan_splits(job(), real, twin, held, skipped)
    assert list(splits) == ["TRTR", "TSTR"]
    assert list(skipped) == ["TSTS"] and "twin test set" in skipped["TSTS"]
    with pytest.raises(JobError, match="twin test set"):  # no real cohort: nothing to fall back on
        plan_splits(job(), None, twin, None, {})
    with pytest.raises(JobError, match="twin test set"):  # without a place for reasons, loud
        plan_splits(job(), real, twin, held)
    results = run_validation_job(job(), splits, SerialExecutor())
    assert set(results) == {"TRTR", "TSTR"}


def test_subgroups_split_into_tasks_equal_one_report_per_variable() -> None:
    from validation.performance import BINARY_METRICS, subgroup_report

    real, twin = cohort(700, 8, "r"), cohort(600, 9, "t")
    for frame in (real, twin):  # a subgroup variable with five levels and missing values
        frame["site"] = np.resize(["a", "b", "c", "d", "e", None, "b"], len(frame))
    sites = job(subgroups=("sex", "site"))
    splits = plan_splits(sites, real, twin, set(real["person_id"].iloc[::4]))
    trtr = run_validation_job(sites, splits, SerialExecutor())["TRTR"]
    test = splits["TRTR"].test
    expected = []
    for variable in ("sex", "site"):
        expected += subgroup_report(
            trtr.y_test,
            trtr.prediction,
            test[[variable]].astype("string").reset_index(drop=True),
            BINARY_METRICS,
            5,
            n_boot=60,
            seed=1,
        ).results
    assert trtr.subgroups is not None
    assert list(trtr.subgroups.results) == expected
    assert any(r.value is None for r in expected)


def test_the_sandbox_gives_the_evidence_of_an_in_process_run(tmp_path) -> None:
    require_sandbox()
    real, twin = cohort(600, 7, "r"), cohort(500, 8, "t")
    held = set(real["person_id"].iloc[::4])
    in_process = job()
    sandboxed = job(containment=Containment(SandboxLimits(), str(tmp_path / "job.log")))
    splits = plan_splits(in_process, real, twin, held)

    expected = run_validation_job(in_process, splits, SerialExecutor())
    found = run_validation_job(sandboxed, splits, SerialExecutor())

    for regime in expected:
        assert json.dumps(regime_evidence(sandboxed, found[regime])) == json.dumps(
            regime_evidence(in_process, expected[regime])
        )
    assert found["TRTR"].model_file is not None  # the release candidate came back as a file
