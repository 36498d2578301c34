"""Distance to closest record (DCR) and nearest-neighbour distance ratio (NNDR).

The distance is SDMetrics 0.32's (``calculate_dcr`` in
``sdmetrics/single_table/privacy/dcr_utils.py``), reproduced value for value: the mean over the
compared columns of a per-column distance, ``min(|a - b| / range, 1)`` for numerical and datetime
columns (range of the real column) and ``a != b`` for categorical and boolean columns, with
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
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    metadata: Mapping[str, Any] | None = None,
    chunk_rows: int | None = None,
    *,
    n_jobs: int | None = None,
    engine: Engine = "auto",
) -> np.ndarray:
    """Distance from each synthetic row to its closest real row (SDMetrics' DCR).

    Equals ``sdmetrics.single_table.privacy.dcr_utils.calculate_dcr(synthetic, real,
    metadata)`` (to float rounding, about 1e-15), computed exactly without sampling.

    Args:
        real: the rows distances are measured to (SDMetrics' reference data). Numeric and
            datetime columns are scaled by this table's range.
        synthetic: the rows that get a distance (or any other table measured against
            ``real``, such as held-out real rows).
        metadata: SDMetrics/SDV single-table metadata dict (``{"columns": {...}}``); columns of
            sdtype numerical, datetime, categorical and boolean present in both tables are
            compared, all others (ids, ordinal, pii) skipped. None infers sdtypes from the
            real table's dtypes (``encoding.infer_metadata``).
        chunk_rows: synthetic rows per unit of work; smaller chunks use less memory per thread.
        n_jobs: threads (default: every core this process may use).
        engine: search engine, "auto" (numba when installed), "numba" or "numpy".

    Returns:
        float64 array, one DCR in [0, 1] per synthetic row, in their order.

    Raises:
        ValueError: empty real table, or no comparable columns, or a column that cannot be
            compared (see ``encoding.encode_tables``).
    """
    return closest_distances(
        real, [synthetic], metadata, chunk_rows=chunk_rows, n_jobs=n_jobs, engine=engine
    )[0]


def nndr(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    metadata: Mapping[str, Any] | None = None,
    chunk_rows: int | None = None,
    *,
    n_jobs: int | None = None,
    engine: Engine = "auto",
) -> np.ndarray:
    """Nearest-neighbour distance ratio: closest over second-closest distance to a real row.

    Uses the DCR distance above. A ratio near 0 means the synthetic row sits much closer to one
    real row than to any other, the pattern of a copied or singled-out record. When the
    two closest distances are both 0 (a copy of a record that occurs twice) the ratio is 0.

    Args:
        real, synthetic, metadata, chunk_rows, n_jobs, engine: as for :func:`dcr`.

    Returns:
        float64 array, one ratio in [0, 1] per synthetic row; NaN everywhere when the real
        table has fewer than two rows.

    Raises:
        ValueError: as for :func:`dcr`.
    """
    closest, second = closest_distances(
        real,
        [synthetic],
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
    real: pd.DataFrame,
    synthetic_tables: Sequence[pd.DataFrame],
    metadata: Mapping[str, Any] | None = None,
    *,
    neighbours: int = 1,
    chunk_rows: int | None = None,
    n_jobs: int | None = None,
    engine: Engine = "auto",
) -> list[np.ndarray]:
    """Closest (and second-closest) DCR distances of several tables' rows to one real table.

    Encodes and indexes ``real`` once; :func:`dcr` and :func:`nndr` are the one-table
    cases. ``synthetic_tables`` are the tables whose rows get a distance: synthetic data, a
    random baseline, held-out real rows.

    Returns:
        Per table of ``synthetic_tables``: an (n_rows,) array when ``neighbours`` is 1, else
        (n_rows, 2) with the closest and second-closest distance (``inf`` where ``real`` has
        no second row).
    """
    encoded = encode_tables(real, synthetic_tables, metadata)
    sums = nearest_sums(
        encoded.real,
        list(encoded.synthetic_tables),
        encoded.integer_coded,
        neighbours=neighbours,
        chunk_rows=chunk_rows,
        n_jobs=n_jobs,
        engine=engine,
    )
    n_columns = len(encoded.columns)
    return [s[:, 0] / n_columns if neighbours == 1 else s / n_columns for s in sums]
