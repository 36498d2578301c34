"""Evidently's data-drift report per table: which twin columns drift from the real ones.

Evidently picks a test per column from its type and the number of rows: with more than 1,000
reference rows, the normed Wasserstein distance for numbers (Jensen-Shannon for numbers with at
most 5 values) and the Jensen-Shannon distance for categories (drift when the distance is at
least 0.1); with fewer, the Kolmogorov-Smirnov, chi-square or Z test (drift when the p-value is
below 0.05).

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
    """Evidently's data-drift verdict on one table (twin as current, real as reference)."""

    table: str  # table name
    columns: int  # number of columns tested (keys and empty columns are not)
    drifted: int  # number of those that drift
    share: float  # drifted / columns (0.0 when no column could be tested)
    column_drift: dict[str, ColumnDrift]  # per tested column
    rows_real: int  # real rows compared (after sampling)
    rows_twin: int  # twin rows compared (after sampling)
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
            out[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        else:
            out[col] = as_labels(frame[col])
    return pd.DataFrame(out, index=frame.index)


def _sample(frame: pd.DataFrame, max_rows: int | None, seed: int) -> pd.DataFrame:
    if max_rows is None or len(frame) <= max_rows:
        return frame
    return frame.sample(max_rows, random_state=seed)


def _score(reference: pd.Series, current: pd.Series, numeric: bool) -> ColumnDrift:
    # Evidently's own choice of test and threshold, as its DataDriftPreset makes it per column
    # (legacy get_one_column_drift): infinities are missing, missing values are dropped.
    from evidently.legacy.calculations.stattests.registry import get_stattest
    from evidently.legacy.core import ColumnType

    kind = ColumnType.Numerical if numeric else ColumnType.Categorical
    reference = reference.replace([np.inf, -np.inf], np.nan).dropna()
    current = current.replace([np.inf, -np.inf], np.nan).dropna()
    test = get_stattest(reference, current, kind, None)
    result = test(reference, current, kind, None)
    return ColumnDrift(
        score=float(result.drift_score),
        method=str(test.display_name),
        threshold=float(result.actual_threshold),
        drifted=bool(result.drifted),
    )


def _html(reference: pd.DataFrame, current: pd.DataFrame, numeric: list[str]) -> str:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    columns = list(reference.columns)
    definition = DataDefinition(
        numerical_columns=numeric,
        categorical_columns=[col for col in columns if col not in numeric],
    )
    snapshot = Report([DataDriftPreset(columns=columns)], include_tests=True).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    return str(snapshot.get_html_str(as_iframe=False))


def table_drift(
    real: pd.DataFrame,
    twin: pd.DataFrame,
    metadata: Any,
    table: str,
    *,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    seed: int = 0,
    html: bool = True,
) -> TableDrift:
    """Run Evidently's data-drift tests on one table, the twin against the real rows.

    The scores are Evidently's own column tests, with the test and threshold its
    ``DataDriftPreset`` picks; the HTML is that preset's report on the same rows.

    Args:
        real: the real table (the reference).
        twin: the twin table (the current data).
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
    twin_rows = _sample(twin, max_rows, seed)
    reference = _prepare(real_rows, sdtypes)
    current = _prepare(twin_rows, sdtypes)
    # Evidently refuses a column with no values on one side; such a column is listed instead.
    skipped = tuple(
        col for col in sdtypes if not reference[col].notna().any() or not current[col].notna().any()
    )
    tested = [col for col in sdtypes if col not in skipped]
    numeric = [col for col in tested if sdtypes[col] in ("numerical", "datetime")]
    with warnings.catch_warnings():
        # scipy and pandas warn inside Evidently on constant or tiny columns; the scores
        # are still defined, and the warnings are not ours to fix.
        warnings.simplefilter("ignore")
        column_drift = {col: _score(reference[col], current[col], col in numeric) for col in tested}
        report = _html(reference[tested], current[tested], numeric) if html and tested else ""
    drifted = sum(result.drifted for result in column_drift.values())
    return TableDrift(
        table=table,
        columns=len(column_drift),
        drifted=drifted,
        share=drifted / len(column_drift) if column_drift else 0.0,
        column_drift=column_drift,
        rows_real=len(real_rows),
        rows_twin=len(twin_rows),
        sampled=len(real_rows) < len(real) or len(twin_rows) < len(twin),
        skipped=skipped,
        seconds=time.perf_counter() - started,
        html=report,
    )


def drift_report(
    real: Mapping[str, pd.DataFrame],
    twin: Mapping[str, pd.DataFrame],
    metadata: Any,
    *,
    max_rows: int | None = DEFAULT_MAX_ROWS,
    seed: int = 0,
    html: bool = True,
) -> dict[str, TableDrift]:
    """Run :func:`table_drift` on every table of a lake.

    Args:
        real: table name -> real rows.
        twin: table name -> twin rows (same tables).
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
            real[name], twin[name], metadata, name, max_rows=max_rows, seed=seed, html=html
        )
        for name in real
    }
