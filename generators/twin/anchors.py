"""Events that start rows of another table: the timing link between a person's tables.

Each table under the person is drawn given the person's attributes, so tables side by
side never see each other: home care would not know there was a hip fracture, and
metformin would not follow the diabetes diagnosis. That link is what many models need.

Here the builder learns it from the real lake, for any tables:

* An *event* is a code in an earlier table (a value of a text column, or a prefix of
  it: ``DS72`` covers ``DS720`` to ``DS722``), dated by its row, or by its parent row
  when it has no date of its own (a diagnosis takes its contact's start).
* For a later table under the person (the *target*), an event is an *anchor* when the
  target's rows start within ``window`` days after a person's first such event clearly
  more often (``min_lift`` times) than at the same persons' other times, in at least
  ``min_persons`` persons. The anchors that explain most extra rows are kept.
* Each target row is then *anchored* to the most recent anchor before it, inside the
  window, or to none. Unanchored rows are counted per person as before; anchored rows
  are counted by a small model of "rows after this event" given the person and the
  event's date, and drawn given their anchor, with their days since the event.
* In the twin, anchors are found in the twin's own earlier tables, so a twin person's
  home care follows that person's twin hip fracture.

Only aggregate shapes are learned (which events, how many rows follow, how long after);
no real date or person is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from generators.relations import Relation
from generators.twin.constraints import to_days, written_as_numbers
from generators.twin.graph import unit_of_rows
from generators.twin.synthesizers import CTX

LABEL = CTX + "anchor"  # given column of a target row: the anchor's label, or NONE
SINCE = "__since__"  # days from the anchor to the row (modelled with the row)
EVENT_DAY = CTX + "event_day"  # given column of a count model: the anchor's date
COUNT = "__anchored__"  # what a count model draws: rows after the event
NONE = "none"


@dataclass(frozen=True)
class Anchor:
    """An event type: rows of ``table`` whose ``column`` starts with ``prefix``."""

    table: str
    column: str
    prefix: str

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}:{self.prefix}"


@dataclass
class TargetAnchors:
    """The anchors of one target table and what is learned about the rows they start."""

    table: str  # the target table (a child of the person table)
    date: str  # its date column: a row's time
    window: float  # days after an event within which a row counts as started by it
    anchors: list[Anchor]
    lift: dict[str, float]  # label -> rate inside the window over the rate elsewhere
    since_median: dict[str, float] = field(default_factory=dict)  # label -> median days
    count_models: dict[str, Any] = field(default_factory=dict)  # label -> fitted model
    given: list[str] = field(default_factory=list)  # person columns the counts are drawn on


def row_days(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    order: list[str],
    unit: str,
    keys: set[tuple[str, str]],
) -> dict[str, np.ndarray]:
    """For every table under ``unit``, the day of each row (float days since 1970).

    A row's day is its first date column that is not a key; a table without one takes
    its parent row's day (a diagnosis, its contact's start). Tables under ``unit`` only.
    """
    out: dict[str, np.ndarray] = {}
    for name in order:
        if name == unit or name not in tables:
            continue
        frame = tables[name]
        rel = next(
            (
                r
                for r in relations
                if r.child_table == name
                and r.parent_table in {unit, *out}
                and r.parent_table != name
            ),
            None,
        )
        if rel is None:
            continue
        dates = [
            c
            for c in frame.columns
            if (name, c) not in keys and pd.api.types.is_datetime64_any_dtype(frame[c])
        ]
        if dates:
            out[name] = to_days(frame[dates[0]])
        elif rel.parent_table in out:
            parent = tables[rel.parent_table]
            lookup = pd.Series(out[rel.parent_table], index=parent[rel.parent_column].to_numpy())
            lookup = lookup[~lookup.index.duplicated()]
            out[name] = frame[rel.child_column].map(lookup).to_numpy(dtype=float)
    return out


def code_columns(frame: pd.DataFrame, skip: set[str]) -> list[str]:
    """Text columns holding codes (three or more values, not numbers written as text)."""
    found = []
    for col in frame.columns:
        series = frame[col]
        if col in skip or not (
            pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)
        ):
            continue
        # Numbers written as text are results, whole ones too (a panel's values 92, 171),
        # not events: they made anchors of contacts at 100,000 persons.
        if series.nunique() >= 3 and not written_as_numbers(series):
            found.append(col)
    return found


def first_days(
    tables: dict[str, pd.DataFrame],
    units: dict[str, pd.Series],
    days: dict[str, np.ndarray],
    persons: pd.Index,
    anchors: list[Anchor],
) -> pd.DataFrame:
    """Each person's first day of each anchor's event (NaN: never), rows in ``persons`` order."""
    out = pd.DataFrame(index=persons)
    for anchor in anchors:
        frame = tables[anchor.table]
        hit = frame[anchor.column].astype(str).str.startswith(anchor.prefix).to_numpy()
        hit &= frame[anchor.column].notna().to_numpy()
        first = (
            pd.Series(days[anchor.table][hit]).groupby(units[anchor.table].to_numpy()[hit]).min()
        )
        out[anchor.label] = first.reindex(persons).to_numpy(dtype=float)
    return out


def label_rows(
    target: TargetAnchors, person: np.ndarray, day: np.ndarray, first: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray]:
    """Each target row's anchor and its days since the event.

    A row inside the windows of several events goes to the one of highest lift: home care
    after a hip fracture and its operation follows the fracture (lift 28 on the simulated
    lake), not the operation (9), which many persons without a fracture have too. (The
    latest event took it before, and the twin's fracture persons, whose operations the
    contact model draws apart, got home care a tenth as often as the real ones.)

    Args:
        target: the learned anchors.
        person: each row's person key.
        day: each row's day.
        first: :func:`first_days` for the target's anchors.
    """
    labels = np.full(len(day), NONE, dtype=object)
    since = np.full(len(day), np.nan)
    ranked = sorted(target.anchors, key=lambda a: -target.lift.get(a.label, 0.0))
    for anchor in ranked:
        event = first[anchor.label].reindex(person).to_numpy(dtype=float)
        gap = day - event
        inside = (gap >= 0) & (gap <= target.window) & (labels == NONE)
        labels[inside] = anchor.label
        since[inside] = gap[inside]
    return labels, since


def _prefixes(values: pd.Series, shortest: int = 3) -> dict[int, pd.Series]:
    text = values.astype(str)
    longest = int(text.str.len().max()) if len(text) else 0
    return {n: text.str[:n] for n in range(shortest, longest + 1)}


def learn_anchors(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    order: list[str],
    unit: str,
    unit_key: str,
    keys: set[tuple[str, str]],
    targets: list[str],
    window: float = 365.0,
    min_persons: int = 10,
    min_lift: float = 3.0,
    max_anchors: int = 3,
) -> dict[str, TargetAnchors]:
    """Find each target's anchors in the tables before it (see the module's description).

    Args:
        tables: the real tables (after rare-category protection).
        relations: foreign keys.
        order: sampling order; an event's table must come before its target.
        unit: the person table; unit_key: its key column.
        keys: (table, column) pairs that are keys (never codes or dates).
        targets: candidate target tables (children of ``unit`` with a date column).
        window: days after an event in which a row can be started by it.
        min_persons: fewest persons with a row inside the window for an anchor.
        min_lift: least ratio of the in-window rate to the rate elsewhere.
        max_anchors: most anchors per target.
    """
    units = unit_of_rows(tables, relations, order, unit, unit_key)
    days = row_days(tables, relations, order, unit, keys)
    persons = pd.Index(tables[unit][unit_key].to_numpy())
    person_pos = pd.Series(np.arange(len(persons)), index=persons)
    person_pos = person_pos[~person_pos.index.duplicated()]
    # Per source column: each person's first day per code prefix (a small frame).
    candidates: list[tuple[Anchor, np.ndarray]] = []
    position = {name: i for i, name in enumerate(order)}
    for name in order:
        if name not in days or name not in units:
            continue
        skip = {c for t, c in keys if t == name} | {
            r.child_column for r in relations if r.child_table == name
        }
        valid = np.isfinite(days[name]) & units[name].notna().to_numpy()
        for col in code_columns(tables[name], skip):
            values = tables[name][col]
            ok = valid & values.notna().to_numpy()
            pos = units[name].to_numpy()[ok]
            pos = person_pos.reindex(pos).to_numpy()
            for _, prefix in _prefixes(values[ok]).items():
                frame = pd.DataFrame({"p": pos, "code": prefix.to_numpy(), "d": days[name][ok]})
                first = frame.groupby(["code", "p"], sort=True)["d"].min()
                for code, per_person in first.groupby(level=0):
                    if len(per_person) < min_persons:
                        continue
                    event = np.full(len(persons), np.nan)
                    event[per_person.index.get_level_values(1).to_numpy(dtype=int)] = (
                        per_person.to_numpy()
                    )
                    candidates.append((Anchor(name, col, str(code)), event))
    found: dict[str, TargetAnchors] = {}
    for target in targets:
        if target not in days:
            continue
        t_day = days[target]
        t_pos = person_pos.reindex(units[target].to_numpy()).to_numpy()
        ok = np.isfinite(t_day) & np.isfinite(t_pos)
        t_day, t_pos = t_day[ok], t_pos[ok].astype(int)
        if not len(t_day):
            continue
        start, end = float(t_day.min()), float(t_day.max())
        scored = []
        for anchor, event in candidates:
            if position[anchor.table] >= position[target]:
                continue
            score = _score(event, t_pos, t_day, start, end, window, min_persons)
            if score is not None and score[1] >= min_lift:
                scored.append((score[0], score[1], anchor))
        scored.sort(key=lambda s: (-s[0], s[2].label))
        chosen: list[Anchor] = []
        lift: dict[str, float] = {}
        for _excess, ratio, anchor in scored:
            if len(chosen) == max_anchors:
                break
            if any(_overlaps(anchor, other) for other in chosen):
                continue
            chosen.append(anchor)
            lift[anchor.label] = round(ratio, 2)
        if chosen:
            found[target] = TargetAnchors(target, "", window, chosen, lift)
    return found


def _score(
    event: np.ndarray,
    t_pos: np.ndarray,
    t_day: np.ndarray,
    start: float,
    end: float,
    window: float,
    min_persons: int,
) -> tuple[float, float] | None:
    """(extra rows inside the window, in-window rate over the rate elsewhere), or None."""
    have = np.isfinite(event)
    row_event = event[t_pos]
    mine = np.isfinite(row_event)
    gap = t_day[mine] - row_event[mine]
    inside = (gap >= 0) & (gap <= window)
    if len(np.unique(t_pos[mine][inside])) < min_persons:
        return None
    exposure_in = np.clip(end - event[have], 0.0, window).sum()
    exposure_out = have.sum() * (end - start) - exposure_in
    if exposure_in <= 0 or exposure_out <= 0:
        return None
    rate_out = max(float((~inside).sum()) / exposure_out, 1e-12)
    rate_in = float(inside.sum()) / exposure_in
    return float(inside.sum()) - rate_out * exposure_in, rate_in / rate_out


def _overlaps(a: Anchor, b: Anchor) -> bool:
    same = a.table == b.table and a.column == b.column
    return same and (a.prefix.startswith(b.prefix) or b.prefix.startswith(a.prefix))
