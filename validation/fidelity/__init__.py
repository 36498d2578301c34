"""Fidelity of synthetic data: how closely it reproduces the real tables, whether a classifier
can tell it from them (detection), and how useful a model trained on it is (derived TSTR)."""

from validation.fidelity.columns import FidelityInputError
from validation.fidelity.detection import (
    Detection,
    FeatureImportance,
    LakeDetection,
    lake_detection,
    table_detection,
)
from validation.fidelity.diagnostic import DiagnosticResult, diagnostic_report
from validation.fidelity.drift import ColumnDrift, TableDrift, drift_report, table_drift
from validation.fidelity.evaluate import DriftReportMissing, FidelityEvaluation, evaluate_fidelity
from validation.fidelity.figures import (
    ColumnComparison,
    compare_column,
    compare_columns,
    comparison_figure,
)
from validation.fidelity.quality import FidelityResult, quality_report
from validation.fidelity.utility import UtilityEvaluation, UtilityTask, derived_utility

__all__ = [
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
]
