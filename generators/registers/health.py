"""Each person's life course through the window: disease, hip fracture, home care, death.

The simulation steps through calendar years. In each year every living person may
develop a chronic condition, fracture a hip, start municipal home care or die,
with hazards from :mod:`generators.registers.rates` that depend on age, sex, the
conditions already present, living alone, and a latent frailty that no register
records but that every register reflects (more contacts, worse lab values, more
care). Conditions present on 1 January 2015 are drawn from the cumulative
incidence up to that age. The result is a :class:`HealthHistory`; the register
builders turn it into rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from generators.registers import care, rates
from generators.registers.care import CareEpisodes
from generators.registers.population import Population
from generators.registers.window import (
    DAYS_PER_YEAR,
    END_DAY,
    NEVER,
    START_DAY,
    YEARS,
    YearStep,
    uniform_days,
)


@dataclass(frozen=True)
class HealthHistory:
    """Dates of everything that happened to each person (NEVER where it did not)."""

    onset: dict[str, np.ndarray]  # chronic condition -> day it began (may precede the window)
    fracture_day: np.ndarray  # day of a hip fracture in the window
    fracture_los: np.ndarray  # days in hospital after the fracture (0 without one)
    death_day: np.ndarray  # last day lived; NEVER for those alive at the window's end
    care: CareEpisodes  # spells of municipal help


def _baseline_conditions(
    rng: np.random.Generator, pop: Population, onset: dict[str, np.ndarray]
) -> None:
    """Chronic conditions already present on 1 January 2015, from cumulative incidence."""
    age0 = pop.age_at(START_DAY)
    for name in rates.CHRONIC:
        spec = rates.EVENTS[name]
        cum = spec.cumulative(np.maximum(age0, 0), pop.female)
        cum = cum * rates.frailty_factor(spec.frailty_beta, pop.frailty)
        for other, mult in rates.RISK_MULTIPLIERS.get(name, {}).items():
            cum = cum * np.where(onset[other] < START_DAY, mult, 1.0)
        has = (age0 > 0) & (rng.random(pop.size) < 1 - np.exp(-cum))
        years_back = rng.random(pop.size) * np.clip(age0 - 20, 0.1, 15)
        began = START_DAY - 1 - (years_back * DAYS_PER_YEAR).astype(np.int64)
        onset[name][has] = np.maximum(began, pop.birth_day)[has]


def _incidence(
    rng: np.random.Generator,
    pop: Population,
    event: str,
    present: dict[str, np.ndarray],
    at_risk: np.ndarray,
    step: YearStep,
) -> tuple[np.ndarray, np.ndarray]:
    """Who gets ``event`` this year, and on which day (for those who do)."""
    spec = rates.EVENTS[event]
    hazard = spec.hazard(step.age, pop.female)
    hazard = hazard * rates.frailty_factor(spec.frailty_beta, pop.frailty)
    for other, mult in rates.RISK_MULTIPLIERS.get(event, {}).items():
        hazard = hazard * np.where(present[other], mult, 1.0)
    hit = at_risk & (rng.random(pop.size) < 1 - np.exp(-hazard * step.exposure))
    return hit, uniform_days(rng, step.entry[hit], np.full(hit.sum(), step.after))


def _deaths(
    rng: np.random.Generator,
    pop: Population,
    onset: dict[str, np.ndarray],
    present: dict[str, np.ndarray],
    fracture: np.ndarray,
    death: np.ndarray,
    step: YearStep,
) -> None:
    """Background deaths, raised by each condition present, and acute deaths after events."""
    q = rates.DEATH_PER_1000_MEN[rates.age_index(step.age)] / 1000.0
    q = q * np.where(pop.female, rates.DEATH_FEMALE_RATIO, 1.0) * rates.BACKGROUND_DEATH_SHARE
    hazard = -np.log1p(-np.minimum(q, 0.95))
    hazard = hazard * rates.frailty_factor(rates.DEATH_FRAILTY_BETA, pop.frailty)
    for name in rates.CHRONIC:
        hazard = hazard * np.where(present[name], rates.EVENTS[name].death_hr, 1.0)
    hazard = hazard * np.where(fracture < step.first, rates.EVENTS["hip_fracture"].death_hr, 1.0)
    hit = step.alive & (rng.random(pop.size) < 1 - np.exp(-hazard * step.exposure))
    when = uniform_days(rng, step.entry[hit], np.full(hit.sum(), step.after))
    death[hit] = np.minimum(death[hit], when)

    stroke = onset["stroke"]
    new = (stroke >= step.first) & (stroke < step.after)
    fatal = rates.STROKE_DEATH_30D * np.clip(step.age / 74, 0.5, 1.6)
    dies = new & (rng.random(pop.size) < fatal)
    death[dies] = np.minimum(death[dies], stroke[dies] + rng.integers(0, 31, dies.sum()))

    new = (fracture >= step.first) & (fracture < step.after)
    b0, b_age, b_dementia, b_heart, b_male = rates.HIP_FRACTURE_DEATH_1Y
    logit = (
        b0
        + b_age * (step.age - 85)
        + b_dementia * (onset["dementia"] < fracture)
        + b_heart * (onset["heart_failure"] < fracture)
        + b_male * ~pop.female
    )
    dies = new & (rng.random(pop.size) < rates.logistic(logit))
    after = 1 + (365 * rng.random(dies.sum()) ** 2).astype(np.int64)  # most die early
    death[dies] = np.minimum(death[dies], fracture[dies] + after)


def simulate_health(rng: np.random.Generator, pop: Population) -> HealthHistory:
    """Simulate every person's conditions, hip fracture, home care and death.

    Args:
        rng: Random generator for this module.
        pop: The population.

    Returns:
        The history, with all dates as day numbers and ``NEVER`` for what did not happen.
    """
    n = pop.size
    onset = {name: np.full(n, NEVER, dtype=np.int64) for name in rates.CHRONIC}
    fracture = np.full(n, NEVER, dtype=np.int64)
    stay = np.zeros(n, dtype=np.int64)
    death = np.full(n, NEVER, dtype=np.int64)
    book = care.CareBook(n)
    _baseline_conditions(rng, pop, onset)
    care.baseline_care(rng, pop, onset, book)

    for year in YEARS:
        step = YearStep.of(year, pop.birth_day, death)
        present = {name: onset[name] < step.first for name in rates.CHRONIC}
        for name in rates.CHRONIC:
            hit, day = _incidence(rng, pop, name, present, step.alive & ~present[name], step)
            onset[name][hit] = day
        hit, day = _incidence(
            rng, pop, "hip_fracture", present, step.alive & (fracture == NEVER), step
        )
        fracture[hit] = day
        stay[hit] = 2 + rng.poisson(5, hit.sum())  # days in hospital
        _deaths(rng, pop, onset, present, fracture, death, step)

        # Nothing happens after death (the death day itself is the last day lived).
        for name in rates.CHRONIC:
            onset[name][onset[name] > death] = NEVER
        gone = fracture > death
        fracture[gone], stay[gone] = NEVER, 0

        care.new_care(rng, pop, onset, fracture, death, book, step)
        care.care_after_fracture(rng, pop, onset, fracture, stay, book, step)

    death[death > END_DAY] = NEVER  # deaths after the window are not in this extract
    return HealthHistory(onset, fracture, stay, death, book.finish(death))
