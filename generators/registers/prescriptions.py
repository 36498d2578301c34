"""The National Prescription Registry (Lægemiddelstatistikregisteret, LMDB).

One row per dispensing at a community pharmacy: ``pnr`` person, ``eksd``
(ekspeditionsdato) dispensing date, ``atc`` ATC code (7 characters), ``vnr``
(varenummer) the pack's product number, ``apk`` (antal pakninger) number of packs,
``packsize`` units per pack.

Chronic treatment follows the conditions in the life course: most diabetics fill
metformin every few months, heart-failure patients a loop diuretic, and so on;
some stop. Treatment shares are rounded from the RKKP clinical quality databases
and Sundhedsdatastyrelsen's medicinstatistik (medstat.dk). The ``vnr`` values are
illustrative six-digit numbers, not looked up in the Danish Medicines Agency's
price list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generators.registers.health import HealthHistory
from generators.registers.population import Population
from generators.registers.window import (
    DAYS_PER_YEAR,
    END_DAY,
    NEVER,
    START_DAY,
    days_to_datetime,
    poisson_days,
)

# atc -> (vnr, units per pack, units taken per day)
PRODUCTS: dict[str, tuple[str, float, float]] = {
    "A10BA02": ("145367", 100, 2),  # metformin
    "A10BK03": ("395842", 90, 1),  # empagliflozin
    "A10BJ06": ("590341", 4, 4 / 28),  # semaglutide, weekly pen
    "A10BH01": ("084437", 98, 1),  # sitagliptin
    "A10AE04": ("493715", 5, 1 / 10),  # insulin glargine, pens
    "C03CA01": ("002385", 100, 1),  # furosemide
    "C09AA05": ("163298", 100, 1),  # ramipril
    "C07AB07": ("057713", 100, 1),  # bisoprolol
    "R03BB04": ("421963", 30, 1),  # tiotropium inhaler
    "R03AC02": ("118324", 200, 2),  # salbutamol inhaler, doses
    "B01AC04": ("060851", 100, 1),  # clopidogrel
    "C10AA05": ("190745", 100, 1),  # atorvastatin
    "C10AA01": ("066132", 100, 1),  # simvastatin
    "C08CA01": ("143925", 100, 1),  # amlodipine
    "A02BC02": ("117894", 100, 1),  # pantoprazole
    "N02BE01": ("420519", 100, 3),  # paracetamol
    "N06DA02": ("091532", 98, 1),  # donepezil
    "N06DX01": ("488312", 98, 1),  # memantine
    "M05BA04": ("524917", 12, 1 / 7),  # alendronic acid, weekly
    "G03AA07": ("039412", 84, 1),  # levonorgestrel and ethinylestradiol
    "N06AB06": ("183476", 100, 1),  # sertraline
    "H03AA01": ("102478", 100, 1),  # levothyroxine
    "J01CE02": ("025591", 40, 4),  # phenoxymethylpenicillin, one course
    "J01CA04": ("441190", 30, 3),  # amoxicillin, one course
    "J01CA08": ("092356", 15, 3),  # pivmecillinam, one course
    "M01AE01": ("536704", 30, 2),  # ibuprofen
    "N02AX02": ("174582", 30, 3),  # tramadol
}

# Treatment started after a condition: (condition, atc, share of patients treated).
CONDITION_TREATMENT: tuple[tuple[str, str, float], ...] = (
    ("diabetes", "A10BA02", 0.80),
    ("diabetes", "A10BK03", 0.25),
    ("diabetes", "A10BJ06", 0.15),
    ("diabetes", "A10BH01", 0.10),
    ("diabetes", "A10AE04", 0.12),
    ("heart_failure", "C03CA01", 0.75),
    ("heart_failure", "C09AA05", 0.65),
    ("heart_failure", "C07AB07", 0.70),
    ("copd", "R03BB04", 0.55),
    ("copd", "R03AC02", 0.70),
    ("stroke", "B01AC04", 0.80),
    ("stroke", "C10AA05", 0.80),
    ("dementia", "N06DA02", 0.50),
    ("dementia", "N06DX01", 0.20),
)

# Common long-term treatment by age and sex: (atc, min age, max age, sex or None, share).
POPULATION_TREATMENT: tuple[tuple[str, float, float, str | None, float], ...] = (
    ("C10AA01", 60, 120, None, 0.18),
    ("C08CA01", 55, 120, None, 0.20),
    ("A02BC02", 50, 120, None, 0.10),
    ("N02BE01", 75, 120, None, 0.25),
    ("G03AA07", 16, 45, "F", 0.25),
    ("N06AB06", 18, 120, None, 0.05),
    ("H03AA01", 30, 120, "F", 0.04),
    ("A10BA02", 18, 120, None, 0.003),  # metformin off-label: prediabetes, PCOS
)

# Short courses per person-year: (atc, rate in children, adults, 65+).
ACUTE_COURSES: tuple[tuple[str, tuple[float, float, float]], ...] = (
    ("J01CE02", (0.30, 0.15, 0.12)),
    ("J01CA04", (0.15, 0.06, 0.08)),
    ("J01CA08", (0.01, 0.06, 0.15)),
    ("M01AE01", (0.01, 0.06, 0.03)),
)
STOP_SHARE = 0.15  # share of long-term treatments stopped before death or the window's end


def _series(
    rng: np.random.Generator, person: np.ndarray, atc: str, start: np.ndarray, end: np.ndarray
) -> dict[str, np.ndarray]:
    """Regular refills of one product from ``start`` until ``end`` (both day numbers)."""
    _, packsize, per_day = PRODUCTS[atc]
    days_per_pack = packsize / per_day
    stops = rng.random(person.size) < STOP_SHARE
    end = np.where(
        stops, np.minimum(end, start + rng.exponential(2 * DAYS_PER_YEAR, person.size)), end
    )
    end = end.astype(np.int64)
    # Enough fills for the shortest possible gaps; those past the end are dropped below.
    count = np.maximum((end - start) // (0.85 * days_per_pack), 0).astype(np.int64) + 1
    count = np.where(end >= start, count, 0)
    series = np.repeat(np.arange(person.size), count)
    apk = rng.choice([1, 2, 3], size=series.size, p=[0.8, 0.17, 0.03])
    gap = apk * days_per_pack * rng.uniform(0.85, 1.2, series.size)
    first = np.cumsum(count) - count  # position of each series' first fill
    elapsed = np.cumsum(gap) - gap
    before = elapsed - elapsed[first[series]]  # days since the series' first fill
    day = start[series] + np.floor(before).astype(np.int64)
    keep = day <= end[series]
    return _fills(person[series][keep], day[keep], atc, apk[keep])


def _fills(
    person: np.ndarray, day: np.ndarray, atc: str, apk: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Dispensings of one product as column arrays (one pack each unless ``apk`` says)."""
    return {
        "person": person,
        "day": day,
        "atc": np.full(person.size, atc, dtype=object),
        "apk": np.ones(person.size, dtype=np.int64) if apk is None else apk,
    }


def simulate_prescriptions(
    rng: np.random.Generator, pop: Population, history: HealthHistory
) -> pd.DataFrame:
    """The ``lmdb`` table: dispensings of long-term treatment and short courses.

    Args:
        rng: Random generator for this module.
        pop: The population.
        history: The simulated life courses.

    Returns:
        The table, sorted by person and date.
    """
    n = pop.size
    last = np.minimum(history.death_day, END_DAY)  # nothing dispensed after this day
    entry = np.maximum(START_DAY, pop.birth_day)
    parts: list[dict[str, np.ndarray]] = []

    for condition, atc, share in CONDITION_TREATMENT:
        onset = history.onset[condition]
        treated = (onset <= last) & (rng.random(n) < share)
        person = np.flatnonzero(treated)
        already = onset[person] < START_DAY  # on treatment when the window opens
        refill = PRODUCTS[atc][1] / PRODUCTS[atc][2]
        start = np.where(
            already,
            START_DAY + (rng.random(person.size) * refill).astype(np.int64),
            onset[person] + rng.integers(0, 61, person.size),
        )
        parts.append(_series(rng, person, atc, start, last[person]))

    after_fracture = np.flatnonzero((history.fracture_day <= last) & (rng.random(n) < 0.3))
    start = history.fracture_day[after_fracture] + history.fracture_los[after_fracture] + 7
    parts.append(_series(rng, after_fracture, "M05BA04", start, last[after_fracture]))

    for atc, lo_age, hi_age, sex, share in POPULATION_TREATMENT:
        age_entry, age_last = pop.age_at(entry), pop.age_at(last)
        eligible = (age_last >= lo_age) & (age_entry < hi_age)
        if sex is not None:
            eligible &= pop.female == (sex == "F")
        person = np.flatnonzero(eligible & (rng.random(n) < share))
        first_day = np.maximum(entry, pop.birth_day + int(lo_age * DAYS_PER_YEAR))[person]
        until = np.minimum(last, pop.birth_day + int(hi_age * DAYS_PER_YEAR))[person]
        start = first_day + (rng.random(person.size) * (until - first_day) * 0.6).astype(np.int64)
        parts.append(_series(rng, person, atc, start, until))

    age_band = np.digitize(pop.age_at(START_DAY + 5 * 365), [18, 65])
    for atc, band_rates in ACUTE_COURSES:
        rate = np.asarray(band_rates)[age_band]
        person, day = poisson_days(rng, rate, entry, last + 1)
        parts.append(_fills(person, day, atc))
    pain = np.flatnonzero((history.fracture_day <= last) & (rng.random(n) < 0.5))
    day = np.minimum(history.fracture_day[pain] + history.fracture_los[pain], last[pain])
    parts.append(_fills(pain, day, "N02AX02"))

    person = np.concatenate([p["person"] for p in parts])
    day = np.concatenate([p["day"] for p in parts])
    atc = np.concatenate([p["atc"] for p in parts])
    apk = np.concatenate([p["apk"] for p in parts]).astype(np.int64)
    keep = (day >= entry[person]) & (day <= last[person]) & (day < NEVER)
    person, day, atc, apk = person[keep], day[keep], atc[keep], apk[keep]
    order = np.lexsort((atc, day, person))
    atc = atc[order]
    vnr = np.array([PRODUCTS[a][0] for a in PRODUCTS], dtype=object)
    size = np.array([PRODUCTS[a][1] for a in PRODUCTS], dtype=float)
    product = pd.Index(list(PRODUCTS)).get_indexer(atc)
    return pd.DataFrame(
        {
            "pnr": pop.pnr[person[order]],
            "eksd": days_to_datetime(day[order]),
            "atc": atc,
            "vnr": vnr[product],
            "apk": apk[order],
            "packsize": size[product],
        }
    )
