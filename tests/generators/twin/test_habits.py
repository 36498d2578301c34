"""Habits: a person's rows are drawn around the person's own level of a measure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from generators.relations import Relation
from generators.twin import TwinBuilder
from generators.twin.habits import HABIT, person_habits

TESTS = Relation("tests", "person", "persons", "person")


def _lake(n: int = 1500, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Persons whose cholesterol has a level of its own (80% of its variance between persons),
    a little higher with age, measured 2-8 times; and a noise column with no level."""
    rng = np.random.default_rng(seed)
    age = rng.integers(30, 90, n)
    level = rng.normal(5.0 + age / 100, 1.0, n)
    tests = rng.integers(2, 9, n)
    owner = np.repeat(np.arange(n), tests)
    rows = pd.DataFrame(
        {
            "person": owner,
            "taken": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, len(owner)), "D"),
            "chol": (level[owner] + rng.normal(0, 0.5, len(owner))).round(2),
            "noise": rng.normal(0, 1, len(owner)),
        }
    )
    return {"persons": pd.DataFrame({"person": np.arange(n), "age": age}), "tests": rows}


def _between(frame: pd.DataFrame, column: str) -> float:
    """Share of the column's variance between persons."""
    means = frame.groupby("person")[column].transform("mean")
    return float(1 - np.mean((frame[column] - means) ** 2) / np.var(frame[column]))


def test_only_a_measure_persons_differ_in_becomes_a_habit() -> None:
    lake = _lake()
    habits = person_habits(lake, [TESTS], {"persons": "person"}, "persons", "person")
    assert list(habits.columns) == [f"{HABIT}tests__chol"]
    assert habits.index.equals(lake["persons"].index)


def test_the_twin_keeps_a_persons_level_and_shows_no_hidden_column() -> None:
    lake = _lake()
    keys = {"persons": "person"}
    with_habits = TwinBuilder(seed=0).fit(lake, [TESTS], keys).sample(seed=0)
    without = TwinBuilder(seed=0, habits=False).fit(lake, [TESTS], keys).sample(seed=0)
    assert list(with_habits["persons"].columns) == ["person", "age"]
    real = _between(lake["tests"], "chol")
    assert real > 0.75
    assert _between(without["tests"], "chol") < 0.3  # row by row: no person has a level
    assert abs(_between(with_habits["tests"], "chol") - real) < 0.15
