"""A small two-table lake for the detection and utility tests: persons and their events.

Events depend on the person (older persons and men have more), so a person's history
predicts next year's events and their sex; the region is noise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

Lake = dict[str, pd.DataFrame]

METADATA: dict[str, Any] = {
    "tables": {
        "persons": {
            "primary_key": "pid",
            "columns": {
                "pid": {"sdtype": "id"},
                "age": {"sdtype": "numerical"},
                "sex": {"sdtype": "categorical"},
                "region": {"sdtype": "categorical"},
            },
        },
        "events": {
            "primary_key": "eid",
            "columns": {
                "eid": {"sdtype": "id"},
                "pid": {"sdtype": "id"},
                "day": {"sdtype": "datetime"},
                "code": {"sdtype": "categorical"},
                "value": {"sdtype": "numerical"},
            },
        },
    },
    "relationships": [
        {
            "parent_table_name": "persons",
            "parent_primary_key": "pid",
            "child_table_name": "events",
            "child_foreign_key": "pid",
        }
    ],
}


def make_lake(persons: int, seed: int, first_id: int = 0) -> Lake:
    """Persons with events over 2018-2023 whose rate grows with age and is higher for men."""
    rng = np.random.default_rng(seed)
    pid = np.arange(first_id, first_id + persons)
    age = rng.integers(20, 90, persons)
    sex = rng.choice(["F", "M"], persons)
    region = rng.choice(["81", "82", "83", "84", "85"], persons)
    rate = np.exp(-1.5 + 0.03 * (age - 50) + 0.9 * (sex == "M"))
    counts = rng.poisson(rate * 6)
    owner = np.repeat(pid, counts)
    start = pd.Timestamp("2018-01-01")
    days = rng.integers(0, 6 * 365, len(owner))
    events = pd.DataFrame(
        {
            "eid": np.arange(len(owner)) + 10 * first_id,
            "pid": owner,
            "day": start + pd.to_timedelta(days, unit="D"),
            "code": rng.choice(["A", "B", "C", "D"], len(owner), p=[0.4, 0.3, 0.2, 0.1]),
            "value": rng.normal(5.0, 1.0, len(owner)),
        }
    )
    return {
        "persons": pd.DataFrame({"pid": pid, "age": age, "sex": sex, "region": region}),
        "events": events,
    }


@pytest.fixture(scope="session")
def toy_lake() -> Callable[[int, int, int], Lake]:
    """make_lake(persons, seed, first_id)."""
    return make_lake


@pytest.fixture(scope="session")
def toy_metadata() -> dict[str, Any]:
    """SDV-style metadata of the toy lake."""
    return METADATA
