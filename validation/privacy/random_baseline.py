"""The random baseline table of DCRBaselineProtection, drawn as SDMetrics 0.32 draws it.

``DCRBaselineProtection._generate_random_data`` fills every column of the real table
independently: integers uniformly in [min, max], floats uniformly in [min, max), datetimes
uniformly between the first and last instant, anything else (text, categories, booleans, and
dates stored as text) by picking among the distinct non-missing values; then a share of cells
equal to the column's missing share is blanked.

SDMetrics draws the values from ``numpy.random.default_rng(DCRBaselineProtection._seed)`` but
the blanking masks from numpy's *global* legacy generator (``np.random.rand``). This function
uses ``default_rng(seed)`` and ``RandomState(seed)`` in the same order, so with the same seed it
returns SDMetrics' table cell for cell when SDMetrics runs after
``DCRBaselineProtection._seed = seed; np.random.seed(seed)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def random_baseline_data(
    real: pd.DataFrame, num_rows: int | None = None, seed: int | None = None
) -> pd.DataFrame:
    """Draw a table of random rows within the ranges and categories of ``real``.

    Args:
        real: the real table; every column is drawn (ids too, as SDMetrics does).
        num_rows: rows to draw; default ``len(real)``.
        seed: seeds both generators (see module docstring); None draws fresh entropy.

    Returns:
        A table with ``real``'s columns and ``num_rows`` rows and a default RangeIndex.
    """
    num_rows = len(real) if num_rows is None else num_rows
    values_rng = np.random.default_rng(seed)
    missing_rng = np.random.RandomState(seed)
    columns = {}
    for name in real.columns:
        column = real[name]
        missing_share = column.isna().mean()
        values: object
        if pd.api.types.is_integer_dtype(column):
            values = values_rng.integers(low=column.min(), high=column.max() + 1, size=num_rows)
        elif pd.api.types.is_float_dtype(column):
            values = values_rng.uniform(low=column.min(), high=column.max(), size=num_rows)
        elif pd.api.types.is_datetime64_any_dtype(column):
            first, last = column.min(), column.max()
            seconds = (last - first).total_seconds()
            values = first + pd.to_timedelta(
                values_rng.uniform(low=0, high=seconds, size=num_rows), unit="s"
            )
        elif column.notna().any():
            values = values_rng.choice(column.dropna().unique(), size=num_rows)
        else:
            values = np.full(num_rows, None, dtype=object)  # SDMetrics raises here
        blank = missing_rng.rand(num_rows) < missing_share
        columns[name] = pd.Series(values).mask(blank)
    return pd.DataFrame(columns)
