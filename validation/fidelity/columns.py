"""Which columns of synthetic tables are compared with the real ones, and how.

Drift reports and column figures compare attribute columns only: keys (SDV sdtype ``id``) are
fresh in synthetic data by design, so comparing them says nothing about fidelity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from validation.fidelity.errors import FidelityInputError

# sdtypes whose columns are compared; everything else (id, pii, unknown) is skipped.
COMPARED_SDTYPES = ("numerical", "datetime", "categorical", "boolean")


def metadata_dict(metadata: Any) -> dict[str, Any]:
    """Return SDV multi-table metadata as a plain dictionary.

    Args:
        metadata: ``{"tables": {...}, "relationships": [...]}`` or an SDV ``Metadata`` object.

    Returns:
        The dictionary form (the same object when a dict was given).

    Raises:
        FidelityInputError: if it is neither, or has no ``tables``.
    """
    if not isinstance(metadata, Mapping) and hasattr(metadata, "to_dict"):
        metadata = metadata.to_dict()
    if not isinstance(metadata, Mapping) or "tables" not in metadata:
        raise FidelityInputError(
            "Expected multi-table metadata ({'tables': {...}, 'relationships': [...]}); "
            "build it with generators.twin.metadata.build_metadata(tables, relations, keys)."
        )
    return dict(metadata)


def compared_columns(metadata: Mapping[str, Any], table: str) -> dict[str, str]:
    """Return the attribute columns of one table, each with its sdtype, in metadata order.

    Args:
        metadata: multi-table metadata dictionary.
        table: table name.

    Returns:
        Column name -> sdtype, for every column whose sdtype is in ``COMPARED_SDTYPES``.
        Primary and foreign keys (sdtype ``id``) are left out.

    Raises:
        FidelityInputError: if the metadata does not describe ``table``.
    """
    tables = metadata["tables"]
    if table not in tables:
        raise FidelityInputError(
            f"Table {table!r} is not in the metadata; build the metadata from the real tables."
        )
    columns = tables[table].get("columns", {})
    return {
        str(name): str(spec.get("sdtype"))
        for name, spec in columns.items()
        if spec.get("sdtype") in COMPARED_SDTYPES
    }


def check_same_lake(
    real: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    metadata: Mapping[str, Any],
) -> None:
    """Check that real and synthetic data hold the same tables, each with every compared column.

    Args:
        real: table name -> real rows.
        synthetic: table name -> synthetic rows.
        metadata: multi-table metadata dictionary.

    Raises:
        FidelityInputError: naming the first missing table or columns.
    """
    missing_tables = sorted(set(real) ^ set(synthetic))
    if missing_tables:
        raise FidelityInputError(
            f"Real and synthetic data differ in tables {missing_tables}; evaluate synthetic "
            "data of this lake."
        )
    for name in real:
        wanted = compared_columns(metadata, name)
        for side, frames in (("real", real), ("synthetic", synthetic)):
            absent = [col for col in wanted if col not in frames[name].columns]
            if absent:
                raise FidelityInputError(
                    f"The {side} table {name!r} lacks columns {absent} that the metadata "
                    "describes; rebuild the synthetic data or the metadata from the same lake."
                )


def as_datetimes(series: pd.Series) -> pd.Series:
    """The column as datetimes; unparseable values become missing (NaT)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series  # pd.to_datetime would still scan every value
    return pd.to_datetime(series, errors="coerce")


def as_days(series: pd.Series) -> pd.Series:
    """Datetimes as float days since 1970-01-01 (missing -> NaN), for numeric comparison."""
    values = as_datetimes(series)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert(None)
    return (values - pd.Timestamp(0)) / pd.Timedelta(days=1)


def as_labels(series: pd.Series, missing: str | None = None) -> pd.Series:
    """Categories and booleans as text, so 1 and "1" are one category; missing -> ``missing``."""
    # Each distinct value is turned into text once (factorize), not once per row.
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text = np.array([str(value) for value in uniques] + [missing], dtype=object)
    return pd.Series(text[codes], index=series.index, name=series.name)
