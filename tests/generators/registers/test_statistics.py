"""At 20,000 persons the simulated lake's statistics fall in the ranges public figures give.

Each range names its source (the same ones :mod:`generators.registers.rates` draws
from) and is wide enough for sampling noise at this size, narrow enough to catch a
rate off by a factor. Prevalences are of a diagnosis recorded during 2015-2024
among residents on 1 January 2015, so they run above the point prevalences quoted.
Assertions compare plain numbers, so a failure never prints a person's identifier.
"""

from __future__ import annotations

import pandas as pd
import pytest

from generators.registers import simulate_registers

PERSONS = 20_000
START = pd.Timestamp("2015-01-01")
END = pd.Timestamp("2025-01-01")


class Tables(dict[str, pd.DataFrame]):
    def __repr__(self) -> str:  # sizes only in failure reports
        return "<" + ", ".join(f"{k}: {len(v):,} rows" for k, v in self.items()) + ">"


@pytest.fixture(scope="module")
def lake() -> Tables:
    return Tables(simulate_registers(persons=PERSONS, seed=2025))


@pytest.fixture(scope="module")
def residents(lake: Tables) -> pd.DataFrame:
    """Persons living on 1 January 2015: age then, sex."""
    bef = lake["bef"].set_index("pnr")
    age = (START - bef["foed_dag"]).dt.days / 365.25
    return pd.DataFrame({"age": age, "female": bef["koen"] == 2})[age >= 0]


def diagnosed(lake: Tables, pattern: str) -> pd.Series:
    """First confirmed diagnosis date per person, for codes matching ``pattern``."""
    diagnoses = lake["lpr_a_diagnose"]
    hits = diagnoses[
        diagnoses["diag_kode"].str.match(pattern) & (diagnoses["senere_afkraeftet"] == "Nej")
    ]
    contacts = lake["lpr_a_kontakt"][["dw_ek_kontakt", "pnr", "kont_starttidspunkt"]]
    return hits.merge(contacts, on="dw_ek_kontakt").groupby("pnr")["kont_starttidspunkt"].min()


def share(residents: pd.DataFrame, people: pd.Index, low: float, high: float = 200) -> float:
    """Share of residents aged ``low`` to under ``high`` on 1 January 2015 in ``people``."""
    group = residents[(residents["age"] >= low) & (residents["age"] < high)]
    return float(group.index.isin(people).mean())


def test_age_and_sex_structure_matches_statistics_denmark(residents: pd.DataFrame) -> None:
    # FOLK1A, 1 January 2015: 21 % under 18, 19 % 65 or over, 4.3 % 80 or over; women 50.3 %,
    # about two thirds of the 85+.
    age = residents["age"]
    assert 0.18 < float((age < 18).mean()) < 0.24
    assert 0.16 < float((age >= 65).mean()) < 0.22
    assert 0.035 < float((age >= 80).mean()) < 0.055
    assert 0.48 < float(residents["female"].mean()) < 0.52
    assert 0.58 < float(residents.loc[age >= 85, "female"].mean()) < 0.75


@pytest.mark.parametrize(
    ("pattern", "ages", "low", "high"),
    [
        # RUKS / Danish Diabetes Database: 13-16 % of 65-79 year olds have type 2 diabetes.
        ("DE11", (65, 80), 0.12, 0.24),
        ("DE11", (18, 50), 0.005, 0.05),
        # RUKS: heart failure about 1 % overall, steep after 70.
        ("DI50", (80, 200), 0.10, 0.30),
        ("DI50", (18, 50), 0.0, 0.01),
        # RUKS: COPD in 8-10 % of the over-65s.
        ("DJ44", (65, 80), 0.07, 0.18),
        # Danish Stroke Registry: median age about 74; rare before 50.
        ("DI63", (65, 80), 0.06, 0.18),
        # Nationalt Videnscenter for Demens: diagnosed dementia mostly after 80.
        ("DF0[0-3]", (80, 200), 0.10, 0.30),
        ("DF0[0-3]", (18, 50), 0.0, 0.004),
        # Danish hip fracture registry: about 6,500 a year, mostly in the very old.
        ("DS72", (80, 200), 0.05, 0.15),
    ],
)
def test_prevalence_by_age(
    lake: Tables,
    residents: pd.DataFrame,
    pattern: str,
    ages: tuple[int, int],
    low: float,
    high: float,
) -> None:
    prevalence = share(residents, diagnosed(lake, pattern).index, *ages)
    assert low <= prevalence <= high, f"{pattern} at ages {ages}: {prevalence:.3f}"


def test_hip_fracture_and_death_fall_on_the_old(lake: Tables) -> None:
    born = lake["bef"].set_index("pnr")["foed_dag"]
    fracture = diagnosed(lake, "DS72")
    # RKKP hip fracture registry: median age about 83, two thirds women.
    assert 78 < float(((fracture - born[fracture.index]).dt.days / 365.25).median()) < 88
    female = lake["bef"].set_index("pnr")["koen"] == 2
    assert 0.6 < float(female[fracture.index].mean()) < 0.8
    # Statistics Denmark (DOD, HISB8): about 0.9 % die each year, median age at death about 80.
    dod = lake["dod"].set_index("pnr")["doddato"]
    assert 0.06 < len(dod) / PERSONS < 0.13
    assert 75 < float(((dod - born[dod.index]).dt.days / 365.25).median()) < 85


def test_dates_are_consistent_at_scale(lake: Tables) -> None:
    birth = lake["bef"].set_index("pnr")["foed_dag"]
    death = lake["dod"].set_index("pnr")["doddato"] + pd.Timedelta(days=1)
    contacts = lake["lpr_a_kontakt"]
    events = {
        "contact": (contacts["pnr"], contacts["kont_starttidspunkt"]),
        "lmdb": (lake["lmdb"]["pnr"], lake["lmdb"]["eksd"]),
        "lab": (lake["lab"]["patient_cpr"], lake["lab"]["samplingdate"]),
        "care": (lake["fsiii_indsats"]["pnr"], lake["fsiii_indsats"]["startdato"]),
    }
    for source, (pnr, when) in events.items():
        before_birth = int((when < pnr.map(birth)).sum())
        after_death = int((when >= pnr.map(death)).sum())
        assert (before_birth, after_death) == (0, 0), source
    ends_first = int((contacts["kont_sluttidspunkt"] < contacts["kont_starttidspunkt"]).sum())
    assert ends_first == 0
    late = int((contacts["kont_starttidspunkt"] >= END).sum())
    assert late == 0
