"""Epidemiological rates the simulator draws from, each with its public source.

Figures are rounded approximations of the named Danish statistics, close enough
that prevalences, age gradients and sex ratios look right in a lake; they are not
estimates and must not be quoted as such. Rates are tabulated in age bands and
expanded to single years of age (0-110) so a whole population is looked up with
one fancy-indexing step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

AGE_MAX = 110  # oldest single year of age in the rate tables


def by_age(edges: Sequence[int], values: Sequence[float]) -> np.ndarray:
    """Expand a banded table to one value per single year of age 0..AGE_MAX.

    Args:
        edges: Lower age of each band, ascending, starting at 0.
        values: One value per band.

    Returns:
        Array of length ``AGE_MAX + 1``.
    """
    if len(edges) != len(values) or edges[0] != 0:
        raise ValueError("give one value per band and start the bands at age 0")
    widths = np.diff([*edges, AGE_MAX + 1])
    return np.repeat(np.asarray(values, dtype=float), widths)


def frailty_factor(beta: float, z: np.ndarray) -> np.ndarray:
    """Hazard multiplier ``exp(beta * z)`` for standard-normal frailty ``z``, mean 1 overall."""
    return np.exp(beta * z - beta**2 / 2)


def logistic(x: np.ndarray) -> np.ndarray:
    """The inverse logit."""
    return 1.0 / (1.0 + np.exp(-x))


def age_index(age_years: np.ndarray) -> np.ndarray:
    """Single-year-of-age index into a ``by_age`` table (clipped to 0..AGE_MAX)."""
    return np.clip(np.floor(age_years), 0, AGE_MAX).astype(np.int64)


@dataclass(frozen=True)
class EventRates:
    """Incidence of one event by age and sex, with its frailty and mortality effects."""

    per_1000_men: np.ndarray  # annual incidence per 1,000 men, by single year of age
    female_ratio: float  # women's rate relative to men's
    frailty_beta: float  # log hazard ratio per SD of the latent frailty
    death_hr: float  # hazard ratio on death once the condition is present

    def hazard(self, age_years: np.ndarray, female: np.ndarray) -> np.ndarray:
        """Expected events per person-year at the given ages (frailty not applied)."""
        base = self.per_1000_men[age_index(age_years)] / 1000.0
        return base * np.where(female, self.female_ratio, 1.0)

    def cumulative(self, age_years: np.ndarray, female: np.ndarray) -> np.ndarray:
        """Cumulative hazard from birth to the given ages (frailty not applied)."""
        per_year = self.per_1000_men / 1000.0
        cum = np.concatenate([[0.0], np.cumsum(per_year)])
        age = np.clip(age_years, 0, AGE_MAX)
        whole = age_index(age)
        total = cum[whole] + (age - whole) * per_year[whole]
        return total * np.where(female, self.female_ratio, 1.0)


# --- Population ------------------------------------------------------------------------------

# Residents on 1 January 2015 by five-year age band, thousands (Statistics Denmark, FOLK1A,
# 2015K1, rounded). The band starting at -10 holds persons born during the window: about
# 60,000 births a year (Statistics Denmark, FOD).
AGE_BANDS_2015 = np.array(
    [-10, 0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100]
)
# fmt: off
RESIDENTS_2015_THOUSANDS = np.array(
    [600, 290, 330, 335, 350, 370, 335, 320, 360, 400, 420, 390, 350, 345, 360, 260, 180,
     125, 80, 35, 9, 1],
    dtype=float,
)
# fmt: on

# Share of women by age: men outnumber women until about 60, women dominate the oldest
# (Statistics Denmark, FOLK1A, 2015).
FEMALE_SHARE = by_age([0, 50, 65, 75, 85, 95], [0.49, 0.50, 0.52, 0.56, 0.66, 0.78])

# Civil status (BEF civst: U unmarried, G married, F divorced, E widowed) by age and sex
# (Statistics Denmark, FOLK1A by civilstand, 2015, rounded). Columns follow CIVST_CODES.
CIVST_CODES = ("U", "G", "F", "E")
CIVST_EDGES = [0, 18, 30, 40, 50, 60, 70, 80, 90]
CIVST_MEN = np.array(
    [
        [1.00, 0.00, 0.00, 0.00],
        [0.90, 0.09, 0.01, 0.00],
        [0.52, 0.42, 0.06, 0.00],
        [0.32, 0.55, 0.125, 0.005],
        [0.20, 0.60, 0.18, 0.02],
        [0.12, 0.64, 0.19, 0.05],
        [0.07, 0.67, 0.14, 0.12],
        [0.06, 0.58, 0.09, 0.27],
        [0.05, 0.40, 0.06, 0.49],
    ]
)
CIVST_WOMEN = np.array(
    [
        [1.00, 0.00, 0.00, 0.00],
        [0.85, 0.14, 0.01, 0.00],
        [0.45, 0.48, 0.07, 0.00],
        [0.27, 0.57, 0.15, 0.01],
        [0.15, 0.60, 0.20, 0.05],
        [0.08, 0.60, 0.19, 0.13],
        [0.04, 0.50, 0.15, 0.31],
        [0.04, 0.22, 0.10, 0.64],
        [0.05, 0.06, 0.07, 0.82],
    ]
)

# --- Chronic disease and hip fracture ----------------------------------------------------------

CHRONIC = ("diabetes", "heart_failure", "copd", "stroke", "dementia")

EVENTS: dict[str, EventRates] = {
    # Type 2 diabetes (DE11). Danish Diabetes Database (RKKP) and Sundhedsdatastyrelsen's
    # RUKS (udvalgte kroniske sygdomme): about 5-6 % of all Danes, 13-16 % of 65-79 year olds,
    # more men than women.
    "diabetes": EventRates(
        by_age([0, 30, 40, 50, 60, 70, 80, 90], [0.1, 0.9, 2.3, 5.2, 8.0, 9.2, 8.0, 5.5]),
        female_ratio=0.7,
        frailty_beta=0.4,
        death_hr=1.4,
    ),
    # Heart failure (DI50). RUKS: about 1 % overall, rising steeply after 70; Danish Heart
    # Failure Registry (RKKP DHR): about half of patients die within five years.
    "heart_failure": EventRates(
        by_age([0, 40, 50, 60, 70, 80, 90], [0.05, 0.3, 0.9, 2.5, 6.0, 14.0, 22.0]),
        female_ratio=0.7,
        frailty_beta=0.5,
        death_hr=3.0,
    ),
    # COPD (DJ44). RUKS: about 3 % of adults, 8-10 % of the over 65s, nearly as common in
    # women as in men.
    "copd": EventRates(
        by_age([0, 40, 50, 60, 70, 80], [0.02, 0.6, 2.0, 5.0, 7.0, 7.0]),
        female_ratio=0.95,
        frailty_beta=0.4,
        death_hr=1.8,
    ),
    # Ischaemic stroke (DI63). Danish Stroke Registry (RKKP DAP): about 12,000 strokes a year,
    # median age about 74, slightly fewer in women.
    "stroke": EventRates(
        by_age([0, 50, 60, 70, 80, 90], [0.2, 1.2, 3.0, 6.5, 13.0, 18.0]),
        female_ratio=0.8,
        frailty_beta=0.4,
        death_hr=1.5,
    ),
    # Diagnosed dementia (DF00-DF03). Nationalt Videnscenter for Demens: about 8,000 new
    # registered diagnoses a year, steep rise after 80, more women.
    "dementia": EventRates(
        by_age([0, 60, 70, 80, 90], [0.03, 0.8, 4.0, 14.0, 25.0]),
        female_ratio=1.15,
        frailty_beta=0.5,
        death_hr=2.2,
    ),
    # Hip fracture (DS72). Danish Multidisciplinary Hip Fracture Registry (RKKP DTHR): about
    # 6,500 a year, median age about 83, two thirds women. Acute excess mortality is added
    # separately (HIP_FRACTURE_DEATH_1Y).
    "hip_fracture": EventRates(
        by_age([0, 50, 60, 70, 80, 90], [0.03, 0.22, 0.66, 2.2, 7.2, 15.4]),
        female_ratio=1.8,
        frailty_beta=0.3,
        death_hr=1.3,
    ),
}

# Incidence multipliers when another condition is already present (published relative risks
# rounded: diabetes roughly doubles stroke and heart-failure risk; dementia and stroke roughly
# double hip-fracture risk; stroke and diabetes raise dementia risk).
RISK_MULTIPLIERS: dict[str, dict[str, float]] = {
    "heart_failure": {"diabetes": 1.8, "copd": 1.3},
    "stroke": {"diabetes": 1.6, "heart_failure": 1.5},
    "dementia": {"stroke": 1.8, "diabetes": 1.4},
    "hip_fracture": {"dementia": 2.0, "stroke": 1.7, "diabetes": 1.3},
}

# --- Mortality -----------------------------------------------------------------------------------

# Annual probability of death for men per 1,000 (Statistics Denmark life table, HISB8,
# 2015-2019, rounded). Women about 0.7 of men at most ages. Only a share (BACKGROUND_DEATH_SHARE)
# is drawn as background risk: the disease hazard ratios above add the rest.
# fmt: off
DEATH_PER_1000_MEN = by_age(
    [0, 1, 5, 15, 25, 35, 45, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100],
    [3.7, 0.1, 0.1, 0.5, 0.7, 1.5, 3.8, 6.5, 10.5, 16.0, 25.0, 40.0, 68.0, 120.0, 210.0,
     330.0, 450.0],
)
# fmt: on
DEATH_FEMALE_RATIO = 0.7
BACKGROUND_DEATH_SHARE = 0.75
DEATH_FRAILTY_BETA = 0.5
STROKE_DEATH_30D = 0.10  # 30-day case fatality (RKKP Danish Stroke Registry, about 10 %)
# One-year mortality after hip fracture, about 25 % at 65+ (RKKP DTHR), as a logistic model
# rising with age and dementia: intercept, per year over 85, dementia, heart failure, male sex.
HIP_FRACTURE_DEATH_1Y = (-1.7, 0.05, 0.9, 0.5, 0.35)

# --- Municipal home care (Serviceloven section 83) ---------------------------------------------

# Receiving home care on 1 January 2015, logistic model for persons 50+: about 5 % of 65-79
# year olds, a quarter of 80-89 and half of 90+ year olds (Statistics Denmark, AED06/AED12,
# recipients of visited home help by age).
CARE_PREVALENCE_LOGIT = {
    "intercept": -3.3,
    "per_year_over_75": 0.13,
    "frailty": 0.7,
    "dementia": 1.0,
    "heart_failure": 0.4,
    "copd": 0.3,
    "stroke": 0.6,
    "alone": 0.5,
}
# New home care per 1,000 person-years among those without it (same sources; episodes last a
# few years, so incidence is a fraction of prevalence).
CARE_INCIDENCE_PER_1000 = by_age(
    [0, 50, 65, 75, 80, 85, 90], [0.0, 1.5, 8.0, 25.0, 50.0, 90.0, 150.0]
)
CARE_FRAILTY_BETA = 0.8
CARE_MULTIPLIERS = {
    "dementia": 2.5,
    "stroke": 1.8,
    "heart_failure": 1.6,
    "copd": 1.4,
    "diabetes": 1.15,
    "alone": 1.5,
    "hip_fracture": 1.5,
}
# Home care within a year of a hip-fracture discharge, logistic model. Danish hip-fracture
# cohorts: roughly half of previously independent patients need help at home afterwards, far
# more with dementia or living alone; almost all who had help before are revisited.
FRACTURE_CARE_LOGIT = {
    "intercept": -0.75,
    "per_year_over_83": 0.05,
    "dementia": 1.3,
    "alone": 0.9,
    "prior_care": 2.2,
    "diabetes": 0.3,
    "heart_failure": 0.4,
    "copd": 0.4,
    "stroke": 0.5,
    "frailty": 0.7,
    "female": 0.2,
}
REABLEMENT_FIRST = 0.35  # share of new home care that starts with a section 83a course
REABLEMENT_ONLY = 0.20  # share of fracture patients without lasting care who get 83a only
CARE_RECOVERY = 0.25  # share of incident episodes that end before death (recovery, moved)
