"""A small generic lake: persons, their contacts, diagnoses under contacts, and a table with
two parents plus a self-reference. Made here, so the twin tests need no simulator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from generators.relations import Relation


@pytest.fixture(scope="module")
def generic_lake() -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
    rng = np.random.default_rng(3)
    n = 300
    persons = pd.DataFrame(
        {
            "person id": [f"{v:016x}" for v in rng.integers(0, 2**62, n)],
            "age": rng.integers(18, 95, n),
            "sex": rng.choice(["F", "M"], n),
            "smoker": rng.random(n) < 0.2,
        }
    )
    per_person = rng.poisson(persons["age"] / 15)  # older persons have more contacts
    m = int(per_person.sum())
    contacts = pd.DataFrame(
        {
            "contact.id": np.arange(1000, 1000 + m),
            "person id": np.repeat(persons["person id"].to_numpy(), per_person),
            "start": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, m), "D"),
            "type": rng.choice(["ALCA00", "ALCA10"], m),
        }
    )
    per_contact = rng.integers(1, 3, m)
    k = int(per_contact.sum())
    diagnoses = pd.DataFrame(
        {
            "diag_id": np.arange(k),
            "contact.id": np.repeat(contacts["contact.id"].to_numpy(), per_contact),
            "code": rng.choice(["DI50", "DE11", "DJ44"], k),
        }
    )
    referrals = pd.DataFrame(
        {
            "ref_id": np.arange(200),
            "person id": rng.choice(persons["person id"], 200),
            "contact.id": rng.choice(contacts["contact.id"], 200),
            "previous": [None, *range(199)],
            "urgent": rng.random(200) < 0.3,
        }
    )
    relations = [
        Relation("contacts", "person id", "persons", "person id"),
        Relation("diagnoses", "contact.id", "contacts", "contact.id"),
        Relation("referrals", "person id", "persons", "person id"),
        Relation("referrals", "contact.id", "contacts", "contact.id"),
        Relation("referrals", "previous", "referrals", "ref_id"),
    ]
    keys = {
        "persons": "person id",
        "contacts": "contact.id",
        "diagnoses": "diag_id",
        "referrals": "ref_id",
    }
    tables = {
        "persons": persons,
        "contacts": contacts,
        "diagnoses": diagnoses,
        "referrals": referrals,
    }
    return tables, relations, keys
