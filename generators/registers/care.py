"""Municipal home care in the life course: who gets help, when, and for how long.

Help under Serviceloven section 83 (personal and practical help) runs in spells.
A spell starts when a need grows (age, frailty, dementia, stroke, living alone), or
after a hip fracture, when most patients who had help are revisited and many who
had none get it; some new help starts with a section 83a reablement course. Most
spells last until death, some stop earlier. :mod:`~.municipal_care` turns the
spells into FSIII rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generators.registers import rates
from generators.registers.population import Population
from generators.registers.window import (
    DAYS_PER_YEAR,
    END_DAY,
    NEVER,
    START_DAY,
    YearStep,
    uniform_days,
)

# What started a spell.
PREVALENT, NEW_NEED, HIP_FRACTURE = 0, 1, 2


@dataclass(frozen=True)
class CareEpisodes:
    """Spells of municipal help (Serviceloven section 83, or 83a reablement), one per entry."""

    person: np.ndarray  # index into the population
    start: np.ndarray  # first day of help; before the window for help already running then
    end: np.ndarray  # day the help stopped, or NEVER while still running at the window's end
    paragraf: np.ndarray  # "83" (personal and practical help) or "83a" (reablement course)
    trigger: np.ndarray  # PREVALENT, NEW_NEED or HIP_FRACTURE
    need: np.ndarray  # level of need 1 (light) to 4 (total); drives hours and severities


class CareBook:
    """Collects spells as they are drawn and tracks each person's latest section 83 spell."""

    def __init__(self, n: int) -> None:
        self._chunks: list[dict[str, np.ndarray]] = []
        self._count = 0
        self._current = np.full(n, -1, dtype=np.int64)  # id of the latest 83 spell
        self._superseded: list[tuple[np.ndarray, np.ndarray]] = []  # (spell ids, new end)
        self.start = np.full(n, NEVER, dtype=np.int64)  # latest 83 spell's start
        self.end = np.full(n, NEVER, dtype=np.int64)  # its planned end
        self.need = np.zeros(n, dtype=np.int64)  # its level of need

    def in_care(self, day: int) -> np.ndarray:
        """Whether each person receives section 83 help on ``day``."""
        return (self.start <= day) & (day < self.end)

    def waiting(self, day: int) -> np.ndarray:
        """Whether each person has section 83 help granted to start after ``day``."""
        return (self.start > day) & (self.start < NEVER)

    def in_care_of(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether the given persons receive section 83 help on their given days."""
        return (self.start[person] <= day) & (day < self.end[person])

    def add(
        self,
        person: np.ndarray,
        start: np.ndarray,
        end: np.ndarray,
        paragraf: str,
        trigger: int,
        need: np.ndarray,
    ) -> None:
        """Record spells; a new section 83 spell ends the person's previous one."""
        ids = self._count + np.arange(person.size)
        self._count += person.size
        self._chunks.append(
            {
                "person": person,
                "start": start,
                "end": end,
                "paragraf": np.full(person.size, paragraf, dtype=object),
                "trigger": np.full(person.size, trigger, dtype=np.int64),
                "need": need,
            }
        )
        if paragraf == "83":
            had = self._current[person] >= 0
            self._superseded.append((self._current[person][had], start[had]))
            self._current[person] = ids
            self.start[person] = start
            self.end[person] = end
            self.need[person] = need

    def finish(self, death_day: np.ndarray) -> CareEpisodes:
        """The spells, ended at death and open (NEVER) if still running after the window."""
        if not self._chunks:
            none = np.zeros(0, dtype=np.int64)
            return CareEpisodes(none, none, none, np.zeros(0, dtype=object), none, none)
        cols = {k: np.concatenate([c[k] for c in self._chunks]) for k in self._chunks[0]}
        end = cols["end"].copy()
        for ids, new_end in self._superseded:
            end[ids] = np.minimum(end[ids], new_end)
        death = death_day[cols["person"]]
        end = np.minimum(end, death)
        # Help due to start after death, or replaced before it began, never happened.
        keep = (cols["start"] < death) & (end > cols["start"])
        end = np.where(end > END_DAY, NEVER, end)
        return CareEpisodes(
            person=cols["person"][keep],
            start=cols["start"][keep],
            end=end[keep],
            paragraf=cols["paragraf"][keep],
            trigger=cols["trigger"][keep],
            need=cols["need"][keep],
        )


def _need_level(
    rng: np.random.Generator, z: np.ndarray, age: np.ndarray, dementia: np.ndarray, bump: float
) -> np.ndarray:
    raw = 1.6 + 0.6 * z + 0.9 * dementia + 0.03 * (age - 80) + bump
    return np.clip(np.rint(raw + rng.normal(0, 0.7, z.size)), 1, 4).astype(np.int64)


def _spell_end(rng: np.random.Generator, start: np.ndarray) -> np.ndarray:
    """Most spells run until death; some stop after months (recovery, a nursing home)."""
    stops = rng.random(start.size) < rates.CARE_RECOVERY
    length = 60 + rng.exponential(480, start.size).astype(np.int64)
    return np.where(stops, start + length, NEVER)


def _start_new_care(
    rng: np.random.Generator,
    book: CareBook,
    person: np.ndarray,
    start: np.ndarray,
    trigger: int,
    need: np.ndarray,
) -> None:
    """Start section 83 help, preceded by a section 83a reablement course for some."""
    reable = rng.random(person.size) < rates.REABLEMENT_FIRST
    course = rng.integers(56, 85, person.size)
    if reable.any():
        p, s = person[reable], start[reable]
        book.add(p, s, s + course[reable], "83a", trigger, need[reable])
    begin = np.where(reable, start + course, start)
    book.add(person, begin, _spell_end(rng, begin), "83", trigger, need)


def baseline_care(
    rng: np.random.Generator, pop: Population, onset: dict[str, np.ndarray], book: CareBook
) -> None:
    """Help already running on 1 January 2015 (persons 50+), given conditions present then."""
    age0 = pop.age_at(START_DAY)
    coef = rates.CARE_PREVALENCE_LOGIT
    logit = (
        coef["intercept"]
        + coef["per_year_over_75"] * (age0 - 75)
        + coef["frailty"] * pop.frailty
        + coef["alone"] * pop.lives_alone
    )
    for name in ("dementia", "heart_failure", "copd", "stroke"):
        logit = logit + coef[name] * (onset[name] < START_DAY)
    person = np.flatnonzero((age0 >= 50) & (rng.random(pop.size) < rates.logistic(logit)))
    back = rng.uniform(30, 1 + np.clip(age0[person] - 50, 0.1, 5) * DAYS_PER_YEAR)
    start = START_DAY - back.astype(np.int64)
    dementia = onset["dementia"][person] < START_DAY
    need = _need_level(rng, pop.frailty[person], age0[person], dementia, 0.3)
    book.add(person, start, _spell_end(rng, np.full(person.size, START_DAY)), "83", PREVALENT, need)


def new_care(
    rng: np.random.Generator,
    pop: Population,
    onset: dict[str, np.ndarray],
    fracture: np.ndarray,
    death: np.ndarray,
    book: CareBook,
    step: YearStep,
) -> None:
    """Help starting in one year because needs grew, outside the wake of a hip fracture."""
    hazard = rates.CARE_INCIDENCE_PER_1000[rates.age_index(step.age)] / 1000.0
    hazard = hazard * rates.frailty_factor(rates.CARE_FRAILTY_BETA, pop.frailty)
    for name, mult in rates.CARE_MULTIPLIERS.items():
        if name == "alone":
            hazard = hazard * np.where(pop.lives_alone, mult, 1.0)
        elif name == "hip_fracture":
            hazard = hazard * np.where(fracture < step.first, mult, 1.0)
        else:
            hazard = hazard * np.where(onset[name] < step.first, mult, 1.0)
    at_risk = step.alive & ~book.in_care(step.first) & ~book.waiting(step.first)
    hit = at_risk & (rng.random(pop.size) < 1 - np.exp(-hazard * step.exposure))
    start = np.full(pop.size, NEVER, dtype=np.int64)
    start[hit] = uniform_days(rng, step.entry[hit], np.minimum(step.after, death[hit]))
    new_fracture = (fracture >= step.first) & (fracture < step.after)
    hit &= ~(new_fracture & (start > fracture))  # the fracture decides for these
    person = np.flatnonzero(hit)
    dementia = onset["dementia"][person] < start[person]
    need = _need_level(rng, pop.frailty[person], step.age[person], dementia, 0.0)
    _start_new_care(rng, book, person, start[person], NEW_NEED, need)


def care_after_fracture(
    rng: np.random.Generator,
    pop: Population,
    onset: dict[str, np.ndarray],
    fracture: np.ndarray,
    stay: np.ndarray,
    book: CareBook,
    step: YearStep,
) -> None:
    """Help after this year's hip fractures: revisitation, new help, or a reablement course."""
    person = np.flatnonzero((fracture >= step.first) & (fracture < step.after))
    day = fracture[person]
    discharge = day + stay[person]
    prior = book.in_care_of(person, day)
    age = pop.age_of(person, day)
    z = pop.frailty[person]
    coef = rates.FRACTURE_CARE_LOGIT
    logit = (
        coef["intercept"]
        + coef["per_year_over_83"] * (age - 83)
        + coef["alone"] * pop.lives_alone[person]
        + coef["prior_care"] * prior
        + coef["frailty"] * z
        + coef["female"] * pop.female[person]
    )
    for name in ("dementia", "diabetes", "heart_failure", "copd", "stroke"):
        logit = logit + coef[name] * (onset[name][person] < day)
    needs = rng.random(person.size) < rates.logistic(logit)
    dementia = onset["dementia"][person] < day

    revisit = prior & needs  # more help, usually from the day they come home
    begin = discharge[revisit] + rng.integers(0, 4, revisit.sum())
    need = np.minimum(book.need[person[revisit]] + 1, 4)
    book.add(person[revisit], begin, _spell_end(rng, begin), "83", HIP_FRACTURE, need)

    fresh = ~prior & needs  # most at discharge, a quarter once living at home proves hard
    late = rng.random(fresh.sum()) < 0.25
    delay = np.where(
        late,
        4 + np.minimum(rng.exponential(90, late.size), 330).astype(np.int64),
        rng.integers(0, 4, late.size),
    )
    need = _need_level(rng, z[fresh], age[fresh], dementia[fresh], 0.5)
    _start_new_care(rng, book, person[fresh], discharge[fresh] + delay, HIP_FRACTURE, need)

    course = ~prior & ~needs & (rng.random(person.size) < rates.REABLEMENT_ONLY)
    begin = discharge[course] + rng.integers(0, 4, course.sum())
    end = begin + rng.integers(56, 85, course.sum())
    need = _need_level(rng, z[course], age[course], dementia[course], -0.5)
    book.add(person[course], begin, end, "83a", HIP_FRACTURE, need)
