"""Fixtures for ingestion tests: fake CPR numbers, made up here, never real ones."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

import pytest

TODAY = date(2025, 6, 1)  # "today" for ingestion tests, so their dates do not age


def make_fake_cprs(n: int, seed: int = 0, dash: bool = True) -> list[str]:
    """``n`` distinct made-up CPR numbers with valid 20th-century birth dates.

    Serials start 0-3 (born 1900-1999 by the CPR century rule); nothing here is a
    real person's number on purpose.
    """
    rng = random.Random(seed)
    out: set[str] = set()
    while len(out) < n:
        born = date(1930, 1, 1) + timedelta(days=rng.randrange(25_000))
        serial = f"{rng.randrange(4)}{rng.randrange(1000):03d}"
        out.add(f"{born:%d%m%y}{'-' if dash else ''}{serial}")
    return sorted(out)


@pytest.fixture(scope="session")
def fake_cprs() -> Callable[..., list[str]]:
    """``fake_cprs(n, seed=0, dash=True)``: made-up CPR numbers."""
    return make_fake_cprs


@pytest.fixture(scope="session")
def today() -> date:
    """The day ingestion tests treat as today."""
    return TODAY
