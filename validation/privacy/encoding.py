"""Turn DataFrames into numeric matrices on which SDMetrics' DCR distance is a plain sum.

SDMetrics 0.32 (``sdmetrics/single_table/privacy/dcr_utils.py``) defines the distance between a
synthetic row and a real row (its reference row) as the mean, over the compared columns, of a
per-column distance:

- numerical / datetime: ``min(|a - b| / range, 1)``, where ``range = max - min`` of the
  *real* column (datetimes in seconds); a real column with range 0 gives
  ``1 if a != b else 0``;
- categorical / boolean: ``0 if a == b else 1``;
- missing values, for every type: both missing -> 0, exactly one missing -> 1
  (so NaN equals NaN, and None, NaN, NaT and pd.NA all count as the same "missing").

This module encodes every compared column so that the per-column distance becomes
``min(|x - y|, 1)`` on the encoded values:

- a numeric column with a positive range is shifted and divided by the real range
  (real values land in [0, 1]); synthetic values are clipped to [-1, 2], which cannot change
  ``min(|x - y|, 1)`` for a real value in [0, 1];
- categorical, boolean and constant numeric columns become integer codes (distinct codes differ
  by at least 1, so the capped distance is exactly 0 or 1);
- a missing value becomes ``MISSING_CODE`` (10), at least 8 away from any other encoded value,
  so it matches only another missing value.

The distance of a row pair is then ``sum_j min(|x_j - y_j|, 1) / n_columns``: one formula the
search kernels in ``nearest.py`` can evaluate without branches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

# sdtypes SDMetrics' DCR compares; every other sdtype (id, ordinal, pii, ...) is skipped.
DISTANCE_SDTYPES = ("numerical", "datetime", "categorical", "boolean")
# Encoded value of a missing cell. Encoded present values lie in [-1, 2] or are category codes
# (which are compared only with codes), so a missing cell is never within 1 of a present one.
MISSING_CODE = 10.0
# Synthetic values of a scaled numeric column are clipped to this interval (see module docstring).
_SYNTHETIC_CLIP = (-1.0, 2.0)


@dataclass(frozen=True)
class EncodedTables:
    """A real table and one or more synthetic tables, encoded on the same scale.

    Attributes:
        real: (n_real, n_columns) float64 matrix of the real rows.
        synthetic_tables: one (n_rows, n_columns) float64 matrix per synthetic table, in the
            order given.
        columns: names of the compared columns, in metadata order.
        integer_coded: per column, True when every encoded value is a small integer (categorical,
            boolean, constant or all-missing numeric columns); such columns are exact in float32.
    """

    real: np.ndarray
    synthetic_tables: tuple[np.ndarray, ...]
    columns: tuple[str, ...]
    integer_coded: np.ndarray


def single_table_columns(metadata: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the ``columns`` mapping of SDMetrics/SDV single-table metadata.

    Args:
        metadata: ``{"columns": {name: {"sdtype": ...}, ...}}``, or multi-table metadata
            (``{"tables": {...}}``) that holds exactly one table.

    Returns:
        The mapping from column name to column metadata.

    Raises:
        TypeError: if metadata is not a mapping (an SDV ``Metadata`` object needs ``to_dict()``).
        ValueError: if it has no ``columns`` or holds several tables.
    """
    if not isinstance(metadata, Mapping):
        raise TypeError(
            f"Expected metadata as a dict, got {type(metadata).__name__}; "
            "for an SDV Metadata object pass metadata.to_dict()."
        )
    if "tables" in metadata:
        tables = metadata["tables"]
        if len(tables) != 1:
            raise ValueError(
                f"Metadata holds {len(tables)} tables; pass the single-table metadata "
                "(metadata['tables'][name]) of the table to compare."
            )
        metadata = next(iter(tables.values()))
    if "columns" not in metadata:
        raise ValueError("Metadata needs a 'columns' mapping of column name to its sdtype.")
    return dict(metadata["columns"])


def infer_metadata(data: pd.DataFrame) -> dict[str, Any]:
    """Infer single-table metadata from dtypes, for callers that have none.

    bool -> boolean; other numbers -> numerical; datetime64 (with or without time zone) and
    timedelta64 -> datetime; everything else (object, string, category) -> categorical.
    Unlike SDV's detector this never marks id columns, so pass real metadata where there are ids.

    Args:
        data: the table (normally the real table).

    Returns:
        Metadata in SDMetrics' single-table dict form.
    """
    columns: dict[str, dict[str, str]] = {}
    for name, dtype in data.dtypes.items():
        if pd.api.types.is_bool_dtype(dtype):
            sdtype = "boolean"
        elif pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(
            dtype
        ):
            sdtype = "datetime"
        elif pd.api.types.is_numeric_dtype(dtype):
            sdtype = "numerical"
        else:
            sdtype = "categorical"
        columns[str(name)] = {"sdtype": sdtype}
    return {"columns": columns}


def distance_columns(
    metadata: Mapping[str, Any], tables: Sequence[pd.DataFrame]
) -> list[tuple[str, dict[str, Any]]]:
    """Columns SDMetrics compares: metadata order, a DCR sdtype, present in every table."""
    selected = [
        (name, column_metadata)
        for name, column_metadata in single_table_columns(metadata).items()
        if column_metadata.get("sdtype") in DISTANCE_SDTYPES
        and all(name in table.columns for table in tables)
    ]
    if not selected:
        raise ValueError(
            "There are no overlapping statistical columns to measure: DCR compares columns of "
            f"sdtype {', '.join(DISTANCE_SDTYPES)} present in every table."
        )
    return selected


def encode_tables(
    real: pd.DataFrame,
    synthetic_tables: Sequence[pd.DataFrame],
    metadata: Mapping[str, Any] | None = None,
) -> EncodedTables:
    """Encode a real table and synthetic tables for the DCR distance (see module docstring).

    Args:
        real: the table distances are measured to (SDMetrics' reference data); column ranges
            come from it, as in SDMetrics.
        synthetic_tables: tables whose rows get a distance (synthetic data, a random
            baseline, ...).
        metadata: SDMetrics single-table metadata; None infers it from the real table's dtypes.

    Returns:
        The encoded matrices.

    Raises:
        ValueError: no comparable columns, a datetime column stored as text without a
            ``datetime_format``, non-numeric or infinite values in a numerical column.
    """
    if metadata is None:
        metadata = infer_metadata(real)
    tables = [real, *synthetic_tables]
    selected = distance_columns(metadata, tables)
    n_rows = [len(table) for table in tables]
    encoded = [np.empty((n, len(selected))) for n in n_rows]
    integer_coded = np.zeros(len(selected), dtype=bool)
    for j, (name, column_metadata) in enumerate(selected):
        sdtype = column_metadata["sdtype"]
        series = [table[name] for table in tables]
        if sdtype == "datetime":
            series = [_as_datetime(s, name, column_metadata) for s in series]
        if sdtype in ("numerical", "datetime"):
            columns, integer_coded[j] = _encode_numeric(series, name)
        else:
            columns, integer_coded[j] = _encode_categories(series), True
        for matrix, column in zip(encoded, columns, strict=True):
            matrix[:, j] = column
    return EncodedTables(
        real=encoded[0],
        synthetic_tables=tuple(encoded[1:]),
        columns=tuple(name for name, _ in selected),
        integer_coded=integer_coded,
    )


def _as_datetime(series: pd.Series, name: str, column_metadata: Mapping[str, Any]) -> pd.Series:
    """SDMetrics' ``_convert_datetime_column``: text needs the metadata's datetime_format."""
    if _is_time_dtype(series):
        return series
    datetime_format = column_metadata.get("datetime_format")
    if datetime_format is None:
        raise ValueError(
            f"Datetime column {name!r} is not of a datetime dtype and its metadata has no "
            "'datetime_format': add the format, or convert the column with pd.to_datetime."
        )
    try:
        return pd.to_datetime(series, format=datetime_format)
    except (ValueError, TypeError) as err:
        raise ValueError(f"Column {name!r} does not parse as {datetime_format!r}: {err}") from err


def _is_time_dtype(series: pd.Series) -> bool:
    return bool(
        pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series)
    )


def _numeric_values(series: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Values and missing mask; times become int64 nanoseconds so differences stay exact."""
    missing = series.isna().to_numpy()
    if _is_time_dtype(series):
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        unit = "datetime64[ns]" if pd.api.types.is_datetime64_any_dtype(series) else "m8[ns]"
        values = series.to_numpy(dtype=unit).view(np.int64).copy()
        values[missing] = 0
        return values, missing
    try:
        numbers = pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"Column {name!r} is declared numerical but holds non-numeric values ({err}); "
            "fix its sdtype in the metadata."
        ) from err
    if np.isinf(numbers).any():
        # SDMetrics gives meaningless distances here (an infinite range, inf - inf = NaN that
        # pandas' sum then skips); refuse rather than copy that.
        raise ValueError(f"Column {name!r} holds infinite values; DCR needs finite numbers.")
    numbers[missing] = 0.0
    return numbers, missing


def _encode_numeric(series: list[pd.Series], name: str) -> tuple[list[np.ndarray], bool]:
    values = [_numeric_values(s, name) for s in series]
    real_values, real_missing = values[0]
    present = real_values[~real_missing]
    if present.size == 0:
        # No real range: only missing-vs-present decides (both missing 0, else 1).
        return [np.where(missing, MISSING_CODE, 0.0) for _, missing in values], True
    low, high = present.min(), present.max()
    if high == low:
        # SDMetrics: range 0 -> distance is (|a - b| > 0), i.e. plain equality.
        # Object arrays keep int64 nanoseconds exact (float64 would merge nearby instants).
        equal_or_not = []
        for column, missing in values:
            objects = column.astype(object)
            objects[missing] = None
            equal_or_not.append(pd.Series(objects, dtype=object))
        return _encode_categories(equal_or_not), True
    span = float(high - low)
    encoded = []
    for k, (column, missing) in enumerate(values):
        # Subtract in the native type first (int64 nanoseconds for times: exact), then scale.
        scaled = (column - low).astype(np.float64) / span
        if k > 0:
            np.clip(scaled, *_SYNTHETIC_CLIP, out=scaled)
        scaled[missing] = MISSING_CODE
        encoded.append(scaled)
    return encoded, False


def _encode_categories(series: list[pd.Series]) -> list[np.ndarray]:
    """Joint integer codes: equal values (pandas ==) share a code; all missing kinds share one."""
    # Object arrays keep Python equality (1 == 1.0 == True, as pandas' == does) and avoid
    # pandas' concat dtype rules.
    stacked = np.concatenate([s.to_numpy(dtype=object) for s in series])
    codes, uniques = pd.factorize(stacked, use_na_sentinel=True)
    codes = codes.astype(np.float64)
    codes[codes < 0] = len(uniques)
    return np.split(codes, np.cumsum([len(s) for s in series])[:-1])
