"""The observation window and the day arithmetic the simulator is built on.

Inside the simulator every date is an ``int64`` count of days since 1970-01-01
(the integer behind ``datetime64[D]``) and every timestamp a count of seconds, so
that whole populations are moved around with plain numpy arithmetic. Only the
table builders turn them into ``datetime64[ns]`` columns, with ``NEVER`` (an
event that did not happen) becoming ``NaT``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

START = np.datetime64("2015-01-01", "D")  # first day of the simulated lake's extract
END = np.datetime64("2024-12-31", "D")  # last day, inclusive
START_DAY = int(START.astype(np.int64))
END_DAY = int(END.astype(np.int64))
YEARS = tuple(range(2015, 2025))  # calendar years the life course is stepped through
DAYS_PER_YEAR = 365.25
SECONDS_PER_DAY = 86_400
NEVER = np.int64(2**31 - 1)  # "no such event" in a day array, far after any real date


def year_start(year: int) -> int:
    """Day number of 1 January of ``year``."""
    return int(np.datetime64(f"{year}-01-01", "D").astype(np.int64))


@dataclass(frozen=True)
class YearStep:
    """One calendar year of the life-course simulation, as seen by every person."""

    first: int  # day number of 1 January
    after: int  # day number of 1 January the next year
    entry: np.ndarray  # first day each person is in the year (later for the newborn)
    alive: np.ndarray  # alive at entry and born before the year ends
    exposure: np.ndarray  # fraction of the year at risk (0 for those not alive)
    age: np.ndarray  # age in years in the middle of each person's part of the year

    @classmethod
    def of(cls, year: int, birth_day: np.ndarray, death_day: np.ndarray) -> YearStep:
        """The step for ``year`` given birth days and the deaths simulated so far."""
        first, after = year_start(year), year_start(year + 1)
        entry = np.maximum(first, birth_day)
        alive = (birth_day < after) & (death_day >= entry)
        return cls(
            first=first,
            after=after,
            entry=entry,
            alive=alive,
            exposure=np.where(alive, (after - entry) / (after - first), 0.0),
            age=((entry + after) // 2 - birth_day) / DAYS_PER_YEAR,
        )


def days_to_datetime(days: np.ndarray) -> np.ndarray:
    """Turn day numbers into ``datetime64[ns]``; ``NEVER`` becomes ``NaT``.

    Args:
        days: Integer day numbers since 1970-01-01.

    Returns:
        An array of dtype ``datetime64[ns]``.
    """
    days = np.asarray(days, dtype=np.int64)
    out = days.astype("datetime64[D]").astype("datetime64[ns]")
    out[days >= NEVER] = np.datetime64("NaT")
    return out


def seconds_to_datetime(seconds: np.ndarray) -> np.ndarray:
    """Turn second counts since 1970-01-01 into ``datetime64[ns]`` timestamps."""
    return np.asarray(seconds, dtype=np.int64).astype("datetime64[s]").astype("datetime64[ns]")


def uniform_days(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Draw one day uniformly from ``[lo, hi)`` for each pair; ``hi <= lo`` gives ``lo``.

    Args:
        rng: Random generator.
        lo: First possible day (inclusive).
        hi: Day after the last possible one (exclusive).

    Returns:
        ``int64`` day numbers.
    """
    lo = np.asarray(lo, dtype=np.int64)
    span = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 1)
    return lo + np.floor(rng.random(lo.shape) * span).astype(np.int64)


def poisson_days(
    rng: np.random.Generator, rate_per_year: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scatter a Poisson number of events per person over each person's interval.

    Args:
        rng: Random generator.
        rate_per_year: Expected events per person-year, one per person (0 where not at risk).
        lo: First day of each person's interval (inclusive).
        hi: Day after the last (exclusive); an empty interval yields no events.

    Returns:
        ``(person_index, day)`` arrays with one entry per event.
    """
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    span = np.maximum(hi - lo, 0)
    counts = rng.poisson(np.maximum(rate_per_year, 0.0) * span / DAYS_PER_YEAR)
    person = np.repeat(np.arange(lo.size), counts)
    return person, uniform_days(rng, lo[person], hi[person])
