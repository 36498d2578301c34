"""Fidelity of synthetic data: how closely it reproduces the real tables."""

from validation.fidelity.columns import FidelityInputError
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

__all__ = [
    "ColumnComparison",
    "ColumnDrift",
    "DiagnosticResult",
    "DriftReportMissing",
    "FidelityEvaluation",
    "FidelityInputError",
    "FidelityResult",
    "TableDrift",
    "compare_column",
    "compare_columns",
    "comparison_figure",
    "diagnostic_report",
    "drift_report",
    "evaluate_fidelity",
    "quality_report",
    "table_drift",
]
