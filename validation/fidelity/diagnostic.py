"""SDMetrics' DiagnosticReport: is synthetic data structurally valid (1.0 means fully valid)?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from validation.fidelity.quality import property_scores, without_self_references


@dataclass(frozen=True)
class DiagnosticResult:
    """Validity scores between 0 and 1; valid synthetic data scores 1.0 on each."""

    overall: float  # SDMetrics DiagnosticReport overall score
    properties: dict[str, float]  # "Data Validity", "Data Structure", "Relationship Validity"


def diagnostic_report(
    real: dict[str, pd.DataFrame],
    synthetic: dict[str, pd.DataFrame],
    metadata: dict[str, Any],
) -> DiagnosticResult:
    """Run SDMetrics' DiagnosticReport (key uniqueness, ranges, categories, referential
    integrity, cardinality bounds) on multi-table synthetic data. A table's references to
    itself are not scored (SDMetrics cannot); the twin builder draws them from its keys."""
    from sdmetrics.reports import DiagnosticReport

    report = DiagnosticReport()
    report.generate(real, synthetic, without_self_references(metadata), verbose=False)
    properties = report.get_properties()
    return DiagnosticResult(
        overall=float(report.get_score()),
        properties=property_scores(properties),
    )
