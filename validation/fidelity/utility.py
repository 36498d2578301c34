"""Utility without an SME spec: prediction tasks derived from the lake, trained on synthetic
data and tested on real persons (TSTR) beside trained and tested on real persons (TRTR).

A twin is useful when a model fitted on it predicts for real persons about as well as a
model fitted on real persons. :func:`derived_utility` finds a few tasks in any lake from its
metadata alone:

- **event after a baseline** (``event``): for a table below the person table with a date
  column, "does the person have a row there in the year after the baseline", from the
  person's own columns and a profile of all their rows before the baseline. The baseline is
  the first of a month with a whole observed year after it: a year before the table's last
  real date, or at the 80th, 65th or 50th percentile of its dates, whichever gives the most
  balanced outcome among the real training persons.
- **a category of the person** (``category``): for a category column of the person table
  (2-20 values), "is it the most frequent value", from the person's other columns and a
  profile of all their rows below.

Each task is fitted twice with the same gradient-boosting model, once on real training
persons and once on synthetic persons (equally many), and both are scored on the real
persons the twin never saw. Reported per task: TRTR and TSTR AUROC, TSTR/TRTR above chance
``(TSTR - 0.5) / (TRTR - 0.5)`` (1 = as useful as the real data, 0 = no better than chance),
and both calibration slopes (1 = calibrated; a slope far above 1 means the synthetic model's
risks are too flat). A task is skipped, with its reason, when the lake has too few events or
the real data predict it no better than chance.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from validation.fidelity.columns import metadata_dict
from validation.fidelity.detection import (
    booster,
    encode,
    id_columns,
    lake_relations,
    person_view,
    sample_units,
    unit_key,
    unit_table,
)
from validation.performance import UndefinedMetricError, auroc, calibration_slope
from validation.privacy.person_summary import person_profile

MAX_PERSONS = 4000  # training persons per side at most (real and synthetic, equal)
MAX_EVENT_TASKS = 2  # the tables whose outcome is most balanced (least noisy AUROC)
MAX_CATEGORY_TASKS = 2
# A category that another column of the person table decides on this share of rows (a
# region given the municipality) is predicted perfectly from it by any data: no test.
_DETERMINED_SHARE = 0.99
MIN_EVENTS = 30  # events and non-events each, in the real training and test persons
MIN_TRTR = 0.55  # below this the real data cannot predict the task: the ratio means nothing
MAX_CATEGORIES = 20


@dataclass(frozen=True)
class UtilityTask:
    """One derived prediction task and how a model trained on synthetic data does on it."""

    name: str  # e.g. "lpr_a_kontakt: a row in the year from 2024-01-01"
    kind: str  # "event" (a row after a baseline) or "category" (a value of the person)
    table: str  # the table the outcome comes from
    column: str  # its date column (event) or category column (category)
    baseline: str | None  # ISO date the history ends and the year begins (event tasks)
    outcome_rate_real: float  # share of real test persons with the outcome
    outcome_rate_synthetic: float  # share of synthetic training persons with the outcome
    trtr_auroc: float  # trained on real, tested on real held-out persons
    tstr_auroc: float  # trained on synthetic, tested on the same real persons
    above_chance: float  # (TSTR - 0.5) / (TRTR - 0.5)
    trtr_calibration_slope: float | None  # None when undefined (e.g. separated outcome)
    tstr_calibration_slope: float | None
    train_persons: int  # per side
    test_persons: int  # real held-out persons scored

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (rounded)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "table": self.table,
            "column": self.column,
            "baseline": self.baseline,
            "outcome_rate_real": _r(self.outcome_rate_real),
            "outcome_rate_synthetic": _r(self.outcome_rate_synthetic),
            "trtr_auroc": _r(self.trtr_auroc),
            "tstr_auroc": _r(self.tstr_auroc),
            "above_chance": _r(self.above_chance),
            "trtr_calibration_slope": _r(self.trtr_calibration_slope),
            "tstr_calibration_slope": _r(self.tstr_calibration_slope),
            "n_train": self.train_persons,
            "n_test": self.test_persons,
        }


@dataclass(frozen=True)
class UtilityEvaluation:
    """The derived tasks' results, and the tasks considered but skipped."""

    tasks: tuple[UtilityTask, ...]
    skipped: dict[str, str] = field(default_factory=dict)  # task name -> why
    seconds: float = 0.0

    @property
    def worst_above_chance(self) -> float | None:
        """The lowest TSTR/TRTR above chance over the tasks (None without tasks)."""
        return min((t.above_chance for t in self.tasks), default=None)

    def to_dict(self) -> dict[str, Any]:
        """The ``fidelity.utility`` block of the twin-evaluation evidence."""
        return {
            "method": "TSTR against TRTR on tasks derived from the metadata; both scored on "
            "the real persons the twin never saw (HistGradientBoosting)",
            "tasks": [t.to_dict() for t in self.tasks],
            "worst_above_chance": _r(self.worst_above_chance),
            "skipped": dict(self.skipped),
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class _Task:
    name: str
    kind: str
    table: str
    column: str
    baseline: pd.Timestamp | None = None  # event tasks: where the history ends
    value: str | None = None  # category tasks: the value predicted


def derived_utility(
    real: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    real_test: Mapping[str, pd.DataFrame],
    metadata: Any,
    *,
    max_persons: int = MAX_PERSONS,
    seed: int = 0,
) -> UtilityEvaluation:
    """TSTR against TRTR on prediction tasks derived from the lake's metadata.

    Args:
        real: the real training tables (the rows the synthetic data was fitted on).
        synthetic: the synthetic tables, named alike.
        real_test: real persons' tables that neither saw (the lake's holdout).
        metadata: SDV multi-table metadata (object or dict).
        max_persons: training persons per side at most.
        seed: seeds the samples and the models.

    Returns:
        Per-task results, and the reason for each task that could not be run.
    """
    started = time.perf_counter()
    meta = metadata_dict(metadata)
    names = [t for t in real if t in synthetic and t in real_test and t in meta["tables"]]
    relations = lake_relations(meta, names)
    if not relations:
        return UtilityEvaluation((), {"lake": "no person table with tables below it"})
    unit = unit_table(names, relations)
    key = unit_key(meta, unit)
    n = min(len(real[unit]), len(synthetic[unit]), max_persons)
    sides = {
        "real": sample_units({t: real[t] for t in names}, relations, unit, key, n, seed),
        "synthetic": sample_units({t: synthetic[t] for t in names}, relations, unit, key, n, seed),
        "test": sample_units({t: real_test[t] for t in names}, relations, unit, key, n, seed),
    }
    tasks, skipped = _derive(sides["real"], meta, relations, unit, key)
    done: list[UtilityTask] = []
    views: dict[Any, dict[str, pd.DataFrame]] = {}
    for task in tasks:
        if task.baseline not in views:
            views[task.baseline] = {
                side: person_view(_history(t, meta, unit, task.baseline), meta, relations, unit)
                for side, t in sides.items()
            }
        x = views[task.baseline]
        y = {side: _outcome(task, t, relations, unit, key) for side, t in sides.items()}
        if task.kind == "category":
            x = {side: v.drop(columns=[task.column], errors="ignore") for side, v in x.items()}
        reason = _too_few(y)
        if reason:
            skipped[task.name] = reason
            continue
        result = _fit_and_score(task, x, y, seed)
        if isinstance(result, str):
            skipped[task.name] = result
        else:
            done.append(result)
    return UtilityEvaluation(tuple(done), skipped, time.perf_counter() - started)


def _derive(
    real: Mapping[str, pd.DataFrame],
    meta: Mapping[str, Any],
    relations: list[tuple[str, str, str, str]],
    unit: str,
    key: str,
) -> tuple[list[_Task], dict[str, str]]:
    """The candidate tasks of this lake, and the tables or columns that offer none."""
    skipped: dict[str, str] = {}
    events: list[tuple[float, _Task]] = []
    for table in _below(unit, relations):
        dates = _date_columns(meta, table)
        if not dates:
            skipped[f"{table}: event"] = "no date column of its own"
            continue
        stamps = pd.to_datetime(real[table][dates[0]], errors="coerce").dropna()
        if stamps.empty:
            skipped[f"{table}: event"] = f"{dates[0]} holds no date"
            continue
        candidates = []
        for baseline in _baselines(stamps):
            name = f"{table}: a row in the year from {baseline.date().isoformat()}"
            task = _Task(name, "event", table, dates[0], baseline)
            rate = float(_outcome(task, real, relations, unit, key).mean())
            candidates.append((min(rate, 1.0 - rate), task))
        events.append(max(candidates, key=lambda pair: pair[0]))  # first of the best on ties
    events.sort(key=lambda pair: -pair[0])  # most balanced first; stable for ties
    tasks = [task for _, task in events[:MAX_EVENT_TASKS]]
    for _, task in events[MAX_EVENT_TASKS:]:
        skipped[task.name] = f"{MAX_EVENT_TASKS} event tasks with more balanced outcomes run"
    own = meta["tables"][unit]["columns"]
    ids = set(id_columns(meta, unit))
    persons = real[unit]
    categories = [
        c
        for c, spec in own.items()
        if c not in ids and spec.get("sdtype") in ("categorical", "boolean")
    ]
    chosen = 0
    for column in categories:
        values = persons[column].dropna()
        if not 2 <= values.nunique() <= MAX_CATEGORIES:
            skipped[f"{unit}.{column}: category"] = f"not 2-{MAX_CATEGORIES} values"
            continue
        decider = _decided_by(
            persons, column, [c for c in persons.columns if c not in (column, key)]
        )
        if decider:
            skipped[f"{unit}.{column}: category"] = f"decided by {unit}.{decider}"
            continue
        if chosen == MAX_CATEGORY_TASKS:
            skipped[f"{unit}.{column}: category"] = f"{MAX_CATEGORY_TASKS} category tasks run"
            continue
        top = str(values.astype("string").value_counts().index[0])
        tasks.append(_Task(f"{unit}.{column} is {top}", "category", unit, column, value=top))
        chosen += 1
    if not tasks:
        skipped["lake"] = "no table below the person table with a date, no category column"
    return tasks, skipped


def _baselines(stamps: pd.Series) -> list[pd.Timestamp]:
    """Where an event task's history may end: the first of the month a year before the last
    date, then at the 80th, 65th and 50th percentiles of the dates (each with a whole year
    observed after it). In a lake whose persons are followed for different spans (dates
    counted from each person's index date) few have rows in the last year; an earlier
    baseline gives a balanced outcome."""
    latest = stamps.max() - pd.Timedelta(days=365)
    out: list[pd.Timestamp] = []
    for when in (latest, *stamps.quantile([0.8, 0.65, 0.5])):
        first = pd.Timestamp(year=when.year, month=when.month, day=1)
        if first <= latest and first not in out:
            out.append(first)
    return out


def _decided_by(frame: pd.DataFrame, column: str, others: list[str]) -> str | None:
    """Another column that fixes ``column`` on nearly every row (a region by its
    municipality), or None."""
    target = frame[column].astype("string")
    for other in others:
        if frame[other].nunique() >= 0.5 * len(frame):
            continue  # near-unique (a date of birth): it "decides" anything by memory
        pairs = pd.DataFrame({"by": frame[other].astype("string"), "value": target}).dropna()
        if pairs.empty:
            continue
        top = pairs.groupby("by")["value"].agg(lambda v: v.value_counts().iloc[0]).sum()
        if top >= _DETERMINED_SHARE * len(pairs):
            return other
    return None


def _below(unit: str, relations: list[tuple[str, str, str, str]]) -> list[str]:
    """Tables under ``unit``, breadth first."""
    order, level = [], [unit]
    while level:
        level = [c for c, _, p, _ in relations if p in level and c not in order and c != unit]
        order.extend(level)
    return order


def _date_columns(meta: Mapping[str, Any], table: str) -> list[str]:
    columns = meta["tables"][table]["columns"]
    return [c for c, spec in columns.items() if spec.get("sdtype") == "datetime"]


def _history(
    tables: Mapping[str, pd.DataFrame],
    meta: Mapping[str, Any],
    unit: str,
    baseline: pd.Timestamp | None,
) -> dict[str, pd.DataFrame]:
    """Each table below the person table cut to rows before the baseline (by its first date
    column; rows of a table without dates follow their parent)."""
    if baseline is None:
        return dict(tables)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        dates = _date_columns(meta, name)
        if name == unit or not dates:
            out[name] = frame
        else:
            out[name] = frame[pd.to_datetime(frame[dates[0]], errors="coerce") < baseline]
    return out


def _outcome(
    task: _Task,
    tables: Mapping[str, pd.DataFrame],
    relations: list[tuple[str, str, str, str]],
    unit: str,
    key: str,
) -> np.ndarray:
    """1 where the person has the outcome, in the person table's row order."""
    if task.kind == "category":
        values = tables[unit][task.column].astype("string")
        return (values == task.value).fillna(False).to_numpy(dtype=int)
    assert task.baseline is not None
    frame = tables[task.table]
    when = pd.to_datetime(frame[task.column], errors="coerce")
    end = task.baseline + pd.Timedelta(days=365)
    window = dict(tables)
    window[task.table] = frame[(when >= task.baseline) & (when < end)]
    path = [r for r in relations if r[0] in _path(task.table, unit, relations)]
    counts = person_profile(
        {t: window[t] for t in {unit, *(r[0] for r in path)}},
        unit,
        key,
        path,
        columns={r[0]: {} for r in path},
    )
    return (counts[f"{task.table}__n"] > 0).to_numpy(dtype=int)


def _path(table: str, unit: str, relations: list[tuple[str, str, str, str]]) -> set[str]:
    """The table and its ancestors below ``unit``."""
    chain = {table}
    parent = {c: p for c, _, p, _ in relations}
    while table in parent and parent[table] != unit:
        table = parent[table]
        chain.add(table)
    return chain


def _too_few(y: Mapping[str, np.ndarray]) -> str:
    for side in ("real", "test"):
        events = int(y[side].sum())
        if min(events, len(y[side]) - events) < MIN_EVENTS:
            return (
                f"fewer than {MIN_EVENTS} persons with or without the outcome among the real "
                f"{'training' if side == 'real' else 'held-out'} persons"
            )
    if y["synthetic"].min() == y["synthetic"].max():
        return "every synthetic person has the same outcome: TSTR cannot be trained"
    return ""


def _fit_and_score(
    task: _Task, x: Mapping[str, pd.DataFrame], y: Mapping[str, np.ndarray], seed: int
) -> UtilityTask | str:
    columns = [c for c in x["real"].columns if c in x["synthetic"].columns]
    # The held-out persons' view may lack a column the training sides have (no held-out
    # person has a value there, so the profile made none): theirs is then all missing.
    both = pd.concat(
        [x[side].reindex(columns=columns) for side in ("real", "synthetic", "test")],
        ignore_index=True,
    )
    matrix = encode(both)
    n_real, n_syn = len(x["real"]), len(x["synthetic"])
    # A column nearly empty on either training side cannot be binned reliably: leave it out.
    filled = np.isfinite(matrix)
    kept = (filled[:n_real].sum(axis=0) >= MIN_EVENTS) & (
        filled[n_real : n_real + n_syn].sum(axis=0) >= MIN_EVENTS
    )
    if not kept.any():
        return "no column with values on both training sides"
    matrix = matrix[:, kept]
    parts = {
        "real": matrix[:n_real],
        "synthetic": matrix[n_real : n_real + n_syn],
        "test": matrix[n_real + n_syn :],
    }
    scores = {}
    with threadpool_limits(limits=1):  # OpenMP threads spin on a busy shared machine
        for side in ("real", "synthetic"):
            model = booster(seed, early_stopping=True).fit(parts[side], y[side])
            scores[side] = model.predict_proba(parts["test"])[:, 1]
    trtr = auroc(y["test"], scores["real"])
    tstr = auroc(y["test"], scores["synthetic"])
    if trtr < MIN_TRTR:
        return f"the real data predict it no better than chance (TRTR AUROC {trtr:.2f})"
    return UtilityTask(
        name=task.name,
        kind=task.kind,
        table=task.table,
        column=task.column,
        baseline=task.baseline.date().isoformat() if task.baseline is not None else None,
        outcome_rate_real=float(y["test"].mean()),
        outcome_rate_synthetic=float(y["synthetic"].mean()),
        trtr_auroc=trtr,
        tstr_auroc=tstr,
        above_chance=(tstr - 0.5) / (trtr - 0.5),
        trtr_calibration_slope=_slope(y["test"], scores["real"]),
        tstr_calibration_slope=_slope(y["test"], scores["synthetic"]),
        train_persons=n_real,
        test_persons=len(y["test"]),
    )


def _slope(y: np.ndarray, p: np.ndarray) -> float | None:
    try:
        return calibration_slope(y, p)
    except UndefinedMetricError:
        return None


def _r(value: float | None) -> float | None:
    return round(float(value), 4) if value is not None and np.isfinite(value) else None
