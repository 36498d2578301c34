"""Evidently's data-drift report per table: which synthetic columns drift from the real ones.

Evidently picks a test per column from its type and the number of rows: with more than 1,000
real rows (Evidently's reference data), the normed Wasserstein distance for numbers
(Jensen-Shannon for numbers with at most 5 values) and the Jensen-Shannon distance for
categories (drift when the distance is at least 0.1); with fewer, the Kolmogorov-Smirnov,
chi-square or Z test (drift when the p-value is below 0.05).

The report's HTML shows distributions of the real rows. It is for the operator inside the lake
and has not passed disclosure control: only the counts and scores in :class:`TableDrift` may be
published.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from common.numbers import to_numbers
from validation.fidelity.columns import (
    as_days,
    as_labels,
    compared_columns,
    metadata_dict,
)

# Rows per side. The tests take well under a second on 20,000 rows; the HTML 1-3 s a table.
DEFAULT_MAX_ROWS = 20_000


@dataclass(frozen=True)
class ColumnDrift:
    """Evidently's drift test on one column."""

    score: float  # drift score: a distance (0 = same) or a p-value (1 = same), see `method`
    method: str  # Evidently's test, e.g. "Wasserstein distance (normed)"
    threshold: float  # drift when a distance >= threshold, or a p-value < threshold
    drifted: bool  # Evidently's verdict for this column


@dataclass(frozen=True)
class TableDrift:
    """Evidently's data-drift verdict on one table (synthetic as current, real as reference)."""

    table: str  # table name
    columns: int  # number of columns tested (keys and empty columns are not)
    drifted: int  # number of those that drift
    share: float  # drifted / columns (0.0 when no column could be tested)
    column_drift: dict[str, ColumnDrift]  # per tested column
    rows_real: int  # real rows compared (after sampling)
    rows_synthetic: int  # synthetic rows compared (after sampling)
    sampled: bool  # True when either side was sampled down to `max_rows`
    skipped: tuple[str, ...] = ()  # compared columns left out: empty on one side
    seconds: float = 0.0  # time taken on this table, tests and HTML
    html: str = field(default="", repr=False)  # standalone HTML report ("" if not asked for)

    def to_dict(self) -> dict[str, Any]:
        """The publishable summary: ``{"columns", "drifted", "share", "sampled"}``."""
        return {
            "columns": self.columns,
            "drifted": self.drifted,
            "share": self.share,
            "sampled": self.sampled,
        }


def _prepare(frame: pd.DataFrame, sdtypes: Mapping[str, str]) -> pd.DataFrame:
    # Evidently's drift preset skips datetime columns, so dates become numbers of days;
    # categories and booleans become text, so Evidently cannot take them for numbers.
    out = {}
    for col, sdtype in sdtypes.items():
        if sdtype == "datetime":
            out[col] = as_days(frame[col])
        elif sdtype == "numerical":
            out[col] = to_numbers(frame[col])
        else:
            out[col] = as_labels(frame[col])
    return pd.DataFrame(out, index=frame.index)


def _sample(frame: pd.DataFrame, max_rows: int | None, seed: int) -> pd.DataFrame:
    if max_rows is None or len(frame) <= max_rows:
        return frame
    return frame.sample(max_rows, random_state=seed)


def _score(real: pd.Series, synthetic: pd.Series, numeric: bool) -> ColumnDrift:
    # Evidently's own choice of test and threshold, as its DataDriftPreset makes it per column
    # (legacy get_one_column_drift): infinities are missing, missing values are dropped.
    # Evidently's reference data is the real column, its current data the synthetic one.
    from evidently.legacy.calculations.stattests.registry import get_stattest
    from evidently.legacy.core import ColumnType

    kind = ColumnType.Numerical if numeric else ColumnType.Categorical
    real = real.replace([np.inf, -np.inf], np.nan).dropna()
    synthetic = synthetic.replace([np.inf, -np.inf], np.nan).dropna()
    test = get_stattest(real, synthetic, kind, None)
    result = test(real, synthetic, kind, None)
    return ColumnDrift(
        score=float(result.drift_score),
        method=str(test.display_name),
        threshold=float(result.actual_threshold),
        drifted=bool(result.drifted),
    )


def _html(real: pd.DataFrame, synthetic: pd.DataFrame, numeric: list[str]) -> str:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    columns = list(real.columns)
    definition = DataDefinition(
        numerical_columns=numeric,
        categorical_columns=[col for col in columns if col not in numeric],
    )
    # Report.run takes Evidently's current data (synthetic) first, then its reference (real).
    snapshot = Report([DataDriftPreset(columns=columns)], include_tests=True).run(
        Dataset.from_pandas(synthetic, data_definition=definition),
        Dataset.from_pandas(real, data_definition=definition),
    )
    return str(snapshot.get_html_str(as_iframe=False))


def table_drift(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    metadata: Any,
    table: str,
    *,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    seed: int = 0,
    html: bool = True,
) -> TableDrift:
    """Run Evidently's data-drift tests on one table, the synthetic rows against the real ones.

    The scores are Evidently's own column tests, with the test and threshold its
    ``DataDriftPreset`` picks; the HTML is that preset's report on the same rows.

    Args:
        real: the real table (Evidently's reference data).
        synthetic: the synthetic table (Evidently's current data).
        metadata: SDV multi-table metadata (dict or ``Metadata``); key columns (sdtype ``id``)
            are not tested, datetime columns are tested as numbers of days.
        table: the table's name in the metadata.
        max_rows: each side is sampled down to this many rows (seeded) when longer; None
            compares every row (Evidently's time grows linearly with rows).
        seed: seed of the sampling.
        html: also render the report's HTML. Rendering (plotly figures per column) takes
            most of the time, 1-3 s per table against well under a second for the scores.

    Returns:
        Counts, share and per-column scores of drifted columns, and the report's HTML.

    Raises:
        FidelityInputError: if the metadata does not describe the table.
    """
    started = time.perf_counter()
    sdtypes = compared_columns(metadata_dict(metadata), table)
    real_rows = _sample(real, max_rows, seed)
    synthetic_rows = _sample(synthetic, max_rows, seed)
    real_values = _prepare(real_rows, sdtypes)
    synthetic_values = _prepare(synthetic_rows, sdtypes)
    # Evidently refuses a column with no values on one side; such a column is listed instead.
    skipped = tuple(
        col
        for col in sdtypes
        if not real_values[col].notna().any() or not synthetic_values[col].notna().any()
    )
    tested = [col for col in sdtypes if col not in skipped]
    numeric = [col for col in tested if sdtypes[col] in ("numerical", "datetime")]
    with warnings.catch_warnings():
        # scipy and pandas warn inside Evidently on constant or tiny columns; the scores
        # are still defined, and the warnings are not ours to fix.
        warnings.simplefilter("ignore")
        column_drift = {
            col: _score(real_values[col], synthetic_values[col], col in numeric) for col in tested
        }
        report = (
            _html(real_values[tested], synthetic_values[tested], numeric) if html and tested else ""
        )
    drifted = sum(result.drifted for result in column_drift.values())
    return TableDrift(
        table=table,
        columns=len(column_drift),
        drifted=drifted,
        share=drifted / len(column_drift) if column_drift else 0.0,
        column_drift=column_drift,
        rows_real=len(real_rows),
        rows_synthetic=len(synthetic_rows),
        sampled=len(real_rows) < len(real) or len(synthetic_rows) < len(synthetic),
        skipped=skipped,
        seconds=time.perf_counter() - started,
        html=report,
    )


def drift_report(
    real: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    metadata: Any,
    *,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    seed: int = 0,
    html: bool = True,
) -> dict[str, TableDrift]:
    """Run :func:`table_drift` on every table of a lake.

    Args:
        real: table name -> real rows.
        synthetic: table name -> synthetic rows (same tables).
        metadata: SDV multi-table metadata (dict or ``Metadata``).
        max_rows: rows per side per table; see :func:`table_drift`.
        seed: seed of the sampling.
        html: also render each table's HTML report (the slow part).

    Returns:
        Table name -> its drift result, in the order of ``real``.
    """
    metadata = metadata_dict(metadata)
    return {
        name: table_drift(
            real[name], synthetic[name], metadata, name, max_rows=max_rows, seed=seed, html=html
        )
        for name in real
    }
