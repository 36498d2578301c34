"""Shared simulated lakes for the register-simulator tests (built once per session).

Assertions in these tests compare plain counts, shares and code sets, never Series or
frames, so a failure report can never print a person's identifier or row.
"""

from __future__ import annotations

import pandas as pd
import pytest

from generators.registers import simulate_registers

SMALL = 2_000  # persons: enough for structure, dates and common-condition checks
MEDIUM = 30_000  # persons: enough hip fractures in the over-65s to compare groups


class Lake(dict[str, pd.DataFrame]):
    """The simulator's tables; its repr (shown in failure reports) names sizes only."""

    def __repr__(self) -> str:
        return "<lake " + ", ".join(f"{k}: {len(v):,} rows" for k, v in self.items()) + ">"


@pytest.fixture(scope="session")
def lake() -> Lake:
    """A 2,000-person lake, seed 7."""
    return Lake(simulate_registers(persons=SMALL, seed=7))


@pytest.fixture(scope="session")
def big_lake() -> Lake:
    """A 30,000-person lake, seed 11."""
    return Lake(simulate_registers(persons=MEDIUM, seed=11))
