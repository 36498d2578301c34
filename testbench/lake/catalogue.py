"""The lake's catalogue as ``testbench lake status`` shows it, disclosure-checked.

Tables with their columns and types, row counts, the rows their latest ingestion
quarantined (in all and by reason), date ranges of date columns, and declared
keys and relations. Counts are of persons' records, so the publication rule
applies even here: a count from 1 to ``min_count - 1`` shows as ``"<5"`` (for
the default 5), in text and in JSON alike; 0 shows as 0. A date range is shown
only when at least ``min_count`` values span it (else ``"<5"``), since the
earliest and latest dates of a handful of rows are those rows' values.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from testbench.lake.ingest.quarantine import latest_ingests
from testbench.lake.lake import Lake, LakeStatus

Count = int | str  # a count, or "<5" where it is too small to show


def shown_count(count: int, min_count: int) -> Count:
    """``count``, or ``"<min_count"`` when it is 1 to ``min_count - 1``."""
    return f"<{min_count}" if 0 < count < min_count else count


def lake_status(lake: Lake) -> LakeStatus:
    """The lake's status with each table's latest quarantine (unrounded: for internal use)."""
    status = lake.status()
    ingests = latest_ingests(lake) if status.tables else {}
    tables = []
    for table in status.tables:
        latest = ingests.get(table.name, {"quarantined": 0, "reasons": {}})
        tables.append(
            replace(table, quarantined=latest["quarantined"], quarantine_reasons=latest["reasons"])
        )
    return LakeStatus(tables=tables, relations=status.relations)


def catalogue(lake: Lake, min_count: int) -> dict[str, Any]:
    """The catalogue as one JSON-ready object, with small counts shown as ``"<min_count"``.

    Args:
        lake: the tenant's lake.
        min_count: the smallest count that may be shown (``Settings.min_cell_count``).
    """
    status = lake_status(lake)
    hidden = f"<{min_count}"
    tables = []
    for t in status.tables:
        ranges: dict[str, Any] = {}
        for column, (first, last, present) in t.date_ranges.items():
            ranges[column] = {"min": first, "max": last} if present >= min_count else hidden
            if present == 0:
                ranges[column] = None
        tables.append(
            {
                "name": t.name,
                "rows": shown_count(t.rows, min_count),
                "columns": t.columns,
                "column_types": t.column_types,
                "primary_key": t.primary_key,
                "quarantined": shown_count(t.quarantined, min_count),
                "quarantine_reasons": {
                    reason: shown_count(n, min_count) for reason, n in t.quarantine_reasons.items()
                },
                "date_ranges": ranges,
            }
        )
    return {
        "tables": tables,
        "relations": [vars(r) for r in status.relations],
        "min_cell_count": min_count,
    }


def _number(count: Count) -> str:
    return f"{count:,}" if isinstance(count, int) else count


def catalogue_lines(cat: dict[str, Any]) -> list[str]:
    """The catalogue as text, one line per table, column, reason and relation."""
    lines = []
    for t in cat["tables"]:
        key = f", key {t['primary_key']}" if t["primary_key"] else ""
        held = f", {_number(t['quarantined'])} quarantined" if t["quarantined"] != 0 else ""
        lines.append(f"{t['name']}: {_number(t['rows'])} rows, {t['columns']} columns{key}{held}")
        for column, kind in t["column_types"].items():
            span = t["date_ranges"].get(column)
            if isinstance(span, dict):
                kind += f", {span['min']} to {span['max']}"
            elif span is not None:
                kind += f", date range hidden ({span} values)"
            lines.append(f"    {column}: {kind}")
        for reason, count in t["quarantine_reasons"].items():
            lines.append(f"    quarantined {_number(count)}: {reason}")
    if cat["relations"]:
        lines.append("relations:")
    for r in cat["relations"]:
        child, parent = f"{r['child_table']}.{r['child_column']}", f"{r['parent_table']}"
        lines.append(f"    {child} -> {parent}.{r['parent_column']}")
    return lines
