"""Describe a tenant's lake for its catalogue: what it holds, never a row of it.

:func:`describe_lake` reads the lake inside its boundary and returns one JSON-ready
description: the dataset (title, description, period, persons, records, typical ages,
population coverage, health categories, code systems), one entry per table (columns with
their meaning and code system, period, counts, binned distributions) and the synthetic
twin's summary when it has passed its gate. The description passes the same
:class:`~testbench.disclosure.DisclosureChecker` as evidence before anything else sees it,
so the RDF export (:mod:`testbench.catalogue.dcat`), the MLflow catalogue run and the
dashboard all show the same disclosure-checked figures:

- counts of rows and persons are published under the checker's count keys, so 1 to 4
  becomes ``"<5"``;
- typical ages are the 5th and 95th percentiles of age at the end of the period, coarsened
  outwards to 5-year bounds, and only when at least 20 x ``min_count`` persons exist;
- periods are whole calendar years (the first and last dates are single rows' values);
- distributions are the twin report's bins (:func:`validation.fidelity.compare_column`):
  shares, each bin with at least ``min_count`` rows behind it; identifier and key columns
  have none.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from testbench.catalogue.errors import CatalogueError
from testbench.catalogue.vocabulary import (
    CODE_SYSTEMS,
    HEALTH_CATEGORIES,
    SOURCE_CATEGORIES,
    SOURCE_DA,
    code_system_of,
)
from testbench.config import Settings
from testbench.disclosure import IDENTIFIER_NAMES, DisclosureChecker, DisclosurePolicy
from testbench.lake.ingest.column_types import ColumnType
from testbench.lake.ingest.contracts import CONTRACTS, Contract
from testbench.lake.lake import Lake
from testbench.twins.evaluation import load_evaluation
from testbench.twins.store import TwinStore
from validation.fidelity import compare_column

Progress = Callable[[str], None]
SCHEMA = 1
AGE_STEP = 5  # typical ages are published on 5-year bounds
AGE_QUANTILES = (0.05, 0.95)  # "typical": the middle 90% of persons
AGE_MIN_PERSONS_FACTOR = 20  # ages need at least this many times min_count persons
BIRTH_COLUMNS = frozenset({"foed_dag"})  # dates that are not events (left out of the period)
_DATE_TYPES = ("DATE", "TIMESTAMP")
_NUMBER_TYPES = (
    "BIGINT",
    "INTEGER",
    "SMALLINT",
    "TINYINT",
    "HUGEINT",
    "DOUBLE",
    "FLOAT",
    "DECIMAL",
)


def coarsen_age(age: float, direction: str, step: int = AGE_STEP) -> int:
    """An age bound moved outwards to a multiple of ``step`` years ("down" or "up")."""
    if direction == "down":
        return int(math.floor(age / step) * step)
    return int(math.ceil(age / step) * step)


def describe_lake(
    settings: Settings,
    tenant: str,
    lake: Lake,
    twins: TwinStore | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The disclosure-checked description of one tenant's lake (see the module doc).

    Args:
        settings: the test-bench settings (``min_cell_count``).
        tenant: the tenant's name.
        lake: its lake (reads are logged when it carries an audit log).
        twins: its twin store; the newest twin that passed its gate is described.
        progress: per-table messages.

    Raises:
        LakeEmpty: the lake has no tables.
        DisclosureViolation: something in the description may not leave the lake.
    """
    say = progress or (lambda _m: None)
    policy = DisclosurePolicy.from_settings(settings)
    names = lake.require_tables()
    keys = lake.primary_keys()
    related = {(r.child_table, r.child_column) for r in lake.relations()}
    related |= {(r.parent_table, r.parent_column) for r in lake.relations()}
    frames = lake.read_tables(names)  # one logged read; the rows never leave this function
    tables = []
    for name in names:
        say(f"describing {name}")
        frame = frames[name]
        key_columns = {c for (t, c) in related if t == name} | (
            {keys[name]} if name in keys else set()
        )
        tables.append(_table(name, frame, CONTRACTS.get(name), key_columns, policy.min_count))
    persons, ages = _persons(frames, policy.min_count)
    years = [t["period"] for t in tables if t["period"]]
    period = (
        {"start": min(y["start"] for y in years), "end": max(y["end"] for y in years)}
        if years
        else None
    )
    typical = _typical_ages(ages, period["end"]) if ages is not None and period else None
    categories = sorted({SOURCE_CATEGORIES.get(t["name"], "administrative") for t in tables})
    systems = sorted({c["code_system"] for t in tables for c in t["columns"] if c["code_system"]})
    description = {
        "schema": SCHEMA,
        "kind": "catalogue",
        "tenant": tenant,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "title": {
            "da": f"Datasø for {tenant} (OSCAR HOST)",
            "en": f"Data lake of {tenant} (OSCAR HOST)",
        },
        "description": {
            "da": (
                f"Koblede danske sundhedsdata i {tenant}s isolerede datasø: "
                f"{len(tables)} tabeller fra registre, hospitaler og kommuner. "
                "Rækkeniveaudata forlader aldrig søen; adgang gives efter ansøgning."
            ),
            "en": (
                f"Linked Danish health data in the isolated data lake of {tenant}: "
                f"{len(tables)} tables from registers, hospitals and municipalities. "
                "Row-level data never leaves the lake; access follows an approved request."
            ),
        },
        "period": period,
        "rows": sum(t["rows"] for t in tables),
        "persons": persons,
        "typical_age": typical,
        "population_coverage": _coverage(frames, policy.min_count),
        "health_categories": [
            {"key": k, "da": HEALTH_CATEGORIES[k].da, "en": HEALTH_CATEGORIES[k].en}
            for k in categories
        ],
        "code_systems": [
            {"key": k, "da": CODE_SYSTEMS[k].da, "en": CODE_SYSTEMS[k].en} for k in systems
        ],
        "tables": tables,
        "twin": _twin(twins),
    }
    checker = DisclosureChecker(policy, max(persons or 1, 1))
    return checker.check_evidence(description)


def _table(
    name: str, frame: pd.DataFrame, contract: Contract | None, keys: set[str], min_count: int
) -> dict[str, Any]:
    columns, distributions, periods = [], [], []
    for column in frame.columns:
        rule = contract.rule(column) if contract else None
        identifier = (
            column in keys
            or column.lower() in IDENTIFIER_NAMES
            or (rule is not None and (rule.identifier or rule.kind is ColumnType.CPR))
        )
        sdtype = _sdtype(frame[column])
        columns.append(
            {
                "name": column,
                "type": rule.kind.value if rule else _plain_type(sdtype),
                "meaning": rule.meaning if rule and rule.meaning else "",
                "code_system": code_system_of(rule),
                "identifier": identifier,
            }
        )
        if sdtype == "datetime" and column not in BIRTH_COLUMNS:
            present = pd.to_datetime(frame[column], errors="coerce").dropna()
            if len(present) >= min_count:
                periods.append((present.min().year, present.max().year))
        if identifier or (contract is None and sdtype == "categorical"):
            continue  # keys never; free text of unknown tables neither
        comparison = compare_column(
            frame[column],
            frame[column].iloc[:0],
            table=name,
            column=column,
            sdtype=sdtype,
            min_count=min_count,
        )
        if comparison is not None:
            distributions.append(
                {
                    "column": column,
                    "kind": comparison.kind,
                    "labels": comparison.labels,
                    "shares": comparison.real,
                }
            )
    return {
        "name": name,
        "description": {
            "en": contract.description if contract else "the tenant's own table",
            "da": SOURCE_DA.get(name, "virksomhedens egen tabel"),
        },
        "category": SOURCE_CATEGORIES.get(name, "administrative"),
        "rows": len(frame),
        "persons": _person_count(frame, contract),
        "period": (
            {
                "start": f"{min(p[0] for p in periods)}-01-01",
                "end": f"{max(p[1] for p in periods)}-12-31",
            }
            if periods
            else None
        ),
        "columns": columns,
        "distributions": distributions,
    }


def _sdtype(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_numeric_dtype(series):
        return "numerical"
    return "categorical"


def _plain_type(sdtype: str) -> str:
    return {"datetime": "date", "numerical": "float", "boolean": "bool"}.get(sdtype, "text")


def _person_column(frame: pd.DataFrame, contract: Contract | None) -> str | None:
    if contract is not None:
        for column in contract.cpr_columns:
            if column in frame:
                return column
    return "pnr" if "pnr" in frame else None


def _person_count(frame: pd.DataFrame, contract: Contract | None) -> int | None:
    column = _person_column(frame, contract)
    return int(frame[column].nunique()) if column else None


def _persons(
    frames: dict[str, pd.DataFrame], min_count: int
) -> tuple[int | None, pd.Series | None]:
    """Unique persons across all tables, and the birth dates of the population table."""
    ids: set[Any] = set()
    for name, frame in frames.items():
        column = _person_column(frame, CONTRACTS.get(name))
        if column:
            ids.update(frame[column].dropna().unique().tolist())
    births = None
    if "bef" in frames and "foed_dag" in frames["bef"]:
        births = pd.to_datetime(frames["bef"]["foed_dag"], errors="coerce").dropna()
        if len(births) < AGE_MIN_PERSONS_FACTOR * min_count:
            births = None
    return (len(ids) if ids else None), births


def _typical_ages(births: pd.Series, end: str) -> dict[str, int]:
    ages = (pd.Timestamp(end) - births).dt.days / 365.25
    low, high = ages.quantile(list(AGE_QUANTILES)).tolist()
    return {"min": coarsen_age(max(low, 0.0), "down"), "max": coarsen_age(high, "up")}


def _coverage(frames: dict[str, pd.DataFrame], min_count: int) -> dict[str, str]:
    """Which regions the persons live in (regions with fewer than min_count left out)."""
    regions: list[str] = []
    if "bef" in frames and "reg" in frames["bef"]:
        counts = frames["bef"]["reg"].astype(str).value_counts()
        regions = sorted(str(r) for r, n in counts.items() if n >= min_count)
    listed = ", ".join(regions) if regions else "–"
    return {
        "da": f"Personer med bopæl i Danmark, regionskoder {listed}; alle aldre.",
        "en": f"Persons resident in Denmark, region codes {listed}; all ages.",
    }


def _twin(twins: TwinStore | None) -> dict[str, Any] | None:
    """The newest twin whose evaluation passed its gate: fidelity and privacy, no rows."""
    if twins is None:
        return None
    for twin_id in sorted(twins.ids(), reverse=True):
        found = load_evaluation(twins, twin_id)
        if found is None:
            continue
        evaluation = found[0]
        gate = evaluation.get("gate") or {}
        if not gate.get("passed"):
            continue
        fidelity = evaluation.get("fidelity") or {}
        return {
            "id": twin_id,
            "passed": True,
            "quality": fidelity.get("quality"),
            "diagnostic": fidelity.get("diagnostic"),
            "privacy": evaluation.get("privacy") or {},
            "checks": [
                {k: c.get(k) for k in ("name", "value", "threshold", "direction", "passed")}
                for c in gate.get("checks") or []
            ],
        }
    return None


def require_description(description: dict[str, Any]) -> dict[str, Any]:
    """``description`` if it is a catalogue description of this schema, else a clear error."""
    if description.get("kind") != "catalogue" or description.get("schema") != SCHEMA:
        raise CatalogueError(
            "this is not a catalogue description of schema 1; make one with "
            "`testbench catalogue export`"
        )
    return description
