"""Regional electronic patient record (EPJ) observations made during hospital contacts.

The regions' EPJ systems (Sundhedsplatformen, Columna/MidtEPJ) record vital signs
and lifestyle per contact; a lake receives them keyed by the LPR contact. Table
``epj_observation``: ``observation_id`` key, ``dw_ek_kontakt`` the contact,
``observation`` what was measured (BT_SYS / BT_DIA systolic and diastolic blood
pressure, PULS pulse, SAT oxygen saturation, BMI body-mass index, RYGNING smoking
status), ``observation_tidspunkt`` when, ``vaerdi`` the number (missing for
smoking), ``enhed`` its unit, ``vaerdi_tekst`` the smoking status as text.

Smoking shares follow the Danish National Health Survey (Danskernes Sundhed 2021:
about 13 % daily smokers, a third former smokers, far more among people with
COPD); BMI around 26 (same survey), higher with diabetes, lower in the frail old.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generators.registers import hospital_codes
from generators.registers.health import HealthHistory
from generators.registers.hospital import Contacts
from generators.registers.population import Population
from generators.registers.window import END_DAY, seconds_to_datetime

SMOKING = ("Dagligryger", "Lejlighedsvis ryger", "Tidligere ryger", "Aldrig ryger")
SMOKING_SHARES = {  # by group, in the order of SMOKING
    "copd": (0.38, 0.04, 0.50, 0.08),
    "adult": (0.14, 0.05, 0.22, 0.59),
    "old": (0.13, 0.02, 0.40, 0.45),
}
# observation -> (unit, chance recorded at a planned visit, at an acute contact)
OBSERVATIONS: dict[str, tuple[str | None, float, float]] = {
    "BT_SYS": ("mmHg", 0.5, 0.9),
    "BT_DIA": ("mmHg", 0.5, 0.9),
    "PULS": ("/min", 0.5, 0.9),
    "SAT": ("%", 0.15, 0.8),
    "BMI": ("kg/m2", 0.12, 0.2),
    "RYGNING": (None, 0.08, 0.15),
}


def _person_traits(
    rng: np.random.Generator, pop: Population, history: HealthHistory
) -> tuple[np.ndarray, np.ndarray]:
    """Each person's smoking status (index into SMOKING) and usual BMI."""
    n = pop.size
    age = pop.age_at(END_DAY - 5 * 365)
    copd = history.onset["copd"] <= END_DAY
    diabetes = history.onset["diabetes"] <= END_DAY
    dementia = history.onset["dementia"] <= END_DAY
    shares = np.where(
        copd[:, None],
        SMOKING_SHARES["copd"],
        np.where((age >= 65)[:, None], SMOKING_SHARES["old"], SMOKING_SHARES["adult"]),
    )
    smoking = (rng.random(n)[:, None] > np.cumsum(shares, axis=1)).sum(axis=1)
    smoking = np.where(age < 15, SMOKING.index("Aldrig ryger"), np.minimum(smoking, 3))
    bmi = rng.normal(26, 4.5, n) + 3.5 * diabetes - 2.0 * dementia
    bmi = bmi - 1.2 * pop.frailty * (age >= 75)
    bmi = np.where(age < 18, 15 + 0.5 * np.maximum(age, 0) + rng.normal(0, 2, n), bmi)
    return smoking, np.clip(bmi, 13, 55)


def simulate_observations(
    rng: np.random.Generator, pop: Population, history: HealthHistory, contacts: Contacts
) -> pd.DataFrame:
    """The ``epj_observation`` table.

    Args:
        rng: Random generator for this module.
        pop: The population.
        history: The simulated life courses.
        contacts: Hospital contacts; observations are made at attended ones.

    Returns:
        The table, keyed by ``observation_id`` and ordered by contact.
    """
    smoking, bmi = _person_traits(rng, pop, history)
    bp_offset = rng.normal(0, 8, pop.size)
    attended = np.flatnonzero(contacts.kont_type == hospital_codes.PHYSICAL)
    person = contacts.person[attended]
    day = contacts.day[attended]
    acute = contacts.prioritet[attended] == hospital_codes.ACUTE
    age = pop.age_of(person, day)

    def has(name: str) -> np.ndarray:
        return history.onset[name][person] <= day

    m = attended.size
    vitals = rng.random(m) < np.where(acute, OBSERVATIONS["BT_SYS"][2], OBSERVATIONS["BT_SYS"][1])
    systolic = 118 + 0.5 * np.maximum(age - 30, 0) + 6 * has("diabetes") - 5 * has("heart_failure")
    systolic = systolic + bp_offset[person] + rng.normal(0, 12, m)
    values = {
        "BT_SYS": systolic,
        "BT_DIA": 0.55 * systolic + 8 + rng.normal(0, 6, m),
        "PULS": 72 + 6 * has("heart_failure") + 5 * has("copd") + 10 * acute + rng.normal(0, 10, m),
        "SAT": 97 - 4 * has("copd") - 2 * acute - has("heart_failure") + rng.normal(0, 1.5, m),
        "BMI": bmi[person] + rng.normal(0, 0.5, m),
    }
    limits = {"BT_SYS": (70, 250), "BT_DIA": (35, 140), "PULS": (30, 190), "SAT": (70, 100)}
    parts = []
    for name, (unit, planned, acute_p) in OBSERVATIONS.items():
        if name in ("BT_SYS", "BT_DIA", "PULS"):
            take = vitals
        else:
            p = np.where(acute, acute_p, planned)
            if name in ("SAT", "RYGNING"):
                p = p + 0.3 * has("copd")
            if name == "BMI":
                p = p + 0.3 * has("diabetes")
            take = rng.random(m) < p
        idx = np.flatnonzero(take)
        if name == "RYGNING":
            number = np.full(idx.size, np.nan)
            text = np.asarray(SMOKING, dtype=object)[smoking[person[idx]]]
        else:
            lo, hi = limits.get(name, (10, 70))
            raw = np.clip(values[name][idx], lo, hi)
            number = np.round(raw, 1) if name == "BMI" else np.rint(raw)
            text = np.full(idx.size, None, dtype=object)
        parts.append((idx, name, unit, number, text))

    idx = np.concatenate([p[0] for p in parts])
    order = np.lexsort((np.concatenate([np.full(p[0].size, i) for i, p in enumerate(parts)]), idx))
    idx = idx[order]
    row = attended[idx]
    offset = rng.integers(0, 61, m) * 60  # one round of measurements per contact
    when = np.minimum(contacts.start_s[row] + offset[idx], contacts.end_s[row])
    return pd.DataFrame(
        {
            "observation_id": np.arange(1, idx.size + 1, dtype=np.int64),
            "dw_ek_kontakt": contacts.key[row],
            "observation": np.concatenate([np.full(p[0].size, p[1], dtype=object) for p in parts])[
                order
            ],
            "observation_tidspunkt": seconds_to_datetime(when),
            "vaerdi": np.concatenate([p[3] for p in parts])[order].astype(float),
            "enhed": np.concatenate([np.full(p[0].size, p[2], dtype=object) for p in parts])[order],
            "vaerdi_tekst": np.concatenate([p[4] for p in parts])[order],
        }
    )
