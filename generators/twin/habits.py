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

Conditions are the same for codes: a person with diabetes holds its code on contact after
contact, and persons without it never do. Drawn row by row, a twin gives a chronic code to
2-3 times as many persons, each holding it once (simulated lake: diabetes as a diagnosis
held by 1,266 real persons, 3,318 twin persons), which a classifier sees in how many kinds
of codes a person holds. For the codes held by far fewer persons than rows scattered at
random would reach, whether each person holds the code becomes a hidden yes/no column of
the person table (``__holds__<table>__<column>__<n>``), drawn by the person's model and
read by the code forests of the tables below (``generators.twin.codes``), which then give
the code to the persons who hold it. Yes/no columns are far from unique per person, so a
forest's leaves still hold many persons.

Kept values are the same for small categories: a person's smoking status is the same at
every observation (real persons with two observations or more: all hold one value; twin
persons drawn row by row: 26%). Where persons keep to one value far more than rows drawn
at random would, each person's commonest value becomes a hidden column of the person table
(``__keeps__<table>__<column>``) and the column is drawn by a forest that reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from generators.relations import Relation
from generators.twin.constraints import written_as_numbers
from generators.twin.graph import key_columns, topological_order, unit_of_rows

HABIT = "__habit__"  # the prefix of the hidden columns of the person table
HOLDS = "__holds__"  # the prefix of the hidden yes/no columns of conditions
HELD, NOT_HELD = "y", "n"
MAX_CONDITIONS = 8  # most condition columns
MIN_CONCENTRATION = 1.5  # persons that random rows would reach, per person holding the code
MIN_EXCESS = 0.01  # ... and that many persons more, as a share of all persons
KEEPS = "__keeps__"  # the prefix of the hidden columns of kept values
MAX_KEPT = 4  # most kept-value columns
MAX_SETS = 10  # most sets of values a kept column holds; beyond, the commonest value
MIN_KEEP = 0.5  # share of persons with two rows or more that hold one value ...
MIN_KEEP_GAIN = 0.25  # ... and how much more that is than rows drawn at random would give
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
    persons = tables[unit][unit_key]
    scored: list[tuple[float, str, pd.Series]] = []
    for name, column, values, owner in _columns_below(tables, relations, keys, unit, unit_key):
        if not _measure(values):
            continue
        values = values.astype(float)
        held = values.notna() & owner.notna()
        share = _between_share(values[held], owner[held])
        if share is None or share < MIN_SHARE:
            continue
        means = values[held].groupby(owner[held].to_numpy()).mean()
        level = persons.map(means)
        if level.notna().mean() >= MIN_HELD:
            scored.append((share, f"{HABIT}{name}__{column}", level))
    return _strongest(scored, MAX_HABITS, tables[unit].index, float)


def _columns_below(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    keys: dict[str, str],
    unit: str,
    unit_key: str,
) -> Iterator[tuple[str, str, pd.Series, pd.Series]]:
    """(table, column, values, the person of each row) for every column of every table
    below the person table that is not a key or a hidden column."""
    order = topological_order(list(tables), relations)
    owners = unit_of_rows(tables, relations, order, unit, unit_key)
    keyed = key_columns(relations, keys)
    for name in order:
        if name == unit or name not in owners:
            continue
        for column in tables[name].columns:
            if (name, column) not in keyed and not column.startswith("__"):
                yield name, column, tables[name][column], owners[name]


def _strongest(
    scored: list[tuple[float, str, pd.Series]], most: int, index: pd.Index, dtype: Any
) -> pd.DataFrame:
    """The ``most`` best-scored hidden columns, as a frame on the person table's index."""
    scored = sorted(scored, key=lambda item: -item[0])
    return pd.DataFrame(
        {label: column.to_numpy(dtype=dtype) for _, label, column in scored[:most]}, index=index
    )


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


def person_conditions(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    keys: dict[str, str],
    unit: str,
    unit_key: str,
) -> pd.DataFrame:
    """Whether each person holds the codes persons keep to, one hidden column each ("y" or
    "n"), aligned with the person table's rows (empty: no such code).

    A code qualifies in a text column of 5 to 200 values of a table below the person when
    at least ``MIN_PERSONS`` persons hold it, at most half of all persons, and the persons
    its rows would reach if scattered at random over the persons' rows (sum over persons of
    1 - (1 - share)^rows) are at least ``MIN_CONCENTRATION`` times those holding it and
    ``MIN_EXCESS`` of all persons more. The ``MAX_CONDITIONS`` with the largest excess
    are kept.
    """
    persons = tables[unit][unit_key]
    scored: list[tuple[float, str, pd.Series]] = []
    for name, column, values, owner in _columns_below(tables, relations, keys, unit, unit_key):
        if not _text(values):
            continue
        held = values.notna() & owner.notna()
        levels = values[held].value_counts()
        if not 5 <= len(levels) <= 200 or written_as_numbers(values[held]):
            continue
        shares = levels / float(held.sum())
        holders = owner[held].groupby(values[held].to_numpy()).nunique()
        n_rows = owner.value_counts().to_numpy(dtype=float)
        for position, (code, share) in enumerate(shares.items()):
            actual = int(holders.get(code, 0))
            if actual < MIN_PERSONS or actual > 0.5 * len(persons):
                continue
            expected = float((1.0 - (1.0 - share) ** n_rows).sum())
            excess = (expected - actual) / len(persons)
            if expected < MIN_CONCENTRATION * actual or excess < MIN_EXCESS:
                continue
            who = set(owner[held & (values == code)].dropna())
            flag = persons.isin(who).map({True: HELD, False: NOT_HELD})
            scored.append((excess, f"{HOLDS}{name}__{column}__{position}", flag))
    return _strongest(scored, MAX_CONDITIONS, tables[unit].index, object)


def person_keeps(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    keys: dict[str, str],
    unit: str,
    unit_key: str,
) -> pd.DataFrame:
    """Each person's set of values (or, where many sets occur, commonest value) of the
    small categories persons keep to, one hidden column each (for a person without rows
    in the table, a random person's), aligned with the person table's rows (empty: none).

    A text column of 2 to 20 values of a table below the person qualifies when at least
    ``MIN_PERSONS`` persons have two rows or more, at least ``MIN_KEEP`` of them hold one
    value on all their rows, and that share is ``MIN_KEEP_GAIN`` above what rows drawn at
    random from the column's shares would give (sum of share^rows). The ``MAX_KEPT`` with
    the largest gain are kept.
    """
    persons = tables[unit][unit_key]
    scored: list[tuple[float, str, pd.Series]] = []
    for name, column, values, owner in _columns_below(tables, relations, keys, unit, unit_key):
        if not _text(values):
            continue
        held = values.notna() & owner.notna()
        rows = pd.DataFrame({"who": owner[held].to_numpy(), "value": values[held].to_numpy()})
        if not 2 <= rows["value"].nunique() <= 20:
            continue
        per_person = rows.groupby("who")["value"]
        sizes = per_person.size()
        several = sizes[sizes >= 2]
        if len(several) < MIN_PERSONS:
            continue
        one = float((per_person.nunique()[several.index] == 1).mean())
        shares = rows["value"][rows["who"].isin(several.index)].value_counts(normalize=True)
        power = shares.to_numpy(dtype=float)[None, :] ** several.to_numpy(dtype=float)[:, None]
        random_one = float(power.sum(axis=1).mean())
        if one < MIN_KEEP or one - random_one < MIN_KEEP_GAIN:
            continue
        # The set of values the person holds where few sets occur ("83", "83a",
        # "83+83a"): given only their commonest value, each row of the persons who mix
        # drew apart and most twin persons mixed (41% kept one, real 74%).
        sets = per_person.agg(lambda v: "+".join(sorted({str(x) for x in v})))
        commonest = (
            sets
            if sets.nunique() <= MAX_SETS
            else per_person.agg(lambda v: v.value_counts().index[0])
        )
        kept = persons.map(commonest).astype(object).to_numpy()
        # A person without rows gets the value of a person with rows, drawn at random:
        # the twin's person may draw rows its real counterpart had none of, and a forest
        # given a value no real row held answers arbitrarily (twin smokers: 67% former,
        # real 27%, when those persons held a value of their own).
        missing = ~persons.isin(commonest.index).to_numpy()
        rng = np.random.default_rng(len(persons) + len(rows))
        kept[missing] = rng.choice(commonest.to_numpy(dtype=object), int(missing.sum()))
        scored.append((one - random_one, f"{KEEPS}{name}__{column}", pd.Series(kept)))
    return _strongest(scored, MAX_KEPT, tables[unit].index, object)


def read_by_forests(column: str) -> bool:
    """Whether a (context) column is a person's condition or kept value: given to every
    table below the person for its forests, never to its copula."""
    return HOLDS in column or KEEPS in column


def kept_columns(table: str, columns: list[str], context: list[str], folded: str) -> list[str]:
    """The columns of ``table`` whose kept value per person is among ``context``; a child
    table folded into ``table`` (a column ``<folded><child>__<column>``) counts as its own."""
    kept = {n[n.index(KEEPS) + len(KEEPS) :] for n in context if KEEPS in n}
    return [
        c
        for c in columns
        if f"{table}__{c}" in kept or (c.startswith(folded) and c[len(folded) :] in kept)
    ]


def _text(series: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(series) or isinstance(series.dtype, pd.StringDtype)
