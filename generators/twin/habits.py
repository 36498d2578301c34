"""Habits: a person's own level of a measure, held by the person and given to their rows.

A person's cholesterol is high at every test, and a patient takes the same number of packs at
every refill: much of a measure's spread lies *between* persons. Drawn row by row given only
the person's recorded columns, each row scatters around the lake's average: a twin person's
tests spread over the whole range and their mean sits near everyone's mean, which a
classifier sees in the person's profile (``lab__value__mean``, ``lmdb__apk__mean``).

For the numeric columns of tables below the person where persons differ most (the share of
the measure's variance between persons, among persons with two values or more, at least
``MIN_SHARE``; per code of a panel table, as each is a table of its own), each person's mean
becomes a hidden column of the person table (``__habit__<table>__<column>``), learnt with the
person's columns by the person's model and, as part of the person's context, given to every
table below: the rows are drawn around their person's own level. The hidden columns are
dropped from the twin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generators.relations import Relation
from generators.twin.graph import key_columns, topological_order, unit_of_rows

HABIT = "__habit__"  # the prefix of the hidden columns of the person table
MAX_HABITS = 6  # most hidden columns: each is one more column of the person's model
MIN_SHARE = 0.3  # share of a measure's variance between persons for it to become a habit
MIN_PERSONS = 50  # persons with two values or more, to measure that share
MIN_HELD = 0.5  # share of persons holding a value: a mostly-missing column conditions nothing


def person_habits(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    keys: dict[str, str],
    unit: str,
    unit_key: str,
) -> pd.DataFrame:
    """Each person's mean of the measures persons differ most in, one hidden column each,
    aligned with the person table's rows (empty: no such measure)."""
    order = topological_order(list(tables), relations)
    owners = unit_of_rows(tables, relations, order, unit, unit_key)
    keyed = key_columns(relations, keys)
    persons = tables[unit][unit_key]
    scored: list[tuple[float, str, pd.Series]] = []
    for name in order:
        if name == unit or name not in owners:
            continue
        frame = tables[name]
        for column in frame.columns:
            if (name, column) in keyed or column.startswith("__") or not _measure(frame[column]):
                continue
            values = frame[column].astype(float)
            owner = owners[name]
            held = values.notna() & owner.notna()
            share = _between_share(values[held], owner[held])
            if share is None or share < MIN_SHARE:
                continue
            means = values[held].groupby(owner[held].to_numpy()).mean()
            level = persons.map(means)
            if level.notna().mean() >= MIN_HELD:
                scored.append((share, f"{HABIT}{name}__{column}", level))
    scored.sort(key=lambda item: -item[0])
    chosen = {label: level.to_numpy(dtype=float) for _, label, level in scored[:MAX_HABITS]}
    return pd.DataFrame(chosen, index=tables[unit].index)


def _measure(series: pd.Series) -> bool:
    """A number that measures something: many values, or a small count (packs per
    prescription: 1, 2 or 3); not a flag."""
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    levels = series.nunique()
    if levels > 10:
        return True
    small_count = pd.api.types.is_integer_dtype(series) and 0 <= series.min() <= series.max() <= 100
    return bool(small_count and levels >= 3)


def _between_share(values: pd.Series, owner: pd.Series) -> float | None:
    """The share of the variance of ``values`` that lies between owners (1 - pooled within
    variance / total variance), among owners with two values or more; None if too few."""
    counts = owner.map(owner.value_counts())
    repeated = (counts >= 2).to_numpy()
    x, who = values.to_numpy(dtype=float)[repeated], owner.to_numpy()[repeated]
    if len(np.unique(who)) < MIN_PERSONS:
        return None
    total = float(np.var(x))
    if total <= 0:
        return None
    within = pd.Series(x).groupby(who).transform("mean").to_numpy()
    return float(1.0 - np.mean((x - within) ** 2) / total)
