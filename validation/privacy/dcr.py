"""Distance to closest record (DCR) and nearest-neighbour distance ratio (NNDR).

The distance is SDMetrics 0.32's (``calculate_dcr`` in
``sdmetrics/single_table/privacy/dcr_utils.py``), reproduced value for value: the mean over the
compared columns of a per-column distance, ``min(|a - b| / range, 1)`` for numerical and datetime
columns (range of the reference column) and ``a != b`` for categorical and boolean columns, with
missing equal to missing. encoding.py lists the rules; nearest.py finds the minima exactly,
without SDMetrics' quadratic pandas cross-merge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from validation.privacy.encoding import encode_tables
from validation.privacy.nearest import Engine, nearest_sums


def dcr(
    reference: pd.DataFrame,
    query: pd.DataFrame,
    metadata: Mapping[str, Any] | None = None,
    chunk_rows: int | None = None,
    *,
    n_jobs: int | None = None,
    engine: Engine = "auto",
) -> np.ndarray:
    """Distance from each query row to its closest reference row (SDMetrics' DCR).

    Equals ``sdmetrics.single_table.privacy.dcr_utils.calculate_dcr(query, reference,
    metadata)`` (to float rounding, about 1e-15), computed exactly without sampling.

    Args:
        reference: the rows distances are measured to, normally the real data. Numeric and
            datetime columns are scaled by this table's range.
        query: the rows that get a distance, normally the synthetic data.
        metadata: SDMetrics/SDV single-table metadata dict (``{"columns": {...}}``); columns of
            sdtype numerical, datetime, categorical and boolean present in both tables are
            compared, all others (ids, ordinal, pii) skipped. None infers sdtypes from the
            reference's dtypes (``encoding.infer_metadata``).
        chunk_rows: query rows per unit of work; smaller chunks use less memory per thread.
        n_jobs: threads (default: every core this process may use).
        engine: search engine, "auto" (numba when installed), "numba" or "numpy".

    Returns:
        float64 array, one DCR in [0, 1] per query row, in query order.

    Raises:
        ValueError: empty reference, or no comparable columns, or a column that cannot be
            compared (see ``encoding.encode_tables``).
    """
    return closest_distances(
        reference, [query], metadata, chunk_rows=chunk_rows, n_jobs=n_jobs, engine=engine
    )[0]


def nndr(
    reference: pd.DataFrame,
    query: pd.DataFrame,
    metadata: Mapping[str, Any] | None = None,
    chunk_rows: int | None = None,
    *,
    n_jobs: int | None = None,
    engine: Engine = "auto",
) -> np.ndarray:
    """Nearest-neighbour distance ratio: closest over second-closest reference distance.

    Uses the DCR distance above. A ratio near 0 means the query row sits much closer to one
    reference row than to any other, the pattern of a copied or singled-out record. When the
    two closest distances are both 0 (a copy of a record that occurs twice) the ratio is 0.

    Args:
        reference, query, metadata, chunk_rows, n_jobs, engine: as for :func:`dcr`.

    Returns:
        float64 array, one ratio in [0, 1] per query row; NaN everywhere when the reference has
        fewer than two rows.

    Raises:
        ValueError: as for :func:`dcr`.
    """
    closest, second = closest_distances(
        reference,
        [query],
        metadata,
        neighbours=2,
        chunk_rows=chunk_rows,
        n_jobs=n_jobs,
        engine=engine,
    )[0].T
    ratio = np.zeros_like(closest)
    np.divide(closest, second, out=ratio, where=second > 0)
    ratio[~np.isfinite(second)] = np.nan
    return ratio


def closest_distances(
    reference: pd.DataFrame,
    queries: Sequence[pd.DataFrame],
    metadata: Mapping[str, Any] | None = None,
    *,
    neighbours: int = 1,
    chunk_rows: int | None = None,
    n_jobs: int | None = None,
    engine: Engine = "auto",
) -> list[np.ndarray]:
    """Closest (and second-closest) DCR distances of several query tables to one reference.

    Encodes and indexes the reference once; :func:`dcr` and :func:`nndr` are the one-table
    cases.

    Returns:
        Per query table: an (n_query,) array when ``neighbours`` is 1, else (n_query, 2) with
        the closest and second-closest distance (``inf`` where there is no second row).
    """
    encoded = encode_tables(reference, queries, metadata)
    sums = nearest_sums(
        encoded.reference,
        list(encoded.queries),
        encoded.integer_coded,
        neighbours=neighbours,
        chunk_rows=chunk_rows,
        n_jobs=n_jobs,
        engine=engine,
    )
    n_columns = len(encoded.columns)
    return [s[:, 0] / n_columns if neighbours == 1 else s / n_columns for s in sums]
