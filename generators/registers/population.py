"""The simulated population: who exists, where they live, and the BEF table.

BEF (Befolkningen, Statistics Denmark's population register) column names:
``pnr`` person (a pseudonym here), ``koen`` sex (1 male, 2 female, BEF's coding),
``foed_dag`` date of birth, ``kom`` municipality code, ``reg`` region code,
``civst`` civil status (U unmarried, G married, F divorced, E widowed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from generators.registers import rates
from generators.registers.geography import sample_residence
from generators.registers.window import DAYS_PER_YEAR, END_DAY, START_DAY, days_to_datetime


@dataclass(frozen=True)
class Population:
    """Per-person attributes, one array entry per person, in ``bef`` row order."""

    pnr: np.ndarray  # 16-hex-character pseudonyms (object array of str)
    female: np.ndarray  # bool
    birth_day: np.ndarray  # int64 day numbers
    kom: np.ndarray  # municipality code strings, e.g. "101"
    reg: np.ndarray  # region code strings, e.g. "84"
    civst: np.ndarray  # civil status codes, e.g. "G"
    frailty: np.ndarray  # latent health, standard normal; never leaves the simulator

    @property
    def size(self) -> int:
        """Number of persons."""
        return int(self.pnr.size)

    @property
    def lives_alone(self) -> np.ndarray:
        """Proxy for living alone: anyone not married."""
        return self.civst != "G"

    def age_at(self, day: np.ndarray | int) -> np.ndarray:
        """Everyone's age in years (fractional) at a day, or at one day per person."""
        return (np.asarray(day, dtype=np.int64) - self.birth_day) / DAYS_PER_YEAR

    def age_of(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Age in years of the given persons at their given days (negative before birth)."""
        return (np.asarray(day, dtype=np.int64) - self.birth_day[person]) / DAYS_PER_YEAR


def pseudonyms(seed: int, n: int) -> np.ndarray:
    """Deterministic 16-character lowercase hex pseudonyms, one per person.

    A keyed BLAKE2b hash of the person's index with the seed as key: the same shape as
    the HMAC pseudonyms ingestion puts in place of CPR numbers, and never CPR-like.

    Args:
        seed: Simulation seed (the hash key).
        n: Number of persons.

    Returns:
        Object array of unique strings.
    """
    key = seed.to_bytes(16, "little")
    out = np.array(
        [
            hashlib.blake2b(i.to_bytes(8, "little"), digest_size=8, key=key).hexdigest()
            for i in range(n)
        ],
        dtype=object,
    )
    if np.unique(out).size != n:  # 64-bit collisions: astronomically rare, never silent
        raise RuntimeError("pseudonym collision; choose another seed")
    return out


def simulate_population(rng: np.random.Generator, n: int, seed: int) -> Population:
    """Draw ``n`` persons resident on 1 January 2015 or born during the window.

    Args:
        rng: Random generator for this module.
        n: Number of persons.
        seed: Simulation seed, keys the pseudonyms.

    Returns:
        The population.
    """
    weights = rates.RESIDENTS_2015_THOUSANDS / rates.RESIDENTS_2015_THOUSANDS.sum()
    band = rng.choice(weights.size, size=n, p=weights)
    born_in_window = rates.AGE_BANDS_2015[band] < 0
    age_2015 = rates.AGE_BANDS_2015[band] + 5.0 * rng.random(n)
    birth_day = np.where(
        born_in_window,
        START_DAY + np.floor(rng.random(n) * (END_DAY - START_DAY)),
        START_DAY - np.floor(age_2015 * DAYS_PER_YEAR) - 1,
    ).astype(np.int64)

    age_now = np.maximum((START_DAY - birth_day) / DAYS_PER_YEAR, 0.0)
    female = rng.random(n) < rates.FEMALE_SHARE[rates.age_index(age_now)]
    kom, reg = sample_residence(rng, n)

    # Civil status at the start of the window (children and the newborn are unmarried).
    band_idx = np.searchsorted(rates.CIVST_EDGES, age_now, side="right") - 1
    probs = np.where(female[:, None], rates.CIVST_WOMEN[band_idx], rates.CIVST_MEN[band_idx])
    pick = (rng.random(n)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    civst = np.array(rates.CIVST_CODES, dtype=object)[np.minimum(pick, 3)]

    return Population(
        pnr=pseudonyms(seed, n),
        female=female,
        birth_day=birth_day,
        kom=kom,
        reg=reg,
        civst=civst,
        frailty=rng.standard_normal(n),
    )


def bef_table(pop: Population) -> pd.DataFrame:
    """The ``bef`` table: one row per person."""
    return pd.DataFrame(
        {
            "pnr": pop.pnr,
            "koen": np.where(pop.female, 2, 1).astype(np.int64),
            "foed_dag": days_to_datetime(pop.birth_day),
            "kom": pop.kom,
            "reg": pop.reg,
            "civst": pop.civst,
        }
    )
