"""A date that holds many rows (each person's index date) stays one date in the twin.

NAFLD (real public data) records each person's NAFLD diagnosis on their index date: a tenth of
its events fall on one day. A copula smooths such a spike into the days around it, and a task
such as "an event in the year from the index date" then finds a third fewer events in the twin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generators.relations import Relation
from generators.twin import TwinBuilder
from generators.twin.constraints import MASS, learn_rules

INDEX = pd.Timestamp("2000-01-01")


def _lake(n: int = 2000, seed: int = 0) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    persons = pd.DataFrame({"person": np.arange(n), "age": rng.integers(30, 90, n)})
    owner = np.repeat(np.arange(n), rng.integers(1, 4, n))
    days = rng.integers(-2000, 2000, len(owner))
    days[rng.random(len(owner)) < 0.2] = 0  # a fifth of the rows on the index date
    visits = pd.DataFrame(
        {
            "person": owner,
            "date": INDEX + pd.to_timedelta(days, "D"),
            "value": rng.normal(size=len(owner)),
        }
    )
    return {"persons": persons, "visits": visits}


def test_the_date_is_learnt_as_a_mass_and_encoded_as_a_yes_no_column() -> None:
    visits = _lake()["visits"].drop(columns=["person"])
    rules = learn_rules(visits)
    assert rules.masses == {"date": float((INDEX - pd.Timestamp(0)).days)}
    encoded = rules.encode(visits, None)
    assert encoded[MASS + "date"].mean() > 0.15
    assert (encoded["date"] == INDEX).mean() < 0.01  # its rows hold other real dates there
    assert rules.decode(encoded, None)["date"].equals(visits["date"])


def test_the_twin_keeps_the_share_of_rows_on_that_date() -> None:
    lake = _lake()
    twin = (
        TwinBuilder(seed=0)
        .fit(lake, [Relation("visits", "person", "persons", "person")], {"persons": "person"})
        .sample(seed=0)
    )
    real = float((lake["visits"]["date"] == INDEX).mean())
    assert abs(float((twin["visits"]["date"] == INDEX).mean()) - real) < 0.04
