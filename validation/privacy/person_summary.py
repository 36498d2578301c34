"""A one-row-per-person view of a multi-table lake, for attacks that need one table.

Anonymeter attacks a single table of individuals. A lake holds a person table (``bef``) and
child tables with many rows per person (contacts, prescriptions), some a level further down
(diagnoses under contacts). :func:`person_summary` folds every table below the person table
into a few columns per person: how many rows the person has there, the person's most frequent
code, and the mean of one number. Joined to the person table, that is the record an attacker
would try to single out, link or infer from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from common.numbers import to_numbers

# An integer column with at least this share of distinct values is taken for a key.
_KEY_LIKE_DISTINCT_SHARE = 0.9


def person_summary(
    tables: Mapping[str, pd.DataFrame],
    unit_table: str,
    unit_key: str,
    relations: Iterable[Any],
    *,
    code_columns: Mapping[str, str | None] | None = None,
    numeric_columns: Mapping[str, str | None] | None = None,
    code_prefix: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Summarise every table below ``unit_table`` per unit (person).

    For each table reachable from ``unit_table`` through ``relations`` (children, their
    children, ...), adds the columns

    - ``<table>__n``: the unit's rows there (0 when none),
    - ``<table>__<code>__mode``: its most frequent value of the table's code column (ties go
      to the smallest value; missing when the unit has no non-missing value),
    - ``<table>__<number>__mean``: the mean of the table's numeric column (missing if none).

    Unless named, the code column is the table's first text or categorical column and the
    numeric column its first numeric one, skipping key columns (those in ``relations`` and
    near-unique integers such as ``dw_ek_forloeb``). For the register simulator's tables that
    gives ``kont_type``, ``diag_kode``, ``atc``, ``analysiscode``, ``vaerdi``, ...

    Args:
        tables: the lake's tables by name.
        unit_table: the table with one row per unit, e.g. ``"bef"``.
        unit_key: its key column, e.g. ``"pnr"``.
        relations: foreign keys, as ``generators.relations.Relation`` or any object with
            ``child_table``, ``child_column``, ``parent_table`` and ``parent_column``, or
            ``(child_table, child_column, parent_table, parent_column)`` tuples. A table below
            a child (diagnoses under contacts) is reached through its parent.
        code_columns: table -> code column to summarise, overriding the choice above; None
            as a value leaves the table without a mode column.
        numeric_columns: table -> numeric column to average, likewise.
        code_prefix: table -> number of leading characters of the code to keep before taking
            the mode, e.g. ``{"lpr_a_diagnose": 2}`` gives the ICD-10 chapter letter ("DI").

    Returns:
        One row per unit in ``unit_table`` order: ``unit_key`` then the summary columns,
        tables in breadth-first order from the unit table.

    Raises:
        KeyError: a table or column named in the arguments or relations is missing.
        ValueError: ``unit_key`` is not unique in ``unit_table``.
    """
    units = tables[unit_table][unit_key]
    if units.duplicated().any():
        raise ValueError(
            f"{unit_table}.{unit_key} has repeated values; pass the table with one row per unit."
        )
    links = [_as_relation(r) for r in relations]
    key_columns = _key_columns(links)
    out = pd.DataFrame({unit_key: units.to_numpy()})
    for table, owner in _units_of_rows(tables, unit_table, unit_key, links):
        frame = tables[table]
        grouped_by = pd.Index(units.to_numpy())
        counts = owner.value_counts().reindex(grouped_by, fill_value=0)
        out[f"{table}__n"] = counts.to_numpy(dtype="int64")
        keys = key_columns.get(table, set())
        code = _chosen(code_columns, table, _first_code, frame, keys)
        if code is not None:
            values = frame[code]
            if code_prefix and table in code_prefix:
                values = values.astype("string").str.slice(0, code_prefix[table]).astype(object)
            out[f"{table}__{code}__mode"] = _mode(owner, values).reindex(grouped_by).to_numpy()
        number = _chosen(numeric_columns, table, _first_number, frame, keys)
        if number is not None:
            means = pd.to_numeric(frame[number]).groupby(owner.to_numpy()).mean()
            out[f"{table}__{number}__mean"] = means.reindex(grouped_by).to_numpy(dtype=float)
    return out


def _as_relation(relation: Any) -> tuple[str, str, str, str]:
    if isinstance(relation, Sequence) and not isinstance(relation, str):
        child_table, child_column, parent_table, parent_column = relation
        return str(child_table), str(child_column), str(parent_table), str(parent_column)
    return (
        relation.child_table,
        relation.child_column,
        relation.parent_table,
        relation.parent_column,
    )


def _key_columns(links: list[tuple[str, str, str, str]]) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for child_table, child_column, parent_table, parent_column in links:
        keys.setdefault(child_table, set()).add(child_column)
        keys.setdefault(parent_table, set()).add(parent_column)
    return keys


def _units_of_rows(
    tables: Mapping[str, pd.DataFrame],
    unit_table: str,
    unit_key: str,
    links: list[tuple[str, str, str, str]],
) -> list[tuple[str, pd.Series]]:
    """Each table below the unit table with the unit of each of its rows, breadth first.

    A row's unit is found by mapping its reference through the parent's rows, whose units are
    already known; rows whose parent is missing get no unit (and are not counted).
    """
    unit_rows = tables[unit_table]
    owners: dict[str, pd.Series] = {unit_table: unit_rows[unit_key].reset_index(drop=True)}
    found: list[tuple[str, pd.Series]] = []
    level = [unit_table]
    while level:
        next_level = []
        for parent in level:
            for child_table, child_column, parent_table, parent_column in links:
                if parent_table != parent or child_table in owners:
                    continue
                parent_rows = tables[parent_table]
                lookup = pd.Series(
                    owners[parent].to_numpy(), index=parent_rows[parent_column].to_numpy()
                ).loc[lambda s: ~s.index.duplicated()]
                owner = tables[child_table][child_column].map(lookup).reset_index(drop=True)
                owners[child_table] = owner
                found.append((child_table, owner))
                next_level.append(child_table)
        level = next_level
    return found


def _chosen(
    overrides: Mapping[str, str | None] | None,
    table: str,
    pick: Callable[[pd.DataFrame, set[str]], str | None],
    frame: pd.DataFrame,
    keys: set[str],
) -> str | None:
    """The column the caller named for ``table``, else the one ``pick`` finds."""
    if overrides is not None and table in overrides:
        return overrides[table]
    return pick(frame, keys)


def _non_key_columns(frame: pd.DataFrame, keys: set[str]) -> list[str]:
    return [c for c in frame.columns if c not in keys]


def _first_code(frame: pd.DataFrame, keys: set[str]) -> str | None:
    for column in _non_key_columns(frame, keys):
        values = frame[column]
        if pd.api.types.is_object_dtype(values) or isinstance(
            values.dtype, (pd.CategoricalDtype, pd.StringDtype)
        ):
            return str(column)
    return None


def _first_number(frame: pd.DataFrame, keys: set[str]) -> str | None:
    for column in _non_key_columns(frame, keys):
        values = frame[column]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        near_unique = values.nunique() >= max(2, _KEY_LIKE_DISTINCT_SHARE * len(values))
        if pd.api.types.is_integer_dtype(values) and near_unique:
            continue  # a surrogate key that no relation declares
        return str(column)
    return None


def _mode(owner: pd.Series, values: pd.Series) -> pd.Series:
    """Most frequent non-missing value per unit; ties go to the smallest value."""
    pairs = pd.DataFrame({"unit": owner.to_numpy(), "value": values.to_numpy()}).dropna()
    counts = pairs.groupby(["unit", "value"], sort=False, observed=True).size().reset_index()
    counts.columns = ["unit", "value", "n"]
    counts = counts.sort_values(["n", "value"], ascending=[False, True], kind="stable")
    first = counts.drop_duplicates("unit")
    return pd.Series(first["value"].to_numpy(), index=first["unit"].to_numpy())


def person_profile(
    tables: Mapping[str, pd.DataFrame],
    unit_table: str,
    unit_key: str,
    relations: Iterable[Any],
    *,
    columns: Mapping[str, Mapping[str, str]] | None = None,
) -> pd.DataFrame:
    """A fuller per-unit summary of every table below ``unit_table``, for classifiers.

    Where :func:`person_summary` keeps what an attacker would use (one code, one number),
    this describes each unit's rows the way a classifier telling real from synthetic persons
    would look at them. For each table below the unit table:

    - ``<table>__n``: the unit's rows there (0 when none);
    - per category column ``c``: ``<table>__<c>__distinct`` (distinct values) and
      ``<table>__<c>__mode`` (most frequent value, ties to the smallest);
    - per date column ``d``: ``<table>__<d>__first`` and ``__last`` (days since 1970),
      ``__span`` (days from first to last) and ``__dates`` (distinct days: rows that share a
      day, such as tests taken together, count once);
    - per numeric column ``x``: ``<table>__<x>__mean``.

    Args:
        tables: the lake's tables by name.
        unit_table: the table with one row per unit.
        unit_key: its key column.
        relations: foreign keys, as for :func:`person_summary`.
        columns: table -> {column: kind}, kind ``"categorical"``, ``"datetime"`` or
            ``"numerical"``; columns not named are left out. Default: every non-key column by
            its dtype (text whose values are mostly numbers counts as numerical; integer
            columns that are nearly unique are taken for keys and left out).

    Returns:
        One row per unit in ``unit_table`` order: ``unit_key`` then the summary columns.

    Raises:
        KeyError: a table or column named in the arguments or relations is missing.
        ValueError: ``unit_key`` is not unique in ``unit_table``.
    """
    units = tables[unit_table][unit_key]
    if units.duplicated().any():
        raise ValueError(
            f"{unit_table}.{unit_key} has repeated values; pass the table with one row per unit."
        )
    links = [_as_relation(r) for r in relations]
    key_columns = _key_columns(links)
    index = pd.Index(units.to_numpy())
    parts: dict[str, Any] = {unit_key: units.to_numpy()}
    for table, owner in _units_of_rows(tables, unit_table, unit_key, links):
        frame = tables[table]
        parts[f"{table}__n"] = owner.value_counts().reindex(index, fill_value=0).to_numpy("int64")
        kinds = (
            dict(columns[table])
            if columns is not None and table in columns
            else column_kinds(frame, key_columns.get(table, set()))
        )
        present = owner.notna().to_numpy()
        who = owner.to_numpy()[present]
        for column, kind in kinds.items():
            values = frame[column].reset_index(drop=True)[present]
            stem = f"{table}__{column}"
            if kind == "categorical":
                pairs = pd.DataFrame({"unit": who, "value": values.to_numpy()})
                distinct = pairs.dropna().groupby("unit")["value"].nunique()
                parts[f"{stem}__distinct"] = distinct.reindex(index, fill_value=0).to_numpy()
                parts[f"{stem}__mode"] = _mode(pd.Series(who), values).reindex(index).to_numpy()
            elif kind == "datetime":
                days = _days(values)
                grouped = pd.Series(days.to_numpy(), index=who).groupby(level=0)
                first, last = grouped.min().reindex(index), grouped.max().reindex(index)
                parts[f"{stem}__first"] = first.to_numpy(float)
                parts[f"{stem}__last"] = last.to_numpy(float)
                parts[f"{stem}__span"] = (last - first).to_numpy(float)
                dates = grouped.nunique().reindex(index, fill_value=0)
                parts[f"{stem}__dates"] = dates.to_numpy("int64")
            else:
                number = as_number(values)
                means = pd.Series(number.to_numpy(), index=who).groupby(level=0).mean()
                parts[f"{stem}__mean"] = means.reindex(index).to_numpy(float)
    return pd.DataFrame(parts)


def column_kinds(frame: pd.DataFrame, keys: set[str]) -> dict[str, str]:
    """Each non-key column's kind for :func:`person_profile`: categorical, datetime or
    numerical (near-unique integers, surrogate keys no relation declares, are left out)."""
    kinds: dict[str, str] = {}
    for column in _non_key_columns(frame, keys):
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            kinds[str(column)] = "datetime"
        elif pd.api.types.is_bool_dtype(values):
            kinds[str(column)] = "numerical"
        elif pd.api.types.is_numeric_dtype(values):
            near_unique = values.nunique() >= max(2, _KEY_LIKE_DISTINCT_SHARE * len(values))
            if not (pd.api.types.is_integer_dtype(values) and near_unique):
                kinds[str(column)] = "numerical"
        elif _mostly_numbers(values):
            kinds[str(column)] = "numerical"
        else:
            kinds[str(column)] = "categorical"
    return kinds


def _days(values: pd.Series) -> pd.Series:
    """Dates as days since 1970-01-01 (float; missing stays missing)."""
    stamps = pd.to_datetime(values, errors="coerce")
    return (stamps - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)


def as_number(values: pd.Series) -> pd.Series:
    """Numbers, from text too (a decimal comma is read as a point); others become NaN."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    return to_numbers(values)


def _mostly_numbers(values: pd.Series) -> bool:
    """Text whose values are mostly numbers (laboratory results): a measure, not a category."""
    present = values.dropna()
    if present.empty:
        return False
    sample = present.iloc[:10_000]
    return bool(as_number(sample).notna().mean() >= 0.9)
