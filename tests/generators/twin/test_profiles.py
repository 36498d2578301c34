"""Person profiles: what a person's tables share beyond their recorded columns stays shared."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from generators.relations import Relation
from generators.twin import TwinBuilder
from generators.twin.profiles import PROFILE, person_profiles

RELATIONS = [
    Relation("tests", "person", "persons", "person"),
    Relation("drugs", "person", "persons", "person"),
]
KEYS = {"persons": "person"}


def _lake(n: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Two kinds of person the lake does not record, alike in age and sex: the diabetic
    (HbA1c tests, metformin) and the other (CRP tests, paracetamol)."""
    rng = np.random.default_rng(seed)
    persons = pd.DataFrame(
        {
            "person": [f"p{i:05d}" for i in range(n)],
            "age": rng.integers(20, 90, n),
            "sex": rng.choice(["F", "M"], n),
        }
    )
    diabetic = rng.random(n) < 0.4
    tests, drugs = [], []
    for person, kind in zip(persons["person"], diabetic, strict=True):
        code, atc = ("HBA1C", "A10BA02") if kind else ("CRP", "N02BE01")
        for _ in range(int(rng.integers(1, 4))):
            day = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 1500)))
            tests.append((person, day, code, float(rng.normal(50 if kind else 10, 5))))
        for _ in range(int(rng.integers(1, 3))):
            day = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 1500)))
            drugs.append((person, day, atc))
    return {
        "persons": persons,
        "tests": pd.DataFrame(tests, columns=["person", "taken", "code", "value"]),
        "drugs": pd.DataFrame(drugs, columns=["person", "dispensed", "atc"]),
    }


def _metformin_among_hba1c(lake: dict[str, pd.DataFrame]) -> float:
    tested = set(lake["tests"].loc[lake["tests"]["code"] == "HBA1C", "person"])
    treated = set(lake["drugs"].loc[lake["drugs"]["atc"] == "A10BA02", "person"])
    return len(tested & treated) / max(len(tested), 1)


def test_a_small_lake_gets_no_profiles() -> None:
    lake = _lake(600)
    assert person_profiles(lake, RELATIONS, KEYS, "persons", "person", seed=0) is None


def test_profiles_group_persons_by_what_lies_below_them() -> None:
    lake = _lake(2400)
    profile = person_profiles(lake, RELATIONS, KEYS, "persons", "person", seed=0)
    assert profile is not None and profile.name == PROFILE and len(profile) == 2400
    first_test = lake["tests"].drop_duplicates("person").set_index("person")["code"]
    kind = lake["persons"]["person"].map(first_test)
    # Each profile holds one kind of person (the lake never says which).
    purity = pd.crosstab(profile, kind).max(axis=1).sum() / len(profile)
    assert purity > 0.95
    assert profile.value_counts().min() >= 10


@pytest.mark.heavy
def test_the_twin_keeps_a_persons_tests_and_drugs_together() -> None:
    lake = _lake(2400, seed=1)
    real = _metformin_among_hba1c(lake)
    with_profiles = TwinBuilder(seed=3, profiles=True).fit(lake, RELATIONS, KEYS)
    # Neither profiles nor habits (a person's own HbA1c level, which alone lifts metformin
    # among the tested to about 0.68 in the default twin).
    without = TwinBuilder(seed=3, habits=False).fit(lake, RELATIONS, KEYS)
    twin, independent = with_profiles.sample(), without.sample()
    assert list(twin["persons"].columns) == list(lake["persons"].columns)  # profile hidden
    assert real == 1.0
    # Drawn given age and sex only, a twin person tested for HbA1c gets metformin about as
    # often as anyone (40%); given the profile, as the real person does.
    assert _metformin_among_hba1c(independent) < 0.6
    assert _metformin_among_hba1c(twin) > 0.9
