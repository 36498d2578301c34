"""SDV / SDMetrics metadata for a set of related tables.

Built from dtypes and declared keys, not auto-detected, so an identifier is
never mistaken for a category and a code never for personal information.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from generators.relations import Relation
from generators.twin.synthesizers import column_sdtype


def build_metadata(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    primary_keys: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Multi-table metadata in SDV's dictionary form (``Metadata.load_from_dict``).

    Args:
        tables: table name -> frame (real or twin; only dtypes are read).
        relations: foreign keys; their columns become ``id`` columns.
        primary_keys: table -> primary key column.

    Returns:
        ``{"tables": {...}, "relationships": [...]}`` as SDMetrics' reports expect.
    """
    primary_keys = primary_keys or {}
    key_columns: dict[str, set[str]] = {name: set() for name in tables}
    for rel in relations:
        key_columns[rel.child_table].add(rel.child_column)
    for name, key in primary_keys.items():
        key_columns[name].add(key)
    out: dict[str, Any] = {"tables": {}, "relationships": []}
    for name, frame in tables.items():
        columns = {
            col: {"sdtype": "id"} if col in key_columns[name] else column_sdtype(frame[col])
            for col in frame.columns
        }
        table: dict[str, Any] = {"columns": columns}
        if name in primary_keys:
            table["primary_key"] = primary_keys[name]
        out["tables"][name] = table
    for rel in relations:
        out["relationships"].append(
            {
                "parent_table_name": rel.parent_table,
                "parent_primary_key": rel.parent_column,
                "child_table_name": rel.child_table,
                "child_foreign_key": rel.child_column,
            }
        )
    return out
