"""Each package's exported names (``__all__``) are its contract with the other packages.

Pinned here, so removing or renaming one is a deliberate change, not a side effect of moving
code. A package that exposes modules, not names, pins an empty set. Three packages keep their
own pin beside their tests (``PINNED_ELSEWHERE``).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ROOTS = ("common", "dashboards", "generators", "testbench", "validation")

PINNED_ELSEWHERE = {
    "generators.twin": "tests/generators/twin/test_public_names.py",
    "testbench.jobs.sandbox": "tests/testbench/jobs/sandbox/test_wire.py",
    "testbench.lake.ingest": "tests/testbench/lake/ingest/test_public_names.py",
}

PUBLIC_NAMES: dict[str, set[str]] = {
    "common": {"Executor", "RayExecutor", "SerialExecutor", "TaskFailed"},
    "dashboards": set(),
    "dashboards.i18n": {
        "LANGUAGES",
        "MISSING",
        "catalogue",
        "count",
        "day",
        "estimate",
        "number",
        "percent",
        "t",
        "tf",
        "timestamp",
    },
    "dashboards.screens": set(),
    "generators": set(),
    "generators.public": set(),
    "generators.registers": {
        "REGISTER_PRIMARY_KEYS",
        "REGISTER_RELATIONS",
        "REGISTER_TABLES",
        "InvalidSimulationSettings",
        "simulate_registers",
    },
    "testbench": {"__version__"},
    "testbench.cli": {"app", "main"},
    "testbench.disclosure": {
        "COUNT_KEYS",
        "IDENTIFIER_NAMES",
        "DisclosureChecker",
        "DisclosurePolicy",
        "DisclosureViolation",
        "magnitude_rules",
        "nk_unsafe",
        "p_ratio_unsafe",
        "threshold_unsafe",
    },
    "testbench.catalogue": {
        "AccessError",
        "AccessRefused",
        "AccessRegister",
        "AccessRequest",
        "CatalogueError",
        "Publisher",
        "RequestNotFound",
        "ShaclResult",
        "build_graph",
        "describe_lake",
        "log_catalogue",
        "log_request_status",
        "parse_period",
        "serialize",
        "validate_catalogue",
    },
    "testbench.evidence": {"EvidenceRun", "EvidenceWriter", "experiment_name", "list_runs"},
    "testbench.jobs": set(),
    "testbench.lake": {"Lake", "LakeStatus", "TableStatus", "ingest_file", "tenant_lake"},
    "testbench.spec": {
        "TASKS",
        "CohortData",
        "EvaluationSettings",
        "SpecError",
        "ValidationSpec",
        "load_cohort",
        "load_spec",
        "resolve_cohort",
        "run_cohort_sql",
    },
    "testbench.twins": set(),
    "testbench.twins.bundle": set(),
    "validation": set(),
    "validation.fidelity": {
        "ColumnComparison",
        "ColumnDrift",
        "Detection",
        "DiagnosticResult",
        "DriftReportMissing",
        "FeatureImportance",
        "FidelityEvaluation",
        "FidelityInputError",
        "FidelityResult",
        "LakeDetection",
        "TableDrift",
        "UtilityEvaluation",
        "UtilityTask",
        "compare_column",
        "compare_columns",
        "comparison_figure",
        "derived_utility",
        "diagnostic_report",
        "drift_report",
        "evaluate_fidelity",
        "lake_detection",
        "quality_report",
        "table_detection",
        "table_drift",
    },
    "validation.performance": {
        "BINARY_METRICS",
        "BINARY_REPORT_METRICS",
        "DEFAULT_THRESHOLDS",
        "REGRESSION_METRICS",
        "BinaryReport",
        "BootstrapResult",
        "CalibrationBin",
        "CalibrationCurve",
        "DecisionCurve",
        "MetricCI",
        "MetricFn",
        "RegressionReport",
        "SensitivitySpecificity",
        "SubgroupReport",
        "SubgroupResult",
        "TooFewEventsError",
        "UndefinedMetricError",
        "auprc",
        "auroc",
        "binary_replicates",
        "binary_report",
        "bootstrap_ci",
        "bootstrap_cis",
        "bootstrap_replicates",
        "brier",
        "calibration_curve",
        "calibration_in_the_large",
        "calibration_intercept",
        "calibration_slope",
        "combine_bootstrap",
        "log_loss",
        "mae",
        "metric_ci",
        "net_benefit",
        "percentile_interval",
        "r2",
        "regression_replicates",
        "regression_report",
        "resample_indices",
        "rmse",
        "sensitivity",
        "sensitivity_specificity",
        "specificity",
        "subgroup_report",
    },
    "validation.privacy": {
        "AttackInputError",
        "AttackRisk",
        "DCRBaselineResult",
        "DCROverfittingResult",
        "MembershipResult",
        "RareLeakage",
        "closest_distances",
        "dcr",
        "dcr_baseline_protection",
        "dcr_overfitting_protection",
        "exact_copies",
        "infer_metadata",
        "inference_risk",
        "is_instance_based",
        "linkability_risk",
        "membership_inference",
        "nndr",
        "person_summary",
        "random_baseline_data",
        "rare_category_leakage",
        "singling_out_risk",
    },
}


@pytest.mark.parametrize("package", sorted(PUBLIC_NAMES))
def test_exported_names_are_pinned(package: str) -> None:
    exported = importlib.import_module(package).__all__
    assert len(exported) == len(set(exported)), f"{package}.__all__ lists a name twice"
    assert set(exported) == PUBLIC_NAMES[package]


@pytest.mark.parametrize("package", sorted(PUBLIC_NAMES))
def test_every_exported_name_resolves(package: str) -> None:
    module = importlib.import_module(package)
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{package}.__all__ names what it does not define: {missing}"


def test_every_package_has_its_names_pinned() -> None:
    packages = {
        ".".join(init.parent.relative_to(REPO).parts)
        for root in ROOTS
        for init in (REPO / root).rglob("__init__.py")
    }
    unpinned = packages - set(PUBLIC_NAMES) - set(PINNED_ELSEWHERE)
    assert not unpinned, f"pin the __all__ of {sorted(unpinned)} here"
    assert not set(PUBLIC_NAMES) - packages, "a pinned package no longer exists"
