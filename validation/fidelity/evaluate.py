"""One call that measures synthetic data's fidelity: quality, validity, drift, per-column shares.

The result's :meth:`FidelityEvaluation.to_dict` gives the ``fidelity`` and ``columns`` parts of
the twin-evaluation evidence (docs/evidence.md); the drift reports' HTML stays in the lake.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from validation.fidelity.columns import check_same_lake, metadata_dict
from validation.fidelity.diagnostic import DiagnosticResult, diagnostic_report
from validation.fidelity.drift import DEFAULT_MAX_ROWS, TableDrift, drift_report
from validation.fidelity.errors import DriftReportMissing
from validation.fidelity.figures import ColumnComparison, compare_columns
from validation.fidelity.quality import FidelityResult, quality_report


@dataclass(frozen=True)
class FidelityEvaluation:
    """Everything measured about the fidelity of one synthetic lake to its real lake."""

    quality: FidelityResult  # SDMetrics QualityReport: overall, properties, per table
    diagnostic: DiagnosticResult  # SDMetrics DiagnosticReport: overall, properties
    drift: dict[str, TableDrift]  # Evidently drift per table; empty when drift was off
    columns: list[ColumnComparison]  # real vs synthetic shares per column, disclosure-safe
    min_count: int  # fewest real rows behind any share in `columns`
    timings: dict[str, float] = field(default_factory=dict)  # seconds per part, and "total"

    def to_dict(self) -> dict[str, Any]:
        """The ``fidelity`` and ``columns`` parts of the twin-evaluation evidence.

        Returns:
            ``{"fidelity": {"quality", "properties", "diagnostic", "diagnostic_properties",
            "tables", "drift"}, "columns": [...]}``, plain JSON types; an undefined score
            is None.
        """
        return {
            "fidelity": {
                "quality": _finite(self.quality.overall),
                "properties": _finite_dict(self.quality.properties),
                "diagnostic": _finite(self.diagnostic.overall),
                "diagnostic_properties": _finite_dict(self.diagnostic.properties),
                "tables": _finite_dict(self.quality.per_table),
                "drift": {name: result.to_dict() for name, result in self.drift.items()},
            },
            "columns": [comparison.to_dict() for comparison in self.columns],
        }

    def drift_html(self, table: str) -> str:
        """The Evidently drift report of one table, as standalone HTML (for use in the lake).

        Raises:
            DriftReportMissing: if drift was not run, or the table is not in the lake.
        """
        if not self.drift or not any(result.html for result in self.drift.values()):
            raise DriftReportMissing(
                "No drift reports were rendered; run evaluate_fidelity with drift=True and "
                "drift_reports=True."
            )
        if table not in self.drift:
            raise DriftReportMissing(
                f"No drift report for table {table!r}; tables with one: {sorted(self.drift)}."
            )
        return self.drift[table].html


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _finite_dict(values: Mapping[str, float]) -> dict[str, float | None]:
    return {str(name): _finite(value) for name, value in values.items()}


def evaluate_fidelity(
    real: dict[str, pd.DataFrame],
    synthetic: dict[str, pd.DataFrame],
    metadata: Any,
    *,
    min_count: int = 5,
    drift: bool = True,
    drift_reports: bool = True,
    drift_max_rows: int | None = DEFAULT_MAX_ROWS,
    seed: int = 0,
) -> FidelityEvaluation:
    """Measure how faithfully synthetic tables reproduce their real lake.

    Runs SDMetrics' QualityReport and DiagnosticReport on the whole lake, Evidently's drift
    report per table (each side sampled to ``drift_max_rows``) and the per-column shares.

    Args:
        real: table name -> real rows.
        synthetic: table name -> synthetic rows (same tables and columns).
        metadata: SDV multi-table metadata (dict or ``Metadata``), e.g. from
            ``generators.twin.metadata.build_metadata``.
        min_count: fewest real rows behind any published share (the disclosure rule).
        drift: run Evidently's drift tests per table.
        drift_reports: also render each table's drift report as HTML (for
            :meth:`FidelityEvaluation.drift_html`); most of the drift time goes here.
        drift_max_rows: rows per side per table in the drift reports; None for all.
        seed: seed of the drift sampling.

    Returns:
        The evaluation; ``to_dict()`` gives the evidence parts.

    Raises:
        FidelityInputError: if real, synthetic and metadata do not describe the same tables and
            columns.
        ValueError: if min_count is below 1.
    """
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1, got {min_count}.")
    started = time.perf_counter()
    metadata = metadata_dict(metadata)
    check_same_lake(real, synthetic, metadata)
    timings: dict[str, float] = {}

    def timed(part: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        begun = time.perf_counter()
        result = fn(*args, **kwargs)
        timings[part] = time.perf_counter() - begun
        return result

    quality = timed("quality", quality_report, real, synthetic, metadata)
    diagnostic = timed("diagnostic", diagnostic_report, real, synthetic, metadata)
    drifts: dict[str, TableDrift] = {}
    if drift:
        drifts = timed(
            "drift",
            drift_report,
            real,
            synthetic,
            metadata,
            max_rows=drift_max_rows,
            seed=seed,
            html=drift_reports,
        )
    columns = timed("columns", compare_columns, real, synthetic, metadata, min_count=min_count)
    timings["total"] = time.perf_counter() - started
    return FidelityEvaluation(quality, diagnostic, drifts, columns, min_count, timings)
