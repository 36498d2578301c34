"""Occasions: rows of a child table that a person got on one date, drawn together.

Many health tables record several rows per occasion: the laboratory analyses of one blood
sample, the observations measured at one contact. Drawn one by one, each row gets a date
of its own, so a twin person has twenty laboratory dates where a real person has four
occasions of five analyses; a classifier tells the twin from the lake by that alone.

An *occasion table* is found where a child table has a single date column and its rows
share (parent, date) clearly more than once on average (``min_rows``). Before fitting,
the table is split in two:

* a virtual table of occasions, ``__occasions__<table>``: one row per (parent, date), a
  child of the table's parent, holding the parent key and the date;
* the table's rows, less the parent key and the date, as a child of their occasion.

An occasion whose rows hold a code once each (the analyses of a sample; at most
``MAX_PANEL`` codes, each on ``MIN_PANEL_ROWS`` rows or more) has a *panel*: the rows of
each such code become a table of their own under the occasion, so the occasion's model
learns which codes come together, and each code's rows get a model of their own. Rows of
rarer codes stay in the table, under the occasion.

The builder then learns, with its usual machinery, how many occasions a person has and
when (conditioned on the person, anchored to events in other tables), and how many rows
an occasion holds and what they are (conditioned on the occasion and, through it, the
person). After sampling the two are joined back, so the twin has the lake's tables and
columns, and the rows of an occasion share its date.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from generators.relations import Relation
from generators.twin.base import fresh_keys, stable_seed
from generators.twin.graph import key_columns, persons_and_key

KEY = "__occasion__"  # key of an occasion, and the rows' reference to it
# Virtual tables are named with a prefix (``__occasions__lab``), never ``lab__...``: a table
# folded into its parent owns the parent's columns that start with its name and "__".
OCCASIONS = "__occasions__"  # the prefix of a virtual table of occasions
SERIES = "__series__"  # ... of series
MIN_ROWS = 1.5  # rows per (parent, date) on average from which a table is split
MIN_REPEAT = 1.5  # expected over observed distinct codes per parent from which series are drawn
FIXED = 0.99  # share of groups in which a column holds one value, for it to move to the group
MAX_CODES = 1_000  # a code column with more values is not a series key
PANEL = "__panel"  # an occasion's rows of one frequent code: this, a number, "__", the table
MAX_PANEL = 20  # most codes of an occasion's panel with a table of their own
MIN_PANEL_ROWS = 100  # fewest rows a code needs for a table of its own
MAX_REPEATS = 1.1  # most rows per (occasion, code) on average for the code to be a panel


@dataclass(frozen=True)
class Occasion:
    """One table split into groups of rows (occasions or series) and the rows themselves."""

    table: str  # the real table
    parent: Relation  # its relation to its parent (the groups take it over)
    by: tuple[str, ...]  # the columns a group shares: a date, or a code
    moved: tuple[str, ...]  # the columns held by the group (``by`` and what it fixes)
    columns: tuple[str, ...]  # the table's columns in their real order
    # "occasion" (rows of one date), "series" (rows of one code) or "set" (a person's
    # codes, each held once: their first rows become tables folded into the person)
    kind: str = "occasion"
    panel: str | None = None  # an occasion's code column whose frequent values get own tables
    codes: tuple[Any, ...] = ()  # those values (the rest stay in the table, with the column)
    key: str | None = None  # the table's primary key, made afresh after the join

    def panel_table(self, index: int) -> str:
        """The virtual table of the rows with ``codes[index]``."""
        return f"{PANEL}{index}__{self.table}"

    def virtual_tables(self) -> list[str]:
        """Every table the split adds: the groups (none for a set), and the panel tables."""
        groups = [] if self.kind == "set" else [self.name]
        return groups + [self.panel_table(i) for i in range(len(self.codes))]

    @property
    def name(self) -> str:
        """The virtual table of groups."""
        return (OCCASIONS if self.kind == "occasion" else SERIES) + self.table


def find_occasions(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    keys: dict[str, str],
    unit: str | None = None,
    min_rows: float = MIN_ROWS,
    min_repeat: float = MIN_REPEAT,
) -> list[Occasion]:
    """Tables whose rows come in occasions (one date) or series (one code), at most one each.

    A table qualifies when it has exactly one parent (not itself) and is not the person
    table. It is split into *occasions* when it has exactly one datetime column that is not
    a key and holds at least ``min_rows`` rows per distinct (parent key, date) on average.
    Otherwise it is split into *series* by the code column whose values repeat most within
    a parent: the distinct codes a parent would hold if its rows were drawn independently,
    over those it holds, at least ``min_repeat`` (a person's refills of the same drug).
    Columns that one value per group fixes (``FIXED`` of groups) move to the group.
    """
    found: list[Occasion] = []
    keyed = key_columns(relations, keys)
    found_unit = persons_and_key(list(tables), relations, keys, unit)
    unit = found_unit[0] if found_unit else unit
    for name, frame in tables.items():
        if name == unit or name.startswith((OCCASIONS, SERIES, PANEL)) or KEY in frame.columns:
            continue
        parents = [r for r in relations if r.child_table == name]
        if len(parents) != 1 or parents[0].parent_table == name:
            continue
        rel = parents[0]
        fk = rel.child_column
        if fk not in frame.columns or len(frame) < 2 or frame[fk].isna().all():
            continue
        free = [c for c in frame.columns if (name, c) not in keyed]
        dates = [c for c in free if pd.api.types.is_datetime64_any_dtype(frame[c])]
        columns = tuple(frame.columns)
        if len(dates) == 1:
            groups = len(frame[[fk, dates[0]]].drop_duplicates())
            if groups and len(frame) / groups >= min_rows:
                referenced = any(r.parent_table == name for r in relations)
                panel, values = (None, ()) if referenced else _panel(frame, fk, dates[0], free)
                found.append(
                    Occasion(
                        name,
                        rel,
                        (dates[0],),
                        (dates[0],),
                        columns,
                        panel=panel,
                        codes=values,
                        key=keys.get(name),
                    )
                )
                continue
        codes = [c for c in free if c not in dates and _code_like(frame[c])]
        scored = [(_repeat(frame[fk], frame[c]), c) for c in codes]
        scored = [(score, c) for score, c in scored if score >= min_repeat]
        if not scored:
            if (
                rel.parent_table == unit
                and not any(r.parent_table == name for r in relations)
                # a person holds several codes (one at most: folded already; one mostly:
                # nothing goes together, and its rows can follow events in other tables)
                and len(frame) >= min_rows * frame[fk].nunique()
            ):
                code, values = _set(frame, fk, codes)
                if code is not None:
                    found.append(
                        Occasion(name, rel, (), (), columns, "set", code, values, keys.get(name))
                    )
            continue
        code = max(scored, key=lambda item: (item[0], -free.index(item[1])))[1]
        fixed = _fixed_by(frame, fk, code, [c for c in free if c not in dates and c != code])
        found.append(Occasion(name, rel, (code,), (code, *fixed), columns, kind="series"))
    return found


def _panel(
    frame: pd.DataFrame, fk: str, date: str, free: list[str]
) -> tuple[str | None, tuple[Any, ...]]:
    """The code column whose values an occasion holds once each (the analyses of one
    sample), and its values frequent enough for a table of their own.

    Drawn one by one, an occasion's rows repeat codes a real occasion holds once; as a
    table per code under the occasion, the occasion's model learns which codes come
    together (how many rows of each: mostly 0 or 1), and each code's rows have a model of
    their own.
    """
    return _held_once(frame, [fk, date], [c for c in free if c != date and _code_like(frame[c])])


def _set(frame: pd.DataFrame, fk: str, codes: list[str]) -> tuple[str | None, tuple[Any, ...]]:
    """The code column a person holds each value of once (the first date of each of their
    diagnoses), and its values frequent enough for a table of their own; or (None, ()).

    Drawn row by row, a twin person gets the same diagnosis twice and diagnoses that do not
    go together. As a table per code holding a person's first row of it (one at most), each
    is folded into the person table, so the person's model learns which codes a person has
    together and when; repeats and rarer codes stay in the table, drawn as before. Only for
    a table whose persons hold ``MIN_ROWS`` rows or more on average (see find_occasions).
    """
    return _held_once(frame, [fk], codes)


def _held_once(
    frame: pd.DataFrame, by: list[str], candidates: list[str]
) -> tuple[str | None, tuple[Any, ...]]:
    """Of the complete ``candidates`` (at most ``MAX_PANEL`` * 5 values), the one with the
    most values that a group of ``by`` holds about once each (``MAX_REPEATS`` rows per
    group and value on average), and its values on ``MIN_PANEL_ROWS`` rows or more (at most
    ``MAX_PANEL``, two at least); or (None, ())."""
    best: tuple[int, str] | None = None
    for col in candidates:
        if frame[col].isna().any():
            continue
        levels = frame[col].nunique()
        if levels > MAX_PANEL * 5:
            continue
        repeats = len(frame) / max(len(frame[[*by, col]].drop_duplicates()), 1)
        if repeats <= MAX_REPEATS and (best is None or levels > best[0]):
            best = (levels, col)
    if best is None:
        return None, ()
    counts = frame[best[1]].value_counts()
    values = [v for v, n in counts.items() if n >= MIN_PANEL_ROWS][:MAX_PANEL]
    return (best[1], tuple(sorted(values, key=str))) if len(values) >= 2 else (None, ())


def _code_like(series: pd.Series) -> bool:
    """A column of codes: text or whole numbers with few values, none taking nearly all rows."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_float_dtype(series):
        return False
    if pd.api.types.is_datetime64_any_dtype(series):
        return False
    values = series.dropna()
    if len(values) < 2:
        return False
    shares = values.value_counts(normalize=True)
    return 2 <= len(shares) <= MAX_CODES and float(shares.iloc[0]) < 0.9


def _repeat(owner: pd.Series, codes: pd.Series) -> float:
    """Expected distinct codes per parent under independent draws over observed distinct."""
    pairs = pd.DataFrame({"o": owner.to_numpy(), "c": codes.to_numpy()}).dropna()
    if pairs.empty:
        return 0.0
    shares = pairs["c"].value_counts(normalize=True).to_numpy()
    rows = pairs.groupby("o").size()
    observed = float(pairs.drop_duplicates().groupby("o").size().sum())
    sizes, persons = np.unique(rows.to_numpy(), return_counts=True)
    expected = sum(
        float(count) * float(np.sum(1.0 - (1.0 - shares) ** size))
        for size, count in zip(sizes, persons, strict=True)
    )
    return expected / observed if observed else 0.0


def _fixed_by(frame: pd.DataFrame, fk: str, code: str, candidates: list[str]) -> list[str]:
    """Columns that hold one value within (almost) every (parent, code) group."""
    if not candidates:
        return []
    groups = frame.groupby([fk, code], dropna=False, sort=False)
    distinct = groups[candidates].nunique(dropna=False)
    return [c for c in candidates if float((distinct[c] <= 1).mean()) >= FIXED]


def split_occasions(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    keys: dict[str, str],
    occasions: list[Occasion],
) -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
    """The lake with each such table split into groups and rows (see the module).

    Groups are numbered in (parent key, group columns) order, so the split is
    deterministic; a group takes its moved columns from its first row. An occasion with a
    panel puts the rows of each panel code into a table of their own (without the code
    column holding that code alone); the table keeps the other rows, or leaves the lake when
    there are none.
    """
    tables, relations, keys = dict(tables), list(relations), dict(keys)
    for occ in occasions:
        if occ.kind == "set":
            tables, relations, keys = _split_set(tables, relations, keys, occ)
            continue
        frame = tables[occ.table]
        fk = occ.parent.child_column
        by = [fk, *occ.by]
        number = frame.groupby(by, dropna=False, sort=True).ngroup().to_numpy()
        first = np.unique(number, return_index=True)[1]
        events = frame[[fk, *occ.moved]].iloc[first].reset_index(drop=True)
        events.insert(0, KEY, np.arange(len(events), dtype=np.int64))
        rows = frame.drop(columns=[fk, *occ.moved]).reset_index(drop=True)
        rows.insert(0, KEY, number.astype(np.int64))
        # Rows of a group stay together, in their real order within it.
        rows = rows.iloc[np.argsort(number, kind="stable")].reset_index(drop=True)
        parts = {occ.table: rows}
        if occ.panel is not None:
            code = rows[occ.panel]
            for index, value in enumerate(occ.codes):
                # The code stays, one value: events in it can still anchor later tables.
                part = rows[code == value].reset_index(drop=True)
                parts[occ.panel_table(index)] = part
            rest = rows[~code.isin(list(occ.codes))].reset_index(drop=True)
            parts[occ.table] = rest
            if rest.empty:
                del parts[occ.table]
        tables = _in_place_of(tables, occ.table, {occ.name: events, **parts})
        relations = [r for r in relations if r != occ.parent]
        relations.append(Relation(occ.name, fk, occ.parent.parent_table, occ.parent.parent_column))
        relations += [Relation(part, KEY, occ.name, KEY) for part in parts]
        keys = _keys_of_parts(keys, occ, parts)
        keys[occ.name] = KEY
    return tables, relations, keys


def _in_place_of(
    tables: dict[str, pd.DataFrame], table: str, new: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """``tables`` with ``new`` where ``table`` stood (the lake's order otherwise kept)."""
    out: dict[str, pd.DataFrame] = {}
    for name, frame in tables.items():
        out.update(new if name == table else {name: frame})
    return out


def _keys_of_parts(
    keys: dict[str, str], occ: Occasion, parts: dict[str, pd.DataFrame]
) -> dict[str, str]:
    """The primary keys with the split table's key on each of its parts instead."""
    keys = dict(keys)
    if occ.key is not None:
        keys.pop(occ.table, None)
        keys.update({part: occ.key for part in parts})
    return keys


def join_occasions(
    tables: dict[str, pd.DataFrame], occasions: list[Occasion]
) -> dict[str, pd.DataFrame]:
    """The twin's tables as the lake has them: each row gets its group's parent and columns.

    A panel's tables are put back together (each row gets its table's code) in occasion
    order; the table's primary key is then made afresh, unique over all its rows.
    """
    out = dict(tables)
    for occ in occasions:
        if occ.kind == "set":
            out[occ.table] = _join_set(out, occ)
            continue
        fk = occ.parent.child_column
        events = out.pop(occ.name)
        parts = []
        for index, value in enumerate(occ.codes):
            part = out.pop(occ.panel_table(index))
            parts.append(part.assign(**{str(occ.panel): value}))
        if occ.table in out:
            parts.append(out[occ.table])
        rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        if len(parts) > 1:
            rows = rows.iloc[np.argsort(rows[KEY].to_numpy(), kind="stable")]
            rows = rows.reset_index(drop=True)
        where = pd.Series(np.arange(len(events)), index=events[KEY].to_numpy())
        at = where.reindex(rows[KEY].to_numpy()).to_numpy()
        if np.isnan(at.astype(float)).any():
            raise ValueError(f"{occ.table}: a row refers to no {occ.kind}")
        at = at.astype(np.int64)
        joined = rows.drop(columns=[KEY]).reset_index(drop=True)
        for col in (fk, *occ.moved):
            joined[col] = events[col].iloc[at].reset_index(drop=True)
        if occ.key is not None and len(parts) > 1:  # each panel table made its own keys
            joined[occ.key] = _fresh(joined[occ.key], occ.table)
        out[occ.table] = joined[list(occ.columns)]
    return out


def _split_set(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    keys: dict[str, str],
    occ: Occasion,
) -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
    """A set's table as one table per code (each person's first row of it, under the person)
    and the rest (later rows of a code, rarer codes) under its own name, if any."""
    frame = tables[occ.table]
    fk, code = occ.parent.child_column, frame[str(occ.panel)]
    first = ~frame.duplicated([fk, str(occ.panel)])
    parts = {
        occ.panel_table(i): frame[first & (code == value)].reset_index(drop=True)
        for i, value in enumerate(occ.codes)
    }
    rest = frame[~(first & code.isin(list(occ.codes)))].reset_index(drop=True)
    if not rest.empty:
        parts[occ.table] = rest
    parent = occ.parent
    relations = [r for r in relations if r != parent]
    relations += [Relation(part, fk, parent.parent_table, parent.parent_column) for part in parts]
    return _in_place_of(tables, occ.table, parts), relations, _keys_of_parts(keys, occ, parts)


def _join_set(out: dict[str, pd.DataFrame], occ: Occasion) -> pd.DataFrame:
    """A set's table put back together (each code's rows get their code), keys made afresh."""
    parts = [
        out.pop(occ.panel_table(i)).assign(**{str(occ.panel): value})
        for i, value in enumerate(occ.codes)
    ]
    if occ.table in out:
        parts.append(out[occ.table])
    fk = occ.parent.child_column
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.iloc[np.argsort(rows[fk].to_numpy(), kind="stable")].reset_index(drop=True)
    if occ.key is not None:
        rows[occ.key] = _fresh(rows[occ.key], occ.table)
    return rows[list(occ.columns)]


def _fresh(keys: pd.Series, table: str) -> np.ndarray:
    """Unique keys of the same kind for every row of a table put back together (each of
    its parts made its own), seeded by the table's name."""
    rng = np.random.default_rng(stable_seed(table, "keys"))
    return fresh_keys(keys.dtype, len(keys), rng)
