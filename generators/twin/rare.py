"""Rare-category protection: a category held by fewer than k persons never reaches a twin.

One person's rare diagnosis is as identifying as a name. Before fitting, rows
with such a category are dropped (default: every value the twin shows also
exists among at least k real persons) or the category is merged into "other".
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

OTHER = "other"
MODES = ("drop", "merge")


@dataclass(frozen=True)
class RareCategories:
    """What protection did to one column."""

    table: str  # table name
    column: str  # column name
    categories: int  # distinct rare categories removed
    rows: int  # rows dropped or relabelled
    mode: str  # "drop" or "merge"


def protect_rare(
    tables: dict[str, pd.DataFrame],
    units: dict[str, pd.Series],
    categorical: dict[str, set[str]],
    min_persons: int = 5,
    mode: str = "drop",
) -> tuple[dict[str, pd.DataFrame], list[RareCategories]]:
    """Remove categories held by fewer than ``min_persons`` units.

    Args:
        tables: table name -> rows.
        units: table name -> unit (person) key per row; tables missing here count rows.
        categorical: table name -> its categorical columns.
        min_persons: smallest number of persons a category must have.
        mode: "drop" the rows, or "merge" the category into ``"other"``. A column where
            dropping would remove more than 20% of the rows (identifier-like codes) is
            merged instead, and reported so.

    Returns:
        The protected tables (orphans are not removed here) and a report per column touched.
    """
    if mode not in MODES:
        raise ValueError(f"rare-category mode must be one of {MODES}, got {mode!r}")
    out: dict[str, pd.DataFrame] = {}
    report: list[RareCategories] = []
    for name, frame in tables.items():
        keep = pd.Series(True, index=frame.index)
        frame = frame.copy()
        owners = units.get(name, pd.Series(frame.index, index=frame.index))
        for col in sorted(categorical.get(name, set())):
            persons = owners.groupby(frame[col], dropna=True).nunique()
            rare = persons.index[persons < min_persons]
            if len(rare) == 0:
                continue
            hit = frame[col].isin(rare)
            column_mode = mode if mode == "merge" or hit.mean() <= 0.2 else "merge"
            if column_mode == "drop":
                keep &= ~hit
            else:
                frame[col] = frame[col].astype(object).where(~hit, OTHER)
            report.append(RareCategories(name, col, len(rare), int(hit.sum()), column_mode))
        out[name] = frame[keep]
    return out, report
