"""Shared tables for the privacy tests: small, seeded, mixed types, with missing values."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

MIXED_METADATA: dict[str, Any] = {
    "columns": {
        "pnr": {"sdtype": "id"},
        "alder": {"sdtype": "numerical"},
        "bmi": {"sdtype": "numerical"},
        "koen": {"sdtype": "categorical"},
        "reg": {"sdtype": "categorical"},
        "ryger": {"sdtype": "boolean"},
        "indlagt": {"sdtype": "datetime"},
        "udskrevet": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
        "niveau": {"sdtype": "ordinal"},
        "email": {"sdtype": "email"},
    }
}


def _mixed_table(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    admitted = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, rows), unit="D")
    table = pd.DataFrame(
        {
            "pnr": np.arange(rows) + 1000 * seed,
            "alder": rng.integers(18, 95, rows),
            "bmi": rng.normal(26, 4, rows).round(1),
            "koen": rng.choice(["M", "K"], rows),
            "reg": rng.choice([81, 82, 83, 84, 85], rows),
            "ryger": rng.random(rows) < 0.2,
            "indlagt": admitted,
            "udskrevet": (admitted + pd.to_timedelta(rng.integers(0, 30, rows), unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "niveau": rng.integers(0, 4, rows),
            "email": [f"p{i}@example.dk" for i in range(rows)],
        }
    )
    table.loc[rng.random(rows) < 0.1, "bmi"] = np.nan
    table.loc[rng.random(rows) < 0.1, "koen"] = None
    table.loc[rng.random(rows) < 0.1, "indlagt"] = pd.NaT
    return table


@pytest.fixture
def mixed_table() -> Callable[[int, int], pd.DataFrame]:
    """Factory: ``mixed_table(rows, seed)`` -> a hospital-contact-like table."""
    return _mixed_table


@pytest.fixture
def mixed_metadata() -> dict[str, Any]:
    """SDMetrics metadata of ``mixed_table``: 6 compared columns, 4 skipped ones."""
    return copy.deepcopy(MIXED_METADATA)
