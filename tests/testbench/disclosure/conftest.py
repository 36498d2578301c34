"""An evidence document shaped as in docs/evidence.md, with made-up aggregate numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from testbench.disclosure import DisclosureChecker, DisclosurePolicy

COHORT = 1234  # persons in the example cohort


def _ci(value: float) -> dict[str, float | None]:
    return {"value": value, "low": round(value - 0.03, 4), "high": round(value + 0.03, 4)}


def _regime(train: str, test: str) -> dict[str, Any]:
    grid = np.linspace(0.0, 1.0, 101)
    thresholds = np.linspace(0.05, 0.5, 10)
    return {
        "train": train,
        "test": test,
        "n_train": 987,
        "n_test": 247,
        "metrics": {
            "auroc": _ci(0.81),
            "auprc": _ci(0.62),
            "brier": _ci(0.17),
            "calibration_slope": {"value": 0.97, "low": None, "high": None},
        },
        "cv": {"auroc": {"mean": 0.8, "sd": 0.02, "folds": [0.79, 0.81, 0.8, 0.78, 0.82]}},
        "roc": {"fpr": grid.tolist(), "tpr": np.sqrt(grid).round(4).tolist()},
        "pr": {"recall": grid.tolist(), "precision": (1 - 0.5 * grid).round(4).tolist()},
        "calibration": {
            "bins": [
                {
                    "predicted": 0.1,
                    "observed": 0.12,
                    "low": 0.08,
                    "high": 0.16,
                    "n": 60,
                    "events": 7,
                },
                {
                    "predicted": 0.4,
                    "observed": 0.38,
                    "low": 0.3,
                    "high": 0.45,
                    "n": 100,
                    "events": 38,
                },
                {
                    "predicted": 0.7,
                    "observed": 0.72,
                    "low": 0.6,
                    "high": 0.8,
                    "n": 87,
                    "events": 63,
                },
            ]
        },
        "decision_curve": {
            "thresholds": thresholds.round(3).tolist(),
            "model": (0.3 - 0.4 * thresholds).round(4).tolist(),
            "treat_all": (0.25 - 0.6 * thresholds).round(4).tolist(),
        },
        "subgroups": [
            {
                "variable": "sex",
                "level": "K",
                "n": 130,
                "events": 52,
                "suppressed": False,
                "metrics": {"auroc": _ci(0.8)},
            },
            {
                "variable": "sex",
                "level": "M",
                "n": 117,
                "events": 40,
                "suppressed": False,
                "metrics": {"auroc": _ci(0.82)},
            },
            {
                "variable": "region",
                "level": "81",
                "n": 47,
                "events": 15,
                "suppressed": False,
                "metrics": {"auroc": _ci(0.77)},
            },
            {
                "variable": "region",
                "level": "84",
                "n": 200,
                "events": 77,
                "suppressed": False,
                "metrics": {"auroc": _ci(0.83)},
            },
        ],
        "importance": [{"feature": "age", "mean": 0.05, "sd": 0.01}],
    }


def example_evidence() -> dict[str, Any]:
    """A validation run's evidence in which nothing is small."""
    return {
        "schema": 1,
        "kind": "validation",
        "name": "home-care-after-hip-fracture",
        "tenant": "demo",
        "task": "binary_classification",
        "description": "Need for municipal home care within a year after a hip fracture, 65+",
        "data": "real",
        "twin_id": "20261122T101500-3f9a1c",
        "spec_hash": "9f" * 32,  # 64 hex, like a SHA-256
        "run_id": "0a1b2c3d" * 4,  # 32 hex, like an MLflow run id
        "code_version": "0.1.0",
        "lake_snapshot": "3c" * 32,
        "model": {
            "reference": "model.py:build_model",
            "estimator": "LogisticRegression",
            "released": True,
            "release_reason": "membership-inference AUC 0.51 <= 0.60",
        },
        "target": "needs_home_care_1y",
        "id_column": "person_id",
        "features": ["age", "sex", "region"],
        "subgroups": ["sex", "region"],
        "evaluation": {"folds": 5, "bootstrap": 500, "seed": 7, "test_share": 0.2},
        "cohort": {"n": COHORT, "events": 456, "n_train": 987, "n_test": 247},
        "sources": [{"table": "bef", "rows": 20000, "first": "1920-01-03", "last": "2024-12-30"}],
        "regimes": {"TRTR": _regime("real", "real"), "TSTR": _regime("twin", "real")},
        "fidelity": {"quality": 0.9},
        "model_card": "# Model card: home care\n\nTrained on 987 persons, tested on 247.",
    }


@pytest.fixture
def evidence() -> dict[str, Any]:
    return example_evidence()


@pytest.fixture
def checker() -> DisclosureChecker:
    return DisclosureChecker(DisclosurePolicy(), cohort_size=COHORT, id_columns=("person_id",))


@pytest.fixture
def fake_cpr() -> Callable[[bool], str]:
    """A made-up CPR-shaped string (not a real person's number), with or without dash."""

    def make(dash: bool = True) -> str:
        return "".join(["01", "02", "03"]) + ("-" if dash else "") + "12" + "34"

    return make
