"""The Laboratory Database (Laboratoriedatabasen, research table ``lab_dm_forsker``).

One row per analysis result: ``patient_cpr`` person (the register's own name for
it; a pseudonym here), ``samplingdate``, ``analysiscode`` (NPU code), ``value``
(text, as delivered: numbers as text, qualitative results as POSITIV/NEGATIV),
``unit``, ``operator`` ("<" or ">" when the result is beyond a detection limit,
the limit then being the value), and the reference interval's limits (numbers here;
Sundhedsdatastyrelsen delivers them as text).

Samples come from acute hospital contacts (a standard acute panel) and from
general practice and outpatient clinics (diabetics' HbA1c and kidney function
every few months, heart-failure patients' NT-proBNP). Results depend on age, sex,
conditions and the latent frailty, so low albumin and haemoglobin and high CRP
flag the frail. Reference intervals are the Danish common reference intervals
(DSKB / NORIP), rounded.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from generators.registers import hospital_codes, rates
from generators.registers.health import HealthHistory
from generators.registers.hospital import Contacts
from generators.registers.population import Population
from generators.registers.window import (
    END_DAY,
    START_DAY,
    days_to_datetime,
    poisson_days,
)

# NPU code -> (unit, reference lower limit, upper limit [women's limits where they differ])
ANALYTES: dict[str, tuple[str | None, tuple[float, float], tuple[float, float]]] = {
    "NPU02319": ("mmol/L", (8.3, 10.5), (7.3, 9.5)),  # B-haemoglobin
    "NPU18016": ("µmol/L", (60, 105), (45, 90)),  # P-creatinine
    "NPU03429": ("mmol/L", (137, 145), (137, 145)),  # P-sodium
    "NPU03230": ("mmol/L", (3.5, 4.4), (3.5, 4.4)),  # P-potassium
    "NPU19748": ("mg/L", (np.nan, 8), (np.nan, 8)),  # P-C-reactive protein
    "NPU19673": ("g/L", (36, 48), (36, 48)),  # P-albumin
    "NPU27300": ("mmol/mol", (np.nan, 48), (np.nan, 48)),  # B-HbA1c (IFCC); 48 = diabetes limit
    "NPU21571": ("pmol/L", (np.nan, 35), (np.nan, 35)),  # P-NT-proBNP
    "NPU21578": (None, (np.nan, np.nan), (np.nan, np.nan)),  # U-nitrite, qualitative
}
# General practice and outpatient samples per person-year (eSundhed laboratory statistics,
# thinned like the hospital contacts).
ROUTINE_RATE = rates.by_age([0, 18, 50, 65], [0.03, 0.12, 0.3, 0.6])
EXTRA_RATE = {"diabetes": 1.0, "heart_failure": 0.5}  # monitoring on top of the routine rate


def _events(
    rng: np.random.Generator, pop: Population, history: HealthHistory, contacts: Contacts
) -> dict[str, np.ndarray]:
    """Sampling occasions: every acute contact, plus routine samples outside hospital."""
    acute = np.flatnonzero(contacts.prioritet == hospital_codes.ACUTE)
    entry = np.maximum(START_DAY, pop.birth_day)
    last = np.minimum(history.death_day, END_DAY) + 1
    rate = ROUTINE_RATE[rates.age_index(pop.age_at(START_DAY + 5 * 365))]
    person, day = poisson_days(rng, rate * np.exp(0.3 * pop.frailty - 0.045), entry, last)
    for name, extra in EXTRA_RATE.items():  # monitoring from the diagnosis on
        since = np.maximum(entry, history.onset[name])
        more, when = poisson_days(rng, np.full(pop.size, extra), since, last)
        person, day = np.concatenate([person, more]), np.concatenate([day, when])
    return {
        "person": np.concatenate([contacts.person[acute], person]),
        "day": np.concatenate([contacts.day[acute], day]),
        "acute": np.concatenate([np.ones(acute.size, bool), np.zeros(person.size, bool)]),
        "uti": np.concatenate(
            [contacts.action_code[acute] == "DN390", np.zeros(person.size, bool)]
        ),
    }


def _values(
    rng: np.random.Generator,
    code: str,
    pop: Population,
    person: np.ndarray,
    day: np.ndarray,
    acute: np.ndarray,
    has: Callable[[str], np.ndarray],
) -> np.ndarray:
    """Numeric results of one analysis for the given samples.

    ``has(condition)`` tells, per sample, whether the patient had the condition then.
    """
    m = person.size
    female = pop.female[person]
    age = pop.age_of(person, day)
    z = pop.frailty[person]
    if code == "NPU02319":
        v = np.where(female, 8.4, 9.2) - 0.012 * np.maximum(age - 65, 0) - 0.25 * z
        v = v - 0.35 * has("heart_failure") - 0.3 * acute + rng.normal(0, 0.45, m)
    elif code == "NPU18016":
        log_v = np.log(np.where(female, 68, 85)) + 0.008 * np.maximum(age - 50, 0)
        log_v = log_v + 0.12 * has("diabetes") + 0.2 * has("heart_failure") + 0.12 * acute
        v = np.exp(log_v + rng.normal(0, 0.15, m))
    elif code == "NPU03429":
        v = 140 - 2 * acute - 1.0 * has("heart_failure") + rng.normal(0, 2.5, m)
    elif code == "NPU03230":
        v = 4.0 + 0.15 * has("heart_failure") + rng.normal(0, 0.35, m)
    elif code == "NPU19748":
        v = np.exp(np.where(acute, np.log(25), np.log(2)) + 0.3 * z + rng.normal(0, 1.1, m))
    elif code == "NPU19673":
        v = 41 - 0.1 * np.maximum(age - 60, 0) - 1.5 * z - 4 * acute - 1.5 * has("dementia")
        v = v + rng.normal(0, 2.0, m)
    elif code == "NPU27300":
        diabetic = has("diabetes")
        v = np.where(diabetic, 53 + 8 * rng.standard_normal(m), 34 + 0.07 * (age - 40))
        v = v + rng.normal(0, 3, m)
    elif code == "NPU21571":
        median = np.where(has("heart_failure"), 200.0, 6 * np.exp(0.035 * np.maximum(age - 40, 0)))
        v = np.exp(np.log(median) + rng.normal(0, 0.9, m))
    else:
        raise ValueError(f"no value model for {code}")
    return v


def simulate_laboratory(
    rng: np.random.Generator, pop: Population, history: HealthHistory, contacts: Contacts
) -> pd.DataFrame:
    """The ``lab`` table: results of blood and urine samples.

    Args:
        rng: Random generator for this module.
        pop: The population.
        history: The simulated life courses.
        contacts: Hospital contacts (acute ones are sampled).

    Returns:
        The table, sorted by person, date and analysis.
    """
    ev = _events(rng, pop, history, contacts)
    m = ev["person"].size
    age = pop.age_of(ev["person"], ev["day"])

    def has(name: str, sub: np.ndarray) -> np.ndarray:
        return history.onset[name][ev["person"][sub]] <= ev["day"][sub]

    diabetic = has("diabetes", np.arange(m))
    heart = has("heart_failure", np.arange(m))
    u = rng.random((len(ANALYTES), m))
    routine = ~ev["acute"]
    include = {
        "NPU02319": ev["acute"] | (u[0] < 0.8),
        "NPU18016": ev["acute"] | diabetic | (u[1] < 0.8),
        "NPU03429": ev["acute"] | (u[2] < 0.6),
        "NPU03230": ev["acute"] | (u[3] < 0.6),
        "NPU19748": ev["acute"] | (u[4] < 0.35),
        "NPU19673": (ev["acute"] & (u[5] < 0.7)) | (routine & (u[5] < 0.2)),
        "NPU27300": (diabetic & (routine | (u[6] < 0.3))) | (routine & (age > 40) & (u[6] < 0.2)),
        "NPU21571": heart & (u[7] < 0.4),
        "NPU21578": ev["uti"]
        | (ev["acute"] & (age > 65) & (u[8] < 0.2))
        | (routine & (u[8] < 0.05)),
    }
    parts = []
    for code, mask in include.items():
        sub = np.flatnonzero(mask)
        unit, ref_men, ref_women = ANALYTES[code]
        female = pop.female[ev["person"][sub]]
        operator = np.full(sub.size, None, dtype=object)
        if code == "NPU21578":
            positive = rng.random(sub.size) < np.where(ev["uti"][sub], 0.6, 0.1)
            text = np.where(positive, "POSITIV", "NEGATIV").astype(object)
        else:

            def has_here(name: str, rows: np.ndarray = sub) -> np.ndarray:
                return has(name, rows)

            values = _values(
                rng,
                code,
                pop,
                ev["person"][sub],
                ev["day"][sub],
                ev["acute"][sub],
                has_here,
            )
            text, operator = _format(code, values)
        parts.append(
            {
                "person": ev["person"][sub],
                "day": ev["day"][sub],
                "code": np.full(sub.size, code, dtype=object),
                "value": text,
                "unit": np.full(sub.size, unit, dtype=object),
                "operator": operator,
                "lower": np.where(female, ref_women[0], ref_men[0]),
                "upper": np.where(female, ref_women[1], ref_men[1]),
            }
        )
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((cols["code"], cols["day"], cols["person"]))
    return pd.DataFrame(
        {
            "patient_cpr": pop.pnr[cols["person"][order]],
            "samplingdate": days_to_datetime(cols["day"][order]),
            "analysiscode": cols["code"][order],
            "value": cols["value"][order],
            "unit": cols["unit"][order],
            "operator": cols["operator"][order],
            "referenceinterval_lowerlimit": cols["lower"][order].astype(float),
            "referenceinterval_upperlimit": cols["upper"][order].astype(float),
        }
    )


def _format(code: str, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Results as the laboratories report them: rounded text, detection limits as operators."""
    operator = np.full(v.size, None, dtype=object)
    if code in ("NPU19748", "NPU21571"):  # CRP below 1, NT-proBNP outside 5-4130
        low, high = (1.0, 500.0) if code == "NPU19748" else (5.0, 4130.0)
        operator[v < low] = "<"
        operator[v > high] = ">"
        v = np.clip(v, low, high)
    if code in ("NPU02319", "NPU03230"):
        text = np.char.mod("%.1f", v)
    else:
        text = np.rint(v).astype(np.int64).astype(str)
    return text.astype(object), operator
