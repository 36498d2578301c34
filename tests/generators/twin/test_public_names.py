"""The names ``generators.twin`` exports are its contract with the test-bench: pinned here, so
removing or renaming one is a deliberate change, not a side effect of moving code."""

from __future__ import annotations

import inspect

import generators.twin
from generators.twin import TwinBuilder

EXPECTED = {
    "SYNTHESIZERS",
    "RareCategories",
    "SDVTableSynthesizer",
    "TablePlan",
    "TableSynthesizer",
    "TableTiming",
    "TwinBuilder",
    "build_metadata",
    "find_unit_table",
    "split_by_units",
    "split_holdout",
    "topological_order",
    "unit_of_rows",
}


def test_exported_names_are_pinned() -> None:
    assert sorted(generators.twin.__all__) == sorted(EXPECTED)


def test_every_exported_class_and_function_is_documented() -> None:
    for name in generators.twin.__all__:
        value = getattr(generators.twin, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert (value.__doc__ or "").strip(), name


def test_builder_keeps_its_estimator_signatures() -> None:
    fit = list(inspect.signature(TwinBuilder.fit).parameters)
    sample = list(inspect.signature(TwinBuilder.sample).parameters)
    assert fit == ["self", "tables", "relations", "primary_keys"]
    assert sample == ["self", "scale", "seed"]
