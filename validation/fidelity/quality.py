"""SDMetrics' multi-table QualityReport, returned as plain numbers."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


def property_scores(properties: pd.DataFrame) -> dict[str, float]:
    """An SDMetrics report's ``get_properties()`` as a dict; unscorable (NaN) ones left out,
    e.g. pair trends of a one-column table."""
    return {
        str(name): float(score)
        for name, score in zip(properties["Property"], properties["Score"], strict=True)
        if pd.notna(score)
    }


def without_self_references(metadata: dict[str, Any]) -> dict[str, Any]:
    """The metadata less relationships of a table to itself (an earlier visit), which
    SDMetrics' multi-table reports cannot score (they fail looking up a column)."""
    relationships = [
        r
        for r in metadata.get("relationships", [])
        if r.get("parent_table_name") != r.get("child_table_name")
    ]
    return {**metadata, "relationships": relationships}


@dataclass(frozen=True)
class FidelityResult:
    """Scores between 0 (unlike) and 1 (identical distributions)."""

    overall: float  # SDMetrics QualityReport overall score
    properties: dict[str, float]  # e.g. "Column Shapes", "Column Pair Trends", "Cardinality"
    per_table: dict[str, float] = field(default_factory=dict)  # mean column-shape score per table


def quality_report(
    real: dict[str, pd.DataFrame],
    synthetic: dict[str, pd.DataFrame],
    metadata: dict[str, Any],
) -> FidelityResult:
    """Score synthetic tables with SDMetrics' multi-table QualityReport.

    Args:
        real: table name -> real rows.
        synthetic: table name -> synthetic rows (same tables and columns).
        metadata: SDV multi-table metadata dictionary.

    Returns:
        The overall score, each property's score and a per-table column-shape score.
    """
    from sdmetrics.reports import QualityReport

    report = QualityReport()
    with warnings.catch_warnings():
        # A lake SDMetrics cannot score (one column it does not type) gives a mean of no
        # scores: the overall score is then NaN, which the callers report as not scored.
        warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
        report.generate(real, synthetic, without_self_references(metadata), verbose=False)
    properties = report.get_properties()
    shapes = report.get_details("Column Shapes")
    per_table = shapes.groupby("Table")["Score"].mean().to_dict() if len(shapes) else {}
    return FidelityResult(
        overall=float(report.get_score()),
        properties=property_scores(properties),
        per_table={str(k): float(v) for k, v in per_table.items()},
    )
