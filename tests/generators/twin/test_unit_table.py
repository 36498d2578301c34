"""Which table holds the units (persons): the root with most tables below it, or the one
keyed table of a one-table lake (issue 16)."""

from __future__ import annotations

import pytest

from generators.relations import Relation
from generators.twin.graph import find_unit_table


def test_the_root_with_most_tables_below_it_is_the_unit() -> None:
    relations = [
        Relation("events", "pid", "persons", "pid"),
        Relation("codes", "eid", "events", "eid"),
    ]
    assert find_unit_table(["codes", "events", "persons"], relations) == "persons"


def test_one_keyed_table_is_its_own_unit_table() -> None:
    assert find_unit_table(["cohort"], [], {"cohort": "pid"}) == "cohort"


def test_one_table_without_a_key_says_to_declare_it() -> None:
    with pytest.raises(ValueError, match=r"cohort has no primary key.*declare its key column"):
        find_unit_table(["cohort"], [])


def test_unrelated_tables_ask_for_foreign_keys() -> None:
    with pytest.raises(ValueError, match="declare foreign keys"):
        find_unit_table(["a", "b"], [], {"a": "id", "b": "id"})
