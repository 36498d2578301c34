"""The graph of a lake's tables: parent-first order, the unit (person) table, and the unit
each row belongs to. Shared by the twin builder, its anchors and the holdout split."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from generators.relations import Relation


def topological_order(tables: list[str], relations: list[Relation]) -> list[str]:
    """Tables with every parent before its children (self-references ignored), depth first.

    One table at a time: a child of the table placed last comes next (a contact's
    diagnoses right after the contacts), and among the rest the one with more tables
    below it comes first. So a person's hospital history is complete before the tables
    sampled after it, which may be anchored to its events (:mod:`generators.twin.anchors`).

    Raises:
        ValueError: the relations form a cycle across tables, or name an unknown table.
    """
    known = set(tables)
    parents: dict[str, set[str]] = {t: set() for t in tables}
    children: dict[str, set[str]] = {t: set() for t in tables}
    for rel in relations:
        if rel.child_table not in known or rel.parent_table not in known:
            raise ValueError(f"relation {rel} names a table that is not in the lake")
        if rel.child_table != rel.parent_table:
            parents[rel.child_table].add(rel.parent_table)
            children[rel.parent_table].add(rel.child_table)

    def below(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        found = children[name] - seen
        for child in children[name] - seen:
            found |= below(child, seen | {name})
        return found

    size = {t: len(below(t)) for t in tables}
    order: list[str] = []
    while len(order) < len(tables):
        placed = set(order)
        ready = [t for t in tables if t not in placed and parents[t] <= placed]
        if not ready:
            raise ValueError("table relations form a cycle; a twin needs a parent-first order")

        def key(t: str) -> tuple[int, int, str]:
            latest = max((order.index(p) for p in parents[t]), default=-1)
            return (-latest, -size[t], t)

        order.append(min(ready, key=key))
    return order


def find_unit_table(
    tables: list[str], relations: list[Relation], keys: Mapping[str, str] | None = None
) -> str:
    """The table whose rows are the units (persons): the root with the most descendants.

    A lake of one table whose primary key is declared (in ``keys``) is its own unit table:
    one row per person, nothing below it.

    Raises:
        ValueError: no table is a parent of another and the lake is not one keyed table.
    """
    children: dict[str, set[str]] = {t: set() for t in tables}
    for rel in relations:
        if rel.child_table != rel.parent_table:
            children[rel.parent_table].add(rel.child_table)
    has_parent = {r.child_table for r in relations if r.child_table != r.parent_table}

    def descendants(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        found = set(children[name]) - seen
        for child in children[name] - seen:
            found |= descendants(child, seen | {name})
        return found

    roots = [t for t in tables if t not in has_parent and children[t]]
    if roots:
        return max(roots, key=lambda t: (len(descendants(t)), t))
    if len(tables) == 1 and tables[0] in (keys or {}):
        return tables[0]
    if len(tables) == 1:
        raise ValueError(
            f"table {tables[0]} has no primary key, so its rows cannot be taken as persons; "
            "declare its key column"
        )
    raise ValueError(
        "no table is a parent of another, so no unit (person) table can be found; "
        "declare foreign keys between the tables"
    )


def persons_and_key(
    tables: list[str],
    relations: list[Relation],
    keys: Mapping[str, str],
    unit: str | None = None,
) -> tuple[str, str] | None:
    """The person table (``unit``, or found) and its key: the declared primary key, else the
    column its children refer to; None where there is none (fitting says why)."""
    try:
        unit = unit or find_unit_table(tables, relations, keys)
    except ValueError:
        return None
    key = keys.get(unit) or next(
        (r.parent_column for r in relations if r.parent_table == unit), None
    )
    return None if key is None else (unit, key)


def unit_of_rows(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    order: list[str],
    unit: str,
    unit_key: str,
) -> dict[str, pd.Series]:
    """For every table reachable from ``unit``, the unit key of each row (index-aligned).

    A row follows its first parent that is reachable from the unit, down any depth.
    Tables not reachable from the unit are left out.
    """
    out = {unit: tables[unit][unit_key]}
    for name in order:
        if name in out:
            continue
        rel = next((r for r in relations if r.child_table == name and r.parent_table in out), None)
        if rel is None or rel.parent_table == name:
            continue
        parent = tables[rel.parent_table]
        lookup = pd.Series(out[rel.parent_table].to_numpy(), index=parent[rel.parent_column])
        lookup = lookup[~lookup.index.duplicated()]
        child = tables[name][rel.child_column]
        out[name] = pd.Series(child.map(lookup).to_numpy(), index=child.index)
    return out


def key_columns(relations: list[Relation], keys: Mapping[str, str]) -> set[tuple[str, str]]:
    """(table, column) of every key: declared primary keys, and both ends of each relation."""
    return (
        {(table, column) for table, column in keys.items()}
        | {(r.parent_table, r.parent_column) for r in relations}
        | {(r.child_table, r.child_column) for r in relations}
    )
