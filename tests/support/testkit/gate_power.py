"""Gate power: plant near-copies of real training persons in a twin and see which checks fail.

Used by ``tests/testbench/twins/test_gate_power.py`` and ``benchmarks/gate_power.py``. A
near-copy is a training person with every row below them (their contacts, prescriptions,
...), given fresh keys, with float and datetime values moved by a normal jitter of 2% of
the column's standard deviation (integers and categories kept: jitter that small rounds
back to the same integer). The copies replace as many twin persons (with their rows), so
the twin keeps its size and the share planted is exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from generators.relations import Relation
from generators.twin.holdout import split_by_units
from testbench.twins.gate import GatePolicy, PrivacyGate, gate_values
from testbench.twins.privacy import privacy_checks

# Checks the gate had before the membership attack and the near-copy check.
OLD_CHECKS = (
    "dcr_baseline_protection",
    "dcr_holdout_ratio",
    "dcr_overfitting_protection",
    "exact_copies",
    "rare_leakage",
    "singling_out",
    "linkability",
    "inference",
)
NEW_CHECKS = (
    "membership_auc",
    "membership_tpr_at_fpr_01",
    "membership_tpr_at_fpr_10",
    "near_copies",
)
JITTER = 0.02  # standard deviations


def plant_near_copies(
    training: Mapping[str, pd.DataFrame],
    twin: Mapping[str, pd.DataFrame],
    relations: list[Relation],
    keys: Mapping[str, str],
    unit: str,
    key: str,
    share: float,
    seed: int,
) -> dict[str, pd.DataFrame]:
    """The twin with ``share`` of its persons replaced by near-copies of training persons."""
    rng = np.random.default_rng(seed)
    n_twin = len(twin[unit])
    k = round(share * n_twin)
    if k == 0:
        return {name: frame.copy() for name, frame in twin.items()}
    real_units = training[unit][key].astype(str).to_numpy()
    twin_units = twin[unit][key].astype(str).to_numpy()
    copied_keys = set(rng.choice(real_units, size=k, replace=False))
    dropped_keys = set(rng.choice(twin_units, size=k, replace=False))
    copies = split_by_units(dict(training), relations, unit, key, copied_keys)[1]
    kept = split_by_units(dict(twin), relations, unit, key, dropped_keys)[0]
    copies = _rekey(copies, {**twin, **training}, relations, keys, unit, key, seed)
    out = {}
    for name, frame in twin.items():
        copy = _jitter(
            copies.get(name, frame.iloc[:0]),
            training[name],
            _key_columns(name, relations, keys),
            rng,
        )
        out[name] = pd.concat([kept[name], copy[frame.columns]], ignore_index=True)
    return out


def _key_columns(table: str, relations: list[Relation], keys: Mapping[str, str]) -> set[str]:
    columns = {keys[table]} if table in keys else set()
    columns |= {r.child_column for r in relations if r.child_table == table}
    columns |= {r.parent_column for r in relations if r.parent_table == table}
    return columns


def _rekey(
    copies: dict[str, pd.DataFrame],
    every: Mapping[str, pd.DataFrame],
    relations: list[Relation],
    keys: Mapping[str, str],
    unit: str,
    key: str,
    seed: int,
) -> dict[str, pd.DataFrame]:
    """Fresh values for every key a copy carries, with foreign keys following their parent."""
    referenced = {(r.parent_table, r.parent_column) for r in relations}
    referenced |= {(t, k) for t, k in keys.items()} | {(unit, key)}
    maps: dict[tuple[str, str], dict[Any, Any]] = {}
    for table, column in referenced:
        if table not in copies or column not in copies[table]:
            continue
        values = copies[table][column].dropna().unique()
        if pd.api.types.is_numeric_dtype(copies[table][column]):
            start = int(pd.to_numeric(every[table][column], errors="coerce").max()) + 1
            fresh: list[Any] = list(range(start, start + len(values)))
        else:
            fresh = [f"copy{seed}-{i}" for i in range(len(values))]
        maps[(table, column)] = dict(zip(values, fresh, strict=True))
    out = {name: frame.copy() for name, frame in copies.items()}
    for (table, column), mapping in maps.items():
        out[table][column] = out[table][column].map(mapping)
    for r in relations:
        if r.child_table in out and (r.parent_table, r.parent_column) in maps:
            mapping = maps[(r.parent_table, r.parent_column)]
            out[r.child_table][r.child_column] = copies[r.child_table][r.child_column].map(mapping)
    return out


def _jitter(
    frame: pd.DataFrame, real: pd.DataFrame, key_columns: set[str], rng: np.random.Generator
) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if column in key_columns or len(out) == 0:
            continue
        series = out[column]
        if pd.api.types.is_float_dtype(series):
            sd = float(real[column].std())
            out[column] = series + rng.normal(0.0, JITTER * sd if sd > 0 else 0.0, len(series))
        elif pd.api.types.is_datetime64_any_dtype(series):
            sd_ns = float(real[column].astype("int64").std())
            shift = rng.normal(0.0, JITTER * sd_ns, len(series)).astype("int64")
            out[column] = series + pd.to_timedelta(shift, unit="ns")
    return out


def privacy_gate(
    training: dict[str, pd.DataFrame],
    holdout: dict[str, pd.DataFrame],
    twin: dict[str, pd.DataFrame],
    relations: list[Relation],
    keys: dict[str, str],
    unit: str,
    key: str,
    seed: int = 0,
    min_count: int = 5,
) -> tuple[dict[str, bool], dict[str, Any]]:
    """Every privacy check's pass/fail under the default policy, and the privacy evidence.

    Fidelity is left out: near-copies of real persons make a twin more faithful, not less.
    """
    privacy = privacy_checks(training, holdout, twin, relations, keys, unit, key, min_count, seed)
    values = gate_values({"fidelity": {"quality": 1.0, "diagnostic": 1.0}, "privacy": privacy})
    decision = PrivacyGate(GatePolicy()).decide(values)
    passed = {c.name: c.passed for c in decision.checks if c.name in OLD_CHECKS + NEW_CHECKS}
    return passed, privacy
