"""The National Patient Register, LPR3 research format (LPR_A).

Tables and their Danish column names:

- ``lpr_a_kontakt``, one row per hospital contact: ``dw_ek_kontakt`` contact key,
  ``dw_ek_forloeb`` course of care (contacts for the same condition share one),
  ``pnr`` person, ``kont_starttidspunkt`` / ``kont_sluttidspunkt`` start and end,
  ``kont_type`` contact type (SKS ALCA code), ``prioritet`` acute (ATA1) or planned
  (ATA3), ``lprindberetningssystem`` reporting system ("LPR2" before March 2019,
  "LPR3" after, as LPR_A marks contacts folded in from the old register).
- ``lpr_a_diagnose``, diagnoses on contacts (no ``pnr``: join via the contact):
  ``dw_ek_diagnose`` key, ``diag_kode`` ICD-10 with D prefix, ``diag_kode_type``
  A (action diagnosis) or B (secondary), ``senere_afkraeftet`` later disproved (Ja/Nej).
- ``lpr_a_procregistrering``, procedures on contacts: ``dw_ek_procedureregistrering``
  key, ``proc_kode`` SKS procedure code, ``proc_starttidspunkt`` when performed.

Contact rates are thinned relative to the real register (which holds about three
contacts per Dane a year, mostly routine outpatient visits) to keep lakes small;
the age, sex and morbidity gradients are kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from generators.registers import hospital_codes as codes
from generators.registers import rates
from generators.registers.health import HealthHistory
from generators.registers.population import Population
from generators.registers.window import (
    END_DAY,
    NEVER,
    SECONDS_PER_DAY,
    START_DAY,
    YEARS,
    poisson_days,
    seconds_to_datetime,
    year_start,
)

# Routine contacts per person-year by age (eSundhed, hospital contacts per resident, thinned).
BACKGROUND_RATE = rates.by_age(
    [0, 1, 5, 18, 30, 50, 65, 75, 85], [1.0, 0.45, 0.3, 0.35, 0.45, 0.6, 0.9, 1.2, 1.4]
)
FOLLOW_UP_RATE = {  # planned visits per year with the condition (RKKP clinical databases)
    "diabetes": 0.25,
    "heart_failure": 1.2,
    "copd": 0.6,
    "stroke": 0.4,
    "dementia": 0.4,
}
ONSET_CONTACT = {  # (share first seen in hospital, share of those admitted acutely)
    "diabetes": (0.6, 0.05),
    "heart_failure": (1.0, 0.65),
    "copd": (0.85, 0.4),
    "stroke": (1.0, 1.0),
    "dementia": (0.85, 0.0),
}
SECONDARY_SHARE = 0.35  # chance a known chronic condition is coded B on an unrelated contact
DISPROVED_SHARE = 0.01  # share of diagnoses later disproved (senere_afkraeftet = "Ja")


@dataclass(frozen=True)
class Contacts:
    """Hospital contacts sorted by start, with what the other builders need to know."""

    key: np.ndarray  # dw_ek_kontakt
    course: np.ndarray  # dw_ek_forloeb
    person: np.ndarray  # index into the population
    start_s: np.ndarray  # seconds since 1970
    end_s: np.ndarray
    kont_type: np.ndarray
    prioritet: np.ndarray
    reason: np.ndarray  # index into hospital_codes.REASONS
    action_code: np.ndarray  # the A diagnosis
    procedure: np.ndarray  # SKS procedure code or None

    @property
    def day(self) -> np.ndarray:
        """Start day of each contact."""
        return self.start_s // SECONDS_PER_DAY


def _chunk(
    rng: np.random.Generator,
    person: np.ndarray,
    day: np.ndarray,
    reason: int,
    action: np.ndarray,
    acute: np.ndarray,
    stay_days: np.ndarray,
    procedure: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Contacts with times, type and priority; ``stay_days`` > 0 means admitted."""
    m = person.size
    admitted = stay_days > 0
    u = rng.random(m)
    kont_type = np.where(
        u < 0.83, codes.PHYSICAL, np.where(u < 0.98, codes.VIRTUAL, codes.OUTREACH)
    )
    kont_type = np.where(acute | admitted, codes.PHYSICAL, kont_type).astype(object)
    planned_start = 8 * 3600 + rng.integers(0, 90, m) * 300  # 08:00-15:30 in 5-minute steps
    acute_start = rng.integers(0, SECONDS_PER_DAY // 60, m) * 60
    start = day * SECONDS_PER_DAY + np.where(acute, acute_start, planned_start)
    visit = np.where(kont_type == codes.VIRTUAL, rng.integers(10, 31, m), rng.integers(15, 91, m))
    visit = np.where(acute, rng.integers(120, 481, m), visit) * 60
    stay = stay_days * SECONDS_PER_DAY + rng.integers(-6, 7, m) * 3600
    return {
        "person": person,
        "start_s": start,
        "end_s": start + np.where(admitted, np.maximum(stay, 3600), visit),
        "kont_type": kont_type,
        "prioritet": np.where(acute, codes.ACUTE, codes.PLANNED).astype(object),
        "reason": np.full(m, reason, dtype=np.int64),
        "action_code": action,
        "procedure": procedure if procedure is not None else np.full(m, None, dtype=object),
    }


def _onset_contacts(
    rng: np.random.Generator, pop: Population, history: HealthHistory
) -> list[dict[str, np.ndarray]]:
    """The contact at which a condition is first diagnosed, and hip-fracture admissions."""
    chunks = []
    for name, (seen, admit_share) in ONSET_CONTACT.items():
        day = history.onset[name]
        person = np.flatnonzero(
            (day >= START_DAY) & (day <= END_DAY) & (rng.random(pop.size) < seen)
        )
        acute = rng.random(person.size) < admit_share
        stay = np.where(acute, 1 + rng.poisson(4 if name != "stroke" else 6, person.size), 0)
        action = codes.pick(rng, codes.CONDITION_CODES[name], person.size)
        proc = np.full(person.size, codes.CT_BRAIN if name == "stroke" else None, dtype=object)
        chunks.append(
            _chunk(rng, person, day[person], codes.REASONS.index(name), action, acute, stay, proc)
        )
    # Hip fractures: acute admission for the whole stay, surgery within about a day.
    person = np.flatnonzero(history.fracture_day <= END_DAY)
    action = codes.pick(rng, codes.CONDITION_CODES["hip_fracture"], person.size)
    proc = np.empty(person.size, dtype=object)
    for fracture_code, options in codes.HIP_SURGERY.items():
        mask = action == fracture_code
        proc[mask] = codes.pick(rng, options, int(mask.sum()))
    chunks.append(
        _chunk(
            rng,
            person,
            history.fracture_day[person],
            codes.REASONS.index("hip_fracture"),
            action,
            np.ones(person.size, bool),
            history.fracture_los[person],
            proc,
        )
    )
    return chunks


def _yearly_contacts(
    rng: np.random.Generator, pop: Population, history: HealthHistory
) -> list[dict[str, np.ndarray]]:
    """Routine contacts for everyone, and follow-up visits for each chronic condition."""
    chunks = []
    cum_weights = codes.background_weights()
    frailty = np.exp(0.4 * pop.frailty - 0.08)
    for year in YEARS:
        ys, ye = year_start(year), year_start(year + 1)
        lo = np.maximum(ys, pop.birth_day)
        hi = np.minimum(ye, history.death_day + 1)
        age = pop.age_at(lo)

        rate = BACKGROUND_RATE[rates.age_index(age)] * frailty * np.where(pop.female, 1.1, 1.0)
        person, day = poisson_days(rng, rate, lo, hi)
        age_then = pop.age_of(person, day)
        group = np.searchsorted(codes.AGE_GROUP_EDGES, age_then, side="right") - 1
        cum = cum_weights[group, pop.female[person].astype(int)]
        pick = (rng.random(person.size)[:, None] > cum).sum(axis=1)
        action = np.array([b[0] for b in codes.BACKGROUND], dtype=object)[pick]
        acute_share = np.array([b[2] for b in codes.BACKGROUND])[pick]
        acute = rng.random(person.size) < acute_share
        old = age_then >= 65
        admit = acute & (rng.random(person.size) < np.where(old, 0.6, 0.2))
        stay = np.where(admit, 1 + rng.poisson(3, person.size), 0)
        elective_hip = (action == "DM169") & (rng.random(person.size) < 0.3)
        stay = np.where(elective_hip, 2 + rng.poisson(1, person.size), stay)
        proc = np.full(person.size, None, dtype=object)
        proc[elective_hip] = codes.pick(
            rng, codes.HIP_REPLACEMENT_ELECTIVE, int(elective_hip.sum())
        )
        chunks.append(_chunk(rng, person, day, 0, action, acute, stay, proc))

        for name, per_year in FOLLOW_UP_RATE.items():
            onset = history.onset[name]
            first = np.maximum(lo, np.where(onset < NEVER, onset + 14, NEVER))
            person, day = poisson_days(rng, np.full(pop.size, per_year), first, hi)
            acute = rng.random(person.size) < (0.15 if name in ("heart_failure", "copd") else 0.03)
            stay = np.where(acute, 1 + rng.poisson(3, person.size), 0)
            action = codes.pick(rng, codes.CONDITION_CODES[name], person.size)
            reason = codes.REASONS.index(name)
            chunks.append(_chunk(rng, person, day, reason, action, acute, stay))
    return chunks


def simulate_contacts(
    rng: np.random.Generator, pop: Population, history: HealthHistory
) -> Contacts:
    """All hospital contacts in the window, sorted by start and keyed.

    Args:
        rng: Random generator for this module.
        pop: The population.
        history: The simulated life courses.

    Returns:
        The contacts.
    """
    chunks = _onset_contacts(rng, pop, history) + _yearly_contacts(rng, pop, history)
    cols = {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}
    # A stay never outlasts the patient; a stay can run past the window's end.
    death_end = np.where(
        history.death_day < NEVER,
        (history.death_day + 1) * SECONDS_PER_DAY - 60,
        np.iinfo(np.int64).max,
    )[cols["person"]]
    cols["end_s"] = np.maximum(np.minimum(cols["end_s"], death_end), cols["start_s"])
    order = np.lexsort((cols["person"], cols["start_s"]))
    cols = {k: v[order] for k, v in cols.items()}
    n = order.size
    # Contacts for the same condition share a course; other contacts are a course each.
    course_key = np.where(
        cols["reason"] > 0, cols["person"] * 8 + cols["reason"], -1 - np.arange(n, dtype=np.int64)
    )
    _, first_seen, which = np.unique(course_key, return_index=True, return_inverse=True)
    rank = np.empty(first_seen.size, dtype=np.int64)
    rank[np.argsort(first_seen)] = np.arange(first_seen.size)  # numbered in order of start
    course = rank[which] + 1
    return Contacts(key=np.arange(1, n + 1, dtype=np.int64), course=course, **cols)


def kontakt_table(pop: Population, contacts: Contacts) -> pd.DataFrame:
    """The ``lpr_a_kontakt`` table."""
    return pd.DataFrame(
        {
            "dw_ek_kontakt": contacts.key,
            "dw_ek_forloeb": contacts.course,
            "pnr": pop.pnr[contacts.person],
            "kont_starttidspunkt": seconds_to_datetime(contacts.start_s),
            "kont_sluttidspunkt": seconds_to_datetime(contacts.end_s),
            "kont_type": contacts.kont_type,
            "prioritet": contacts.prioritet,
            "lprindberetningssystem": np.where(
                contacts.day < codes.LPR3_FROM_DAY, "LPR2", "LPR3"
            ).astype(object),
        }
    )


def diagnose_table(
    rng: np.random.Generator, contacts: Contacts, history: HealthHistory
) -> pd.DataFrame:
    """The ``lpr_a_diagnose`` table: the action diagnosis and secondary diagnoses per contact.

    Args:
        rng: Random generator for this module.
        contacts: The contacts.
        history: The simulated life courses (which conditions each patient has).

    Returns:
        The table, without ``pnr``.
    """
    n = contacts.key.size
    idx = [np.arange(n)]
    code = [contacts.action_code]
    kind = [np.full(n, "A", dtype=object)]
    disproved = [(contacts.reason == 0) & (rng.random(n) < DISPROVED_SHARE)]
    admitted = (contacts.end_s - contacts.start_s) > SECONDS_PER_DAY
    for r, name in enumerate(codes.REASONS[1:6], start=1):
        has = history.onset[name][contacts.person] <= contacts.day
        share = np.where(admitted, 0.6, SECONDARY_SHARE)  # admissions record more
        coded = has & (contacts.reason != r) & (rng.random(n) < share)
        # A suspicion written down and later disproved, in someone without the condition.
        suspected = ~has & (rng.random(n) < DISPROVED_SHARE / 5)
        rows = np.flatnonzero(coded | suspected)
        idx.append(rows)
        code.append(codes.pick(rng, codes.CONDITION_CODES[name], rows.size))
        kind.append(np.full(rows.size, "B", dtype=object))
        disproved.append(suspected[rows])
    row = np.concatenate(idx)
    order = np.argsort(row, kind="stable")
    row = row[order]
    return pd.DataFrame(
        {
            "dw_ek_diagnose": np.arange(1, row.size + 1, dtype=np.int64),
            "dw_ek_kontakt": contacts.key[row],
            "diag_kode": np.concatenate(code)[order],
            "diag_kode_type": np.concatenate(kind)[order],
            "senere_afkraeftet": np.where(np.concatenate(disproved)[order], "Ja", "Nej").astype(
                object
            ),
        }
    )


def procedure_table(rng: np.random.Generator, contacts: Contacts) -> pd.DataFrame:
    """The ``lpr_a_procregistrering`` table: surgery and scans done during contacts."""
    row = np.flatnonzero(pd.notna(contacts.procedure))
    hip = np.char.startswith(contacts.procedure[row].astype(str), "KNF")
    delay = np.where(hip, rng.integers(6 * 60, 36 * 60, row.size), rng.integers(10, 61, row.size))
    when = np.minimum(contacts.start_s[row] + delay * 60, contacts.end_s[row])
    return pd.DataFrame(
        {
            "dw_ek_procedureregistrering": np.arange(1, row.size + 1, dtype=np.int64),
            "dw_ek_kontakt": contacts.key[row],
            "proc_kode": contacts.procedure[row],
            "proc_starttidspunkt": seconds_to_datetime(when),
        }
    )
