"""A full-size run: 100,000 persons simulate well inside two minutes."""

from __future__ import annotations

import time

import pytest

from generators.registers import REGISTER_RELATIONS, REGISTER_TABLES, simulate_registers


@pytest.mark.slow
def test_100_000_persons_simulate_in_well_under_two_minutes():
    started = time.perf_counter()
    tables = simulate_registers(persons=100_000, seed=2024)
    elapsed = time.perf_counter() - started
    assert elapsed < 60, f"took {elapsed:.0f} s"
    assert tuple(tables) == REGISTER_TABLES
    assert len(tables["bef"]) == 100_000
    assert tables["bef"]["pnr"].is_unique
    for rel in REGISTER_RELATIONS:
        child = tables[rel.child_table][rel.child_column]
        assert child.isin(tables[rel.parent_table][rel.parent_column]).all(), str(rel)
