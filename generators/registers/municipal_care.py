"""Municipal care documented in Fællessprog III (FSIII), as sent through KL's gateway.

Two tables, with the FSIII codes KL publishes (KL terminology, urn:oid:1.2.208.176.2.21):

- ``fsiii_tilstand``, functional assessments: ``pnr``, ``tilstand_kode`` the
  condition assessed (FSIII home-care conditions, e.g. J1.1 washing oneself, J3.8
  walking, J4.2 memory), ``svaerhedsgrad`` severity 0 (no limitation) to 4 (total
  limitation), 9 not assessed, ``vurderingsdato`` assessment date.
- ``fsiii_indsats``, interventions: ``indsats_id`` key, ``pnr``, ``indsats_kode``
  (H1.x personal and practical help under Serviceloven section 83, H2.x
  time-limited reablement under section 83a), ``paragraf`` "83" or "83a",
  ``status`` "planlagt" (granted by the municipality's needs assessment) or
  "leveret" (what was then delivered), ``startdato``, ``slutdato`` (missing while
  the help continues), ``timer_pr_uge`` hours a week (missing for meal service,
  which FSIII grants without a time).

Every granted intervention has a "planlagt" row; almost all also have a "leveret"
row. Help already running when the window opens keeps its original start date,
which can precede 2015.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generators.registers.care import HIP_FRACTURE, CareEpisodes
from generators.registers.health import HealthHistory
from generators.registers.population import Population
from generators.registers.window import END_DAY, START_DAY, days_to_datetime

# Section 83 codes: (code, what it covers, base probability, per need level, hours/week per level)
HELP_83: tuple[tuple[str, str, float, float, float], ...] = (
    ("H1.8", "Rengøring (cleaning)", 0.85, 0.0, 0.0),
    ("H1.9", "Tøjvask (laundry)", 0.3, 0.1, 0.0),
    ("H1.7", "Indkøb (shopping)", 0.25, 0.1, 0.0),
    ("H1.1", "Personlig hygiejne", 0.2, 0.2, 0.75),
    ("H1.4", "Mobilitet", 0.05, 0.15, 0.4),
    ("H1.2", "Udskillelser (toileting)", -0.15, 0.15, 0.5),
    ("H1.3", "Ernæring", 0.0, 0.05, 0.3),
    ("H1.10", "Tilberede/anrette mad", 0.0, 0.1, 0.5),
    ("H1.11", "Madservice (meals on wheels)", 0.1, 0.08, 0.0),
    ("H1.6", "Tilsyn/omsorg", 0.1, 0.0, 0.5),
    ("H1.5", "Hverdagens aktiviteter", 0.1, 0.0, 0.0),
)
FLAT_HOURS = {"H1.8": 0.5, "H1.9": 0.25, "H1.7": 0.3, "H1.5": 0.5}  # need-independent tasks
REABLEMENT_83A: tuple[tuple[str, str, float], ...] = (
    ("H2.5", "RH Personlig hygiejne", 0.7),
    ("H2.4", "RH Mobilitet", 0.6),
    ("H2.2", "RH Hverdagens aktiviteter", 0.5),
    ("H2.6", "RH Rengøring", 0.3),
    ("H2.7", "RH Tilberede/anrette mad", 0.3),
    ("H2.3", "RH Indkøb", 0.2),
)
# Home-care conditions assessed at visitation: (code, label, probability, severity offset).
CONDITIONS: tuple[tuple[str, str, float, float], ...] = (
    ("J1.1", "Vaske sig", 1.0, 0.0),
    ("J1.3", "Af- og påklædning", 0.7, -0.2),
    ("J1.5", "Fødeindtagelse", 0.3, -0.8),
    ("J1.8", "Gå på toilet", 0.4, -0.5),
    ("J2.1", "Lave husligt arbejde", 1.0, 0.4),
    ("J2.2", "Lave mad", 0.6, 0.3),
    ("J2.4", "Skaffe sig varer og tjenesteydelser", 0.6, 0.3),
    ("J3.5", "Forflytte sig", 0.5, -0.3),
    ("J3.8", "Gå", 1.0, 0.0),
    ("J4.2", "Hukommelse", 0.3, -1.0),
    ("J4.3", "Orienteringsevne", 0.1, -1.2),
)
NOT_DELIVERED = 0.04  # granted help the citizen declined or never received
NOT_ASSESSED = 0.03  # conditions recorded with severity 9


def _episodes_in_window(care: CareEpisodes) -> np.ndarray:
    """Episodes that had started by the end of the window."""
    return np.flatnonzero(care.start <= END_DAY)


def simulate_interventions(
    rng: np.random.Generator, pop: Population, history: HealthHistory
) -> pd.DataFrame:
    """The ``fsiii_indsats`` table, planned and delivered rows for every granted code.

    Args:
        rng: Random generator for this module.
        pop: The population.
        history: The simulated life courses (their care episodes).

    Returns:
        The table, keyed by ``indsats_id``.
    """
    care = history.care
    ep = _episodes_in_window(care)
    need = care.need[ep].astype(float)
    is_83 = care.paragraf[ep] == "83"
    dementia = history.onset["dementia"][care.person[ep]] <= care.start[ep]
    mobility_hit = care.trigger[ep] == HIP_FRACTURE
    rows_ep, rows_code, rows_hours = [], [], []
    chosen_any = np.zeros(ep.size, dtype=bool)
    for code, _, base, per_level, hours in HELP_83:
        p = base + per_level * need + 0.3 * (code == "H1.4") * mobility_hit
        p = p + 0.5 * (code == "H1.6") * dementia
        pick = is_83 & (rng.random(ep.size) < p)
        if code == "H1.1":
            pick |= is_83 & ~chosen_any & (need >= 3)
        chosen_any |= pick
        h = FLAT_HOURS.get(code, hours * need) * rng.uniform(0.7, 1.3, ep.size)
        h = np.where(code == "H1.11", np.nan, np.maximum(np.round(h * 4) / 4, 0.25))
        rows_ep.append(np.flatnonzero(pick))
        rows_code.append(np.full(pick.sum(), code, dtype=object))
        rows_hours.append(h[pick])
    lonely = np.flatnonzero(is_83 & ~chosen_any)  # every grant has at least one task
    rows_ep.append(lonely)
    rows_code.append(np.full(lonely.size, "H1.8", dtype=object))
    rows_hours.append(np.full(lonely.size, 0.5))
    for code, _, p in REABLEMENT_83A:
        pick = ~is_83 & (rng.random(ep.size) < p + 0.3 * (code == "H2.4") * mobility_hit)
        if code == "H2.5":
            pick |= ~is_83
        rows_ep.append(np.flatnonzero(pick))
        rows_code.append(np.full(pick.sum(), code, dtype=object))
        rows_hours.append(np.round(rng.uniform(1, 4, pick.sum()) * 4) / 4)

    e = ep[np.concatenate(rows_ep)]
    code = np.concatenate(rows_code)
    hours = np.concatenate(rows_hours)
    start, end = care.start[e], care.end[e]
    delivered = rng.random(e.size) >= NOT_DELIVERED
    last = np.minimum(history.death_day[care.person[e]], END_DAY)
    room = np.maximum(np.minimum(last, end) - start, 0)  # a delivery starts inside its grant
    shift = np.minimum(rng.integers(0, 4, e.size), room)
    d = np.flatnonzero(delivered)
    person = np.concatenate([care.person[e], care.person[e][d]])
    status = np.concatenate(
        [np.full(e.size, "planlagt", object), np.full(d.size, "leveret", object)]
    )
    begin = np.concatenate([start, start[d] + shift[d]])
    finish = np.concatenate([end, end[d]])
    timer = np.concatenate([hours, hours[d] * rng.uniform(0.75, 1.0, d.size)])
    codes = np.concatenate([code, code[d]])
    paragraf = np.concatenate([care.paragraf[e], care.paragraf[e][d]])
    order = np.lexsort((status, codes, begin, person))
    return pd.DataFrame(
        {
            "indsats_id": np.arange(1, order.size + 1, dtype=np.int64),
            "pnr": pop.pnr[person[order]],
            "indsats_kode": codes[order],
            "paragraf": paragraf[order],
            "status": status[order],
            "startdato": days_to_datetime(begin[order]),
            "slutdato": days_to_datetime(finish[order]),
            "timer_pr_uge": np.round(timer[order], 2),
        }
    )


def simulate_assessments(
    rng: np.random.Generator, pop: Population, history: HealthHistory
) -> pd.DataFrame:
    """The ``fsiii_tilstand`` table: assessments at visitation and yearly follow-ups.

    Args:
        rng: Random generator for this module.
        pop: The population.
        history: The simulated life courses (their care episodes).

    Returns:
        The table, sorted by person and date.
    """
    care = history.care
    ep = _episodes_in_window(care)
    person = care.person[ep]
    last = np.minimum(np.minimum(history.death_day[person], END_DAY), care.end[ep])
    # Visitation shortly before help starts; help already running is reassessed in 2015.
    first = np.where(
        care.start[ep] < START_DAY,
        START_DAY + rng.integers(0, 365, ep.size),
        care.start[ep] - rng.integers(0, 15, ep.size),
    )
    first = np.clip(first, START_DAY, last)
    followups = np.where(care.paragraf[ep] == "83", np.clip((last - first) // 365, 0, 3), 0)
    count = 1 + followups
    which = np.repeat(np.arange(ep.size), count)
    k = np.arange(which.size) - np.repeat(np.cumsum(count) - count, count)
    day = first[which] + 365 * k + rng.integers(-20, 21, which.size) * (k > 0)
    day = np.minimum(day, last[which])
    e = ep[which]
    p = care.person[e]
    dementia = history.onset["dementia"][p] <= day
    fractured = history.fracture_day[p] <= day
    level = care.need[e] + 0.15 * k  # needs grow between assessments

    rows_a, rows_code, rows_sev = [], [], []
    for code, _, prob, offset in CONDITIONS:
        p_take = prob + np.where(dementia & code.startswith("J4"), 0.7, 0.0)
        p_take = p_take + np.where(fractured & code.startswith("J3"), 0.3, 0.0)
        take = np.flatnonzero(rng.random(which.size) < p_take)
        sev = level[take] + offset + rng.normal(0, 0.6, take.size)
        if code.startswith("J4"):
            sev = np.where(dementia[take], sev + 1.2, sev - 1.0)
        if code.startswith("J3"):
            sev = sev + 0.6 * fractured[take]
        sev = np.clip(np.rint(sev), 0, 4).astype(np.int64)
        sev[rng.random(take.size) < NOT_ASSESSED] = 9
        rows_a.append(take)
        rows_code.append(np.full(take.size, code, dtype=object))
        rows_sev.append(sev)
    a = np.concatenate(rows_a)
    code = np.concatenate(rows_code)
    order = np.lexsort((code, day[a], p[a]))
    a, code = a[order], code[order]
    return pd.DataFrame(
        {
            "pnr": pop.pnr[p[a]],
            "tilstand_kode": code,
            "svaerhedsgrad": np.concatenate(rows_sev)[order],
            "vurderingsdato": days_to_datetime(day[a]),
        }
    )
