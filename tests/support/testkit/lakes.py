"""Small synthetic lakes for the twin tests: person keys and the persons-contacts-diagnoses
shape several tests build."""

from __future__ import annotations

import numpy as np
import pandas as pd

from generators.relations import Relation


def pseudonyms(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random 16-hex person keys (the shape of a lake pseudonym, never a real one)."""
    return np.array([f"{v:016x}" for v in rng.choice(2**62, n, replace=False)], dtype=object)


def adults(rng: np.random.Generator, n: int, on: pd.Timestamp) -> pd.DataFrame:
    """``n`` persons (``pid``, ``born``, ``sex``) aged 30 to 90 on day ``on``."""
    ids = pseudonyms(rng, n)
    born = pd.DatetimeIndex(on - rng.integers(30 * 365, 90 * 365, n) * pd.Timedelta(days=1))
    return pd.DataFrame({"pid": ids, "born": born, "sex": rng.choice(["F", "M"], n)})


def contact_lake(
    persons: pd.DataFrame, contacts: pd.DataFrame, diagnoses: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
    """Persons (key ``pid``), their contacts (``cid``) and the contacts' diagnoses (``did``),
    with their keys and relations."""
    relations = [
        Relation("contacts", "pid", "persons", "pid"),
        Relation("diagnoses", "cid", "contacts", "cid"),
    ]
    keys = {"persons": "pid", "contacts": "cid", "diagnoses": "did"}
    return {"persons": persons, "contacts": contacts, "diagnoses": diagnoses}, relations, keys
