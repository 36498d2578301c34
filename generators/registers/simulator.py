"""Simulate a whole register lake for a population: the package's entry point."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from generators.registers import epj, health, hospital, laboratory, municipal_care, population
from generators.registers import prescriptions as lmdb
from generators.registers.errors import InvalidSimulationSettings
from generators.registers.schema import REGISTER_TABLES
from generators.registers.window import NEVER, days_to_datetime

# One independent random stream per step, so a change in one builder does not reshuffle
# the others' draws.
_STREAMS = (
    "population",
    "health",
    "contacts",
    "diagnoses",
    "procedures",
    "observations",
    "prescriptions",
    "laboratory",
    "assessments",
    "interventions",
)


def dod_table(pop: population.Population, history: health.HealthHistory) -> pd.DataFrame:
    """The ``dod`` table: ``pnr`` and ``doddato`` (date of death) for deaths in the window."""
    dead = np.flatnonzero(history.death_day < NEVER)
    dead = dead[np.argsort(history.death_day[dead], kind="stable")]
    return pd.DataFrame(
        {"pnr": pop.pnr[dead], "doddato": days_to_datetime(history.death_day[dead])}
    )


def simulate_registers(
    persons: int = 1000, seed: int = 7, progress: Callable[[str], None] | None = None
) -> dict[str, pd.DataFrame]:
    """Simulate the Danish registers for a population followed from 2015 to 2024.

    The same ``persons`` and ``seed`` always give identical tables.

    Args:
        persons: Number of persons in ``bef`` (residents on 1 January 2015 plus persons born
            during the window).
        seed: Non-negative integer; seeds every random draw and keys the pseudonyms.
        progress: Called with a short message as each table is finished, e.g.
            ``"lpr_a_kontakt: 12,345 rows"``.

    Returns:
        Table name -> DataFrame, in ``REGISTER_TABLES`` order (parents before children).

    Raises:
        InvalidSimulationSettings: If ``persons`` is not a positive integer or ``seed`` is not
            a non-negative integer.
    """
    if isinstance(persons, bool) or not isinstance(persons, int | np.integer) or persons < 1:
        raise InvalidSimulationSettings(f"persons must be a positive integer, got {persons!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**64:
        raise InvalidSimulationSettings(f"seed must be an integer from 0 to 2**64-1, got {seed!r}")
    streams = np.random.SeedSequence(int(seed)).spawn(len(_STREAMS))
    rng = {name: np.random.default_rng(s) for name, s in zip(_STREAMS, streams, strict=True)}
    tables: dict[str, pd.DataFrame] = {}

    def done(name: str, table: pd.DataFrame) -> None:
        tables[name] = table
        if progress is not None:
            progress(f"{name}: {len(table):,} rows")

    pop = population.simulate_population(rng["population"], int(persons), int(seed))
    done("bef", population.bef_table(pop))
    history = health.simulate_health(rng["health"], pop)
    done("dod", dod_table(pop, history))
    contacts = hospital.simulate_contacts(rng["contacts"], pop, history)
    done("lpr_a_kontakt", hospital.kontakt_table(pop, contacts))
    done("lpr_a_diagnose", hospital.diagnose_table(rng["diagnoses"], contacts, history))
    done("lpr_a_procregistrering", hospital.procedure_table(rng["procedures"], contacts))
    done(
        "epj_observation",
        epj.simulate_observations(rng["observations"], pop, history, contacts),
    )
    done("lmdb", lmdb.simulate_prescriptions(rng["prescriptions"], pop, history))
    done("lab", laboratory.simulate_laboratory(rng["laboratory"], pop, history, contacts))
    done("fsiii_tilstand", municipal_care.simulate_assessments(rng["assessments"], pop, history))
    done("fsiii_indsats", municipal_care.simulate_interventions(rng["interventions"], pop, history))
    return {name: tables[name] for name in REGISTER_TABLES}
