"""The twin builder: a synthetic copy of every table of a lake, keys and all.

How a lake is modelled (any number of tables, any depth):

* Each table gets a single-table synthesizer (SDV GaussianCopula by default).
* A parent's model also learns how many children each row has (one count column
  per child table), so child counts depend on the parent's attributes.
* A child's model also sees its parent's attributes (and, through them, its
  ancestors'), as *context*; children are drawn conditionally on the sampled
  parent, so a diagnosis still depends on the person's age in the twin.
* A child with at most one row per parent and no children of its own (deaths:
  one per person at most) is folded into its parent as extra columns.
* Learned rules (:mod:`generators.twin.constraints`) hold in every sampled row;
  rare categories (:mod:`generators.twin.rare`) are removed before fitting.
* Keys are generated fresh and children are attached to sampled parents, so
  referential integrity holds by construction.
* Tables side by side under a person are linked in time by learned *anchors*
  (:mod:`generators.twin.anchors`): home care that follows a hip fracture in the real
  lake follows the twin person's own twin hip fracture.

Fits are independent tasks and run through an executor (Ray in the test-bench);
sampling runs parent before child, in fixed-size chunks seeded by chunk number,
so a seed gives the same twin whatever the number of workers.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from generators.relations import Relation
from generators.twin.anchors import (
    COUNT as ANCHORED,
)
from generators.twin.anchors import (
    EVENT_DAY,
    LABEL,
    NONE,
    SINCE,
    TargetAnchors,
    first_days,
    label_rows,
    learn_anchors,
    row_days,
)
from generators.twin.constraints import (
    TableRules,
    from_days,
    is_numeric_text,
    learn_rules,
    to_days,
)
from generators.twin.rare import RareCategories, protect_rare
from generators.twin.stratified import StratifiedSynthesizer, choose_stratum
from generators.twin.synthesizers import (
    CTX,
    SDVTableSynthesizer,
    TableSynthesizer,
    is_code_like,
)
from generators.twin.units import find_unit_table, unit_of_rows

Progress = Callable[[str], None]
T = TypeVar("T")
R = TypeVar("R")

COUNT = "__children__"  # count of child rows per parent row, one column per child table
FLAT = "__flat__"  # columns of a child folded into its parent


class Mapper(Protocol):
    """Anything with ``map(fn, items)`` returning results in order (serial, Ray, ...)."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]: ...


class _Serial:
    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        return [fn(item) for item in items]


def topological_order(tables: list[str], relations: list[Relation]) -> list[str]:
    """Tables with every parent before its children (self-references ignored), depth first.

    One table at a time: a child of the table placed last comes next (a contact's
    diagnoses right after the contacts), and among the rest the one with more tables
    below it comes first. So a person's hospital history is complete before the tables
    sampled after it, which may be anchored to its events (:mod:`generators.twin.anchors`).

    Raises:
        ValueError: the relations form a cycle across tables, or name an unknown table.
    """
    known = set(tables)
    parents: dict[str, set[str]] = {t: set() for t in tables}
    children: dict[str, set[str]] = {t: set() for t in tables}
    for rel in relations:
        if rel.child_table not in known or rel.parent_table not in known:
            raise ValueError(f"relation {rel} names a table that is not in the lake")
        if rel.child_table != rel.parent_table:
            parents[rel.child_table].add(rel.parent_table)
            children[rel.parent_table].add(rel.child_table)

    def below(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        found = children[name] - seen
        for child in children[name] - seen:
            found |= below(child, seen | {name})
        return found

    size = {t: len(below(t)) for t in tables}
    order: list[str] = []
    while len(order) < len(tables):
        placed = set(order)
        ready = [t for t in tables if t not in placed and parents[t] <= placed]
        if not ready:
            raise ValueError("table relations form a cycle; a twin needs a parent-first order")

        def key(t: str) -> tuple[int, int, str]:
            latest = max((order.index(p) for p in parents[t]), default=-1)
            return (-latest, -size[t], t)

        order.append(min(ready, key=key))
    return order


def _seed(*parts: object) -> int:
    """A stable 32-bit seed from any parts (same parts, same seed, on every machine)."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:4], "little")


@dataclass(frozen=True)
class TableTiming:
    """Seconds spent on one table."""

    table: str  # table name
    fit_s: float  # fitting its synthesizer
    sample_s: float = 0.0  # sampling its rows (0 until sampled)


@dataclass
class TablePlan:
    """How one table is modelled; filled during :meth:`TwinBuilder.fit`."""

    name: str  # table name
    columns: list[str]  # the real table's columns, in order
    dtypes: dict[str, Any]  # their dtypes, restored after sampling
    generated: list[str]  # key columns generated fresh (primary key, referenced columns)
    parent: Relation | None  # relation to the parent that drives the row count
    other_refs: list[Relation]  # further foreign keys (second parent, self-reference)
    modelled: list[str]  # own columns the synthesizer learns
    categorical: set[str]  # categorical columns among what the synthesizer sees
    context: dict[str, str] = field(default_factory=dict)  # context name -> parent column
    conditioning: list[str] = field(default_factory=list)  # context names the model sees
    flattened: list[str] = field(default_factory=list)  # child tables folded in here
    counts: dict[str, str] = field(default_factory=dict)  # count column -> child table
    rules: TableRules = field(default_factory=TableRules)  # learned constraints
    real_rows: int = 0  # rows fitted (after rare-category protection)
    null_rate: dict[str, float] = field(default_factory=dict)  # for other_refs


def _fit_task(item: tuple[str, str, pd.DataFrame, set[str], bool]) -> tuple[str, Any, float]:
    with threadpool_limits(limits=1):  # same arithmetic in this process and in any worker
        return _fit(item)


def _fit(item: tuple[str, str, pd.DataFrame, set[str], bool]) -> tuple[str, Any, float]:
    name, kind, frame, categorical, latent = item
    start = time.perf_counter()
    stratum = choose_stratum(frame, categorical)
    model: TableSynthesizer = (
        SDVTableSynthesizer(kind, latent=latent)
        if stratum is None
        else StratifiedSynthesizer(stratum, kind, latent=latent)
    )
    model.fit(frame, categorical)
    return name, model, time.perf_counter() - start


def _sample_task(item: tuple[Any, int, pd.DataFrame | None, int]) -> pd.DataFrame:
    # One BLAS thread: a sum split over threads rounds differently, and a category chosen
    # at a near-tie would then differ between a Ray worker (one thread) and this process.
    with threadpool_limits(limits=1):
        return _sample(item)


def _sample(item: tuple[Any, int, pd.DataFrame | None, int]) -> pd.DataFrame:
    model, rows, context, seed = item
    if context is None:
        return model.sample(rows, seed)
    try:
        return model.sample_conditional(context, seed)
    except NotImplementedError:
        drawn = model.sample(len(context), seed)
        return drawn.drop(columns=[c for c in drawn.columns if c.startswith(CTX)])


class TwinBuilder:
    """Fits a synthetic twin of a set of related tables.

    Shaped like a scikit-learn estimator: parameters in ``__init__``, ``fit``
    returns self, learned state ends in ``_``.

    Args:
        synthesizer: "gaussian_copula" (default), "ctgan" or "tvae". Only the Gaussian
            copula draws children conditionally on their parent's attributes; CTGAN and
            TVAE children depend on the parent through the child count only.
        seed: default seed for :meth:`sample`.
        min_persons: a category held by fewer persons is removed before fitting.
        rare: "drop" rows with a rare category (default) or "merge" it into "other".
        unit_table: the table of persons; found from the relations when None.
        max_context: most parent columns a child is conditioned on.
        max_fit_rows: a bigger table is fitted on this many rows drawn at random (child
            counts and rules still come from every row); fitting time then stops growing.
        chunk_rows: rows per sampling task; fixed, so results do not depend on workers.
        anchor_window: days after an event in another table within which rows of a
            table can be anchored to it (0 turns anchors off).
        latent: Gaussian copulas with empirical marginals and latent correlations
            (:mod:`generators.twin.latent`): the twin's age structure and deaths by age
            follow the real lake, but on the simulated lake the privacy gate's inference
            check sits at its threshold, so it is off by default (README, "Twin builder").
        executor: runs fit and sampling tasks (``map(fn, items)``); serial when None.
        progress: called with a short message per table (the CLI prints them on stderr).
    """

    def __init__(
        self,
        synthesizer: str = "gaussian_copula",
        seed: int = 0,
        min_persons: int = 5,
        rare: str = "drop",
        unit_table: str | None = None,
        max_context: int = 12,
        max_fit_rows: int = 100_000,
        chunk_rows: int = 50_000,
        anchor_window: float = 365.0,
        latent: bool = False,
        executor: Mapper | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.synthesizer = synthesizer
        self.seed = seed
        self.min_persons = min_persons
        self.rare = rare
        self.unit_table = unit_table
        self.max_context = max_context
        self.max_fit_rows = max_fit_rows
        self.chunk_rows = chunk_rows
        self.anchor_window = anchor_window
        self.latent = latent
        self.executor = executor
        self.progress = progress

    def __getstate__(self) -> dict[str, object]:
        # Callbacks and executors belong to the process that fitted; they are not pickled.
        return {**self.__dict__, "progress": None, "executor": None}

    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def _map(self, fn: Callable[[T], R], items: list[T]) -> list[R]:
        return (self.executor or _Serial()).map(fn, items)

    # -- fit ---------------------------------------------------------------------------------

    def fit(
        self,
        tables: dict[str, pd.DataFrame],
        relations: list[Relation],
        primary_keys: dict[str, str] | None = None,
    ) -> TwinBuilder:
        """Learn every table, the children per parent row and the rules rows obey.

        Args:
            tables: table name -> real rows.
            relations: foreign keys between them (any depth, several parents, self-references).
            primary_keys: table -> key column; keys are never modelled, only regenerated.
        """
        keys = dict(primary_keys or {})
        self.relations_ = list(relations)
        self.order_ = topological_order(list(tables), self.relations_)
        plans = self._plan(tables, keys)
        raw = tables  # child counts come from every real row: a count reveals no category
        tables = self._protect(tables, plans, keys)
        self._learn_anchors(tables, raw, plans, keys)
        frames: dict[str, pd.DataFrame] = {}
        self._contexts: dict[str, pd.DataFrame | None] = {}  # full parent context, fit only
        fit_items = []
        for name in self.order_:
            plan = plans[name]
            if plan.name in self._folded(plans):
                continue
            frames[name] = self._training_frame(plan, tables, raw, plans, frames)
            fit_frame = frames[name]
            if len(fit_frame) > self.max_fit_rows:
                fit_frame = fit_frame.sample(self.max_fit_rows, random_state=_seed(self.seed, name))
            fit_items.append((name, self.synthesizer, fit_frame, plan.categorical, self.latent))
            self._say(
                f"prepared {name}: {len(frames[name]):,} rows, {frames[name].shape[1]} columns"
            )
        self.models_: dict[str, TableSynthesizer] = {}
        self.timings_: dict[str, TableTiming] = {}
        for name, model, seconds in self._map(_fit_task, fit_items):
            self.models_[name] = model
            self.timings_[name] = TableTiming(name, seconds)
            self._say(f"fitted {name} in {seconds:.1f} s")
        for name in self._folded(plans):
            self.timings_[name] = TableTiming(name, 0.0)
        self.plans_ = plans
        del self._contexts, self._labels, self._events
        return self

    def _learn_anchors(
        self,
        tables: dict[str, pd.DataFrame],
        raw: dict[str, pd.DataFrame],
        plans: dict[str, TablePlan],
        keys: dict[str, str],
    ) -> None:
        """Anchors per target table, and every real target row's anchor (fit only)."""
        self.keys_ = {(t, c) for t, c in keys.items()} | {
            (r.parent_table, r.parent_column) for r in self.relations_
        }
        self.anchors_: dict[str, TargetAnchors] = {}
        # per ("raw" for counts or "fit" for the rows modelled, target): each person's first
        # event days, and each row's label and days since
        self._events: dict[tuple[str, str], pd.DataFrame] = {}
        self._labels: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        if self.anchor_window <= 0:
            return
        folded = self._folded(plans)
        dates = {
            name: next(
                (c for c in plan.modelled if pd.api.types.is_datetime64_any_dtype(tables[name][c])),
                None,
            )
            for name, plan in plans.items()
        }
        targets = [
            name
            for name, plan in plans.items()
            if plan.parent is not None
            and plan.parent.parent_table == self.unit_
            and name not in folded
            and dates[name] is not None
        ]
        found = learn_anchors(
            tables,
            self.relations_,
            self.order_,
            self.unit_,
            self.unit_key_,
            self.keys_,
            targets,
            window=self.anchor_window,
            min_persons=max(self.min_persons, 10),
        )
        for name, target in found.items():
            target.date = str(dates[name])
            self.anchors_[name] = target
            described = ", ".join(f"{k} ({v}x)" for k, v in target.lift.items())
            self._say(f"anchors of {name}: {described}")
            for kind, source in (("raw", raw), ("fit", tables)):
                first = self._first_days(target, source)
                self._events[(kind, name)] = first
                self._labels[(kind, name)] = self._label(target, source, first)

    def _label(
        self, target: TargetAnchors, tables: dict[str, pd.DataFrame], first: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each row of ``target``'s table: its anchor label and days since the event."""
        frame = tables[target.table]
        days = to_days(frame[target.date])
        return label_rows(target, frame[self._person_column(target.table)].to_numpy(), days, first)

    def _person_column(self, table: str) -> str:
        """The column of ``table`` that holds the person key (its relation to the unit)."""
        return next(
            r.child_column
            for r in self.relations_
            if r.child_table == table and r.parent_table == self.unit_
        )

    def _first_days(self, target: TargetAnchors, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Each person's first day of each of ``target``'s events, indexed by person key."""
        sources = {a.table for a in target.anchors}
        names = [n for n in self.order_ if n in tables]
        relations = [
            r for r in self.relations_ if r.child_table in tables and r.parent_table in tables
        ]
        units = unit_of_rows(tables, relations, names, self.unit_, self.unit_key_)
        days = row_days(tables, relations, names, self.unit_, self.keys_)
        missing = sources - set(days)
        if missing:
            raise ValueError(f"anchor tables {sorted(missing)} are not under {self.unit_}")
        persons = pd.Index(tables[self.unit_][self.unit_key_].to_numpy())
        return first_days(tables, units, days, persons, target.anchors)

    def _plan(self, tables: dict[str, pd.DataFrame], keys: dict[str, str]) -> dict[str, TablePlan]:
        referenced = {(r.parent_table, r.parent_column) for r in self.relations_}
        plans: dict[str, TablePlan] = {}
        for name in self.order_:
            frame = tables[name]
            refs = [r for r in self.relations_ if r.child_table == name]
            parent = next((r for r in refs if r.parent_table != name), None)
            generated = [c for c in frame.columns if (name, c) in referenced or keys.get(name) == c]
            key_cols = set(generated) | {r.child_column for r in refs}
            modelled = [c for c in frame.columns if c not in key_cols]
            plans[name] = TablePlan(
                name=name,
                columns=list(frame.columns),
                dtypes=dict(frame.dtypes),
                generated=generated,
                parent=parent,
                other_refs=[r for r in refs if r is not parent],
                modelled=modelled,
                categorical={c for c in modelled if _is_categorical(frame[c])},
            )
        for name in self.order_:  # fold 1:0..1 leaf children into their parent
            plan = plans[name]
            rel = plan.parent
            is_parent = any(r.parent_table == name for r in self.relations_)
            if rel is None or is_parent or plan.other_refs or not plan.modelled:
                continue
            if tables[name][rel.child_column].value_counts().max() <= 1:
                plans[rel.parent_table].flattened.append(name)
        return plans

    def _folded(self, plans: dict[str, TablePlan]) -> set[str]:
        return {child for plan in plans.values() for child in plan.flattened}

    def _protect(
        self, tables: dict[str, pd.DataFrame], plans: dict[str, TablePlan], keys: dict[str, str]
    ) -> dict[str, pd.DataFrame]:
        unit = self.unit_table or find_unit_table(self.order_, self.relations_)
        unit_key = keys.get(unit) or next(
            r.parent_column for r in self.relations_ if r.parent_table == unit
        )
        self.unit_, self.unit_key_ = unit, unit_key
        units = unit_of_rows(tables, self.relations_, self.order_, unit, unit_key)
        protected, self.rare_ = protect_rare(
            tables,
            units,
            {n: p.categorical for n, p in plans.items()},
            self.min_persons,
            self.rare,
        )
        for item in self.rare_:
            self._say(
                f"rare categories in {item.table}.{item.column}: {item.categories} "
                f"({item.mode}, {item.rows:,} rows)"
            )
        for name in self.order_:  # children of dropped rows go too: no orphans in training
            rel = plans[name].parent
            if rel is not None:
                frame = protected[name]
                parent_keys = protected[rel.parent_table][rel.parent_column]
                protected[name] = frame[frame[rel.child_column].isin(parent_keys)]
        return protected

    def _training_frame(
        self,
        plan: TablePlan,
        tables: dict[str, pd.DataFrame],
        raw: dict[str, pd.DataFrame],
        plans: dict[str, TablePlan],
        frames: dict[str, pd.DataFrame],
    ) -> pd.DataFrame:
        real = tables[plan.name]
        own = real[plan.modelled].reset_index(drop=True)
        for child in plan.flattened:  # folded children's columns, and whether one exists
            rel = plans[child].parent
            assert rel is not None
            kids = tables[child].set_index(rel.child_column)[plans[child].modelled]
            matched = kids.reindex(real[rel.parent_column].to_numpy())
            present = matched.index.isin(kids.index)
            own[FLAT + child] = present.astype(int)
            plan.categorical.add(FLAT + child)
            # Rows without a child get values drawn from rows with one, so the columns'
            # missing values stay the child's own (not "no child") and keep its distribution.
            rng = np.random.default_rng(_seed(self.seed, child, "fill"))
            donors = rng.choice(np.flatnonzero(present), size=int((~present).sum()))
            matched.iloc[np.flatnonzero(~present)] = matched.iloc[donors].to_numpy()
            for col in plans[child].modelled:
                own[f"{FLAT}{child}__{col}"] = matched[col].to_numpy()
                if col in plans[child].categorical:
                    plan.categorical.add(f"{FLAT}{child}__{col}")
        for child, child_plan in plans.items():
            rel = child_plan.parent
            if rel is None or rel.parent_table != plan.name or child in plan.flattened:
                continue
            owner = raw[child][rel.child_column]
            if child in self.anchors_:  # anchored rows are counted by their own models
                owner = owner[self._labels[("raw", child)][0] == NONE]
            counts = owner.value_counts()
            column = f"{COUNT}{child}"
            own[column] = real[rel.parent_column].map(counts).fillna(0).astype(int).to_numpy()
            plan.counts[column] = child
            plan.categorical.add(column)  # counts keep their exact distribution, in order
        context = self._context(plan, tables, plans, frames)
        target = self.anchors_.get(plan.name)
        if target is not None and context is not None:
            labels, since = self._labels[("fit", plan.name)]
            own[SINCE] = since
            context[LABEL] = labels
            plan.conditioning.append(LABEL)
            plan.categorical.add(LABEL)
            self._fit_counts(plan, target, tables, raw, plans, frames)
        self._contexts[plan.name] = context
        # Rules are learned where folded children exist (not on the donor values).
        plan.rules = learn_rules(_mask_absent(plan, own.copy()), context)
        plan.real_rows = len(real)
        for rel in plan.other_refs:
            plan.null_rate[rel.child_column] = float(real[rel.child_column].isna().mean())
        encoded = plan.rules.encode(own, context)
        if context is None:
            return encoded
        return pd.concat([context[plan.conditioning].reset_index(drop=True), encoded], axis=1)

    def _fit_counts(
        self,
        plan: TablePlan,
        target: TargetAnchors,
        tables: dict[str, pd.DataFrame],
        raw: dict[str, pd.DataFrame],
        plans: dict[str, TablePlan],
        frames: dict[str, pd.DataFrame],
    ) -> None:
        """Per anchor: a model of how many rows follow the event, given the person and its date.

        Learned on every real person with the event (zero rows included), from all real rows.
        """
        unit = self.unit_
        people = self._decoded_training(plans[unit], frames[unit]).reset_index(drop=True)
        keys = tables[unit][self.unit_key_].to_numpy()
        target.given = [c for c in plan.conditioning if c != LABEL]
        given = people[[plan.context[c] for c in target.given]]
        given.columns = target.given
        first = self._events[("raw", plan.name)].reindex(keys)
        owner = raw[plan.name][self._person_column(plan.name)]
        labels, since = self._labels[("raw", plan.name)]
        for anchor in target.anchors:
            label = anchor.label
            has = np.isfinite(first[label].to_numpy(dtype=float))
            rows = owner[labels == label].value_counts().reindex(keys[has]).fillna(0)
            frame = given.loc[has].reset_index(drop=True)
            frame[EVENT_DAY] = first[label].to_numpy(dtype=float)[has]
            frame[ANCHORED] = rows.to_numpy(dtype=int)
            categorical = {c for c in target.given if c in plan.categorical} | {ANCHORED}
            with threadpool_limits(limits=1):
                # A small helper model: always a Gaussian copula, which draws given the person.
                model = SDVTableSynthesizer("gaussian_copula", latent=self.latent).fit(
                    frame, categorical
                )
            target.count_models[label] = model
            target.since_median[label] = float(np.nanmedian(since[labels == label]))

    def _context(
        self,
        plan: TablePlan,
        tables: dict[str, pd.DataFrame],
        plans: dict[str, TablePlan],
        frames: dict[str, pd.DataFrame],
    ) -> pd.DataFrame | None:
        """The parent's columns for each row (nearest ancestors first), as ``__ctx__`` columns."""
        rel = plan.parent
        if rel is None or rel.parent_table not in frames:
            return None
        parent_plan = plans[rel.parent_table]
        parent_frame = self._decoded_training(parent_plan, frames[rel.parent_table])
        candidates = [c for c in parent_frame.columns if not c.startswith((COUNT, CTX))] + [
            c for c in parent_frame.columns if c.startswith(CTX)
        ]
        chosen: dict[str, str] = {}  # context name -> parent column
        conditioning: list[str] = []  # the part of the context the child's model sees
        for col in candidates:
            name = col if col.startswith(CTX) else CTX + col
            if name in chosen:
                continue
            informative = _informative_context(parent_frame[col])
            if self.synthesizer == "gaussian_copula" and informative:
                if len(conditioning) < self.max_context:
                    chosen[name] = col
                    conditioning.append(name)
            elif pd.api.types.is_datetime64_any_dtype(parent_frame[col]):
                chosen[name] = col  # dates still bound the child's dates (death), unmodelled
        position = pd.Series(
            np.arange(len(tables[rel.parent_table])),
            index=tables[rel.parent_table][rel.parent_column],
        )
        position = position[~position.index.duplicated()]
        rows = tables[plan.name][rel.child_column].map(position).to_numpy(dtype=int)
        context = parent_frame.iloc[rows][list(chosen.values())].reset_index(drop=True)
        context.columns = list(chosen)
        plan.context = chosen
        plan.conditioning = conditioning
        for name, col in chosen.items():
            if col in parent_plan.categorical or (
                col.startswith(CTX) and col in parent_plan.categorical
            ):
                plan.categorical.add(name)
        return context

    def _decoded_training(self, plan: TablePlan, frame: pd.DataFrame) -> pd.DataFrame:
        """A parent's training frame with its own columns in their original form, and its
        whole context (what its model sees and the dates that only bound it)."""
        ctx = self._contexts.get(plan.name)
        own = frame[[c for c in frame.columns if not c.startswith(CTX)]]
        decoded = _mask_absent(plan, plan.rules.decode(own, ctx))
        return decoded if ctx is None else pd.concat([decoded, ctx], axis=1)

    # -- sample ------------------------------------------------------------------------------

    def sample(self, scale: float = 1.0, seed: int | None = None) -> dict[str, pd.DataFrame]:
        """Sample a twin: every table, fresh keys, integrity by construction.

        Args:
            scale: size relative to the real lake (tables without a parent get ``scale``
                times their fitted rows; children follow their parents).
            seed: sampling seed; defaults to the builder's ``seed``.
        """
        seed = self.seed if seed is None else seed
        drawn: dict[str, pd.DataFrame] = {}  # decoded frames with count, folded, context columns
        out: dict[str, pd.DataFrame] = {}
        folded = self._folded(self.plans_)
        for name in self.order_:
            if name in folded:
                continue
            start = time.perf_counter()
            plan = self.plans_[name]
            frame = self._draw(plan, drawn, out, scale, seed)
            drawn[name] = frame
            out[name] = self._finish(plan, frame, drawn, out, seed)
            for child in plan.flattened:
                out[child] = self._unfold(self.plans_[child], plan, frame, out[name])
            elapsed = time.perf_counter() - start
            self.timings_[name] = TableTiming(name, self.timings_[name].fit_s, elapsed)
            self._say(f"sampled {name}: {len(out[name]):,} rows in {elapsed:.1f} s")
        return {name: out[name] for name in self.order_}

    def _draw(
        self,
        plan: TablePlan,
        drawn: dict[str, pd.DataFrame],
        out: dict[str, pd.DataFrame],
        scale: float,
        seed: int,
    ) -> pd.DataFrame:
        model = self.models_[plan.name]
        target = self.anchors_.get(plan.name)
        parent_row: np.ndarray | None = None
        labels: np.ndarray | None = None
        events: pd.DataFrame | None = None
        if plan.parent is not None:
            parent_row = np.repeat(
                np.arange(len(drawn[plan.parent.parent_table])), self._counts(plan, drawn)
            )
            if target is not None:
                parent_row, labels, events = self._anchored_rows(
                    plan, target, drawn, out, parent_row, seed
                )
        context = None
        if parent_row is not None and (plan.context or labels is not None):
            parent = drawn[plan.parent.parent_table] if plan.parent is not None else None
            assert parent is not None
            context = parent.iloc[parent_row][list(plan.context.values())]
            context.columns = list(plan.context)
            context = context.reset_index(drop=True)
            if labels is not None:
                context[LABEL] = labels
        if context is not None and plan.conditioning:
            given = context[plan.conditioning]
            items = [
                (model, 0, given.iloc[i : i + self.chunk_rows], _seed(seed, plan.name, i))
                for i in range(0, len(given), self.chunk_rows)
            ]
        else:
            rows = len(parent_row) if parent_row is not None else round(plan.real_rows * scale)
            sizes = [min(self.chunk_rows, rows - i) for i in range(0, rows, self.chunk_rows)]
            items = [(model, n, None, _seed(seed, plan.name, i)) for i, n in enumerate(sizes)]
        parts = self._map(_sample_task, items) if items else [model.sample(0, seed)]
        sampled = pd.concat(parts, ignore_index=True)
        sampled = sampled[[c for c in sampled.columns if not c.startswith(CTX)]]
        decoded = _mask_absent(
            plan, plan.rules.decode(sampled, context, _seed(seed, plan.name, "decode"))
        )
        if target is not None and labels is not None and events is not None:
            assert parent_row is not None and context is not None
            decoded = self._redate(plan, target, decoded, context, labels, events, parent_row)
        if context is not None:
            decoded = pd.concat([decoded, context], axis=1)
        if parent_row is not None:
            decoded["__parent_row__"] = parent_row
        return decoded

    def _anchored_rows(
        self,
        plan: TablePlan,
        target: TargetAnchors,
        drawn: dict[str, pd.DataFrame],
        out: dict[str, pd.DataFrame],
        parent_row: np.ndarray,
        seed: int,
    ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """The rows of an anchored table: unanchored ones (``parent_row``) plus, per twin
        person with an event, the rows its count model draws; sorted by person."""
        people = drawn[self.unit_]
        events = self._first_days(target, out).reset_index(drop=True)
        given = people[[plan.context[c] for c in target.given]].reset_index(drop=True)
        given.columns = target.given
        rows = [parent_row]
        labels = [np.full(len(parent_row), NONE, dtype=object)]
        for anchor in target.anchors:
            label = anchor.label
            day = events[label].to_numpy(dtype=float)
            has = np.flatnonzero(np.isfinite(day))
            if not len(has):
                continue
            frame = given.iloc[has].reset_index(drop=True)
            frame[EVENT_DAY] = day[has]
            drawn_counts = _sample_task(
                (target.count_models[label], 0, frame, _seed(seed, plan.name, label))
            )[ANCHORED]
            counts = pd.to_numeric(drawn_counts, errors="coerce").fillna(0).round()
            counts = counts.clip(lower=0).astype(int).to_numpy()
            rows.append(np.repeat(has, counts))
            labels.append(np.full(int(counts.sum()), label, dtype=object))
        parent = np.concatenate(rows)
        order = np.argsort(parent, kind="stable")
        return parent[order], np.concatenate(labels)[order], events

    def _redate(
        self,
        plan: TablePlan,
        target: TargetAnchors,
        decoded: pd.DataFrame,
        context: pd.DataFrame,
        labels: np.ndarray,
        events: pd.DataFrame,
        parent_row: np.ndarray,
    ) -> pd.DataFrame:
        """Move each anchored row in time so it starts its drawn days after its event.

        The row's dates all move together (durations and order stay); none passes the
        table's bound (death) or the real range.
        """
        rules = plan.rules
        anchored = labels != NONE
        if not anchored.any():
            return decoded.drop(columns=[SINCE], errors="ignore")
        event = np.full(len(labels), np.nan)
        for label in np.unique(labels[anchored]):
            rows = labels == label
            event[rows] = events[label].to_numpy(dtype=float)[parent_row[rows]]
        since = pd.to_numeric(decoded.pop(SINCE), errors="coerce").to_numpy(dtype=float)
        median = np.array([target.since_median.get(lab, 0.0) for lab in labels])
        since = np.clip(np.where(np.isnan(since), median, since), 0.0, target.window)
        old = to_days(decoded[target.date])
        new = event + since
        if target.date in rules.date_only:
            new = np.floor(new)
        shift = np.where(anchored, new - np.where(np.isnan(old), new, old), 0.0)
        upper_col = rules.bounds.get(target.date, (None, None))[1]
        upper = to_days(context[upper_col]) if upper_col is not None else None
        for col in [c for c in plan.modelled if c in decoded]:
            if not pd.api.types.is_datetime64_any_dtype(decoded[col]):
                continue
            days = to_days(decoded[col])
            days = np.where(anchored, new, days) if col == target.date else days + shift
            if upper is not None:
                day_end = upper + (0.0 if col in rules.date_only else 1.0 - 1e-6)
                days = np.where(np.isnan(upper), days, np.minimum(days, day_end))
            if col in rules.ranges:
                days = np.clip(days, *rules.ranges[col])
            decoded[col] = from_days(days, col in rules.date_only).to_numpy()
        return decoded

    def _counts(self, plan: TablePlan, drawn: dict[str, pd.DataFrame]) -> np.ndarray:
        assert plan.parent is not None
        parent = drawn[plan.parent.parent_table]
        column = f"{COUNT}{plan.name}"
        return parent[column].fillna(0).clip(lower=0).round().astype(int).to_numpy()

    def _finish(
        self,
        plan: TablePlan,
        frame: pd.DataFrame,
        drawn: dict[str, pd.DataFrame],
        out: dict[str, pd.DataFrame],
        seed: int,
    ) -> pd.DataFrame:
        rng = np.random.default_rng(_seed(seed, plan.name, "keys"))
        result = pd.DataFrame(index=frame.index)
        for col in plan.generated:
            result[col] = _fresh_keys(plan.dtypes[col], len(frame), rng)
        if plan.parent is not None:
            parent_keys = out[plan.parent.parent_table][plan.parent.parent_column].to_numpy()
            result[plan.parent.child_column] = parent_keys[frame["__parent_row__"].to_numpy()]
        for col in plan.modelled:
            result[col] = frame[col].to_numpy()
        for rel in plan.other_refs:
            pool = result if rel.parent_table == plan.name else out[rel.parent_table]
            result[rel.child_column] = _references(
                pool[rel.parent_column].to_numpy(),
                len(frame),
                plan.null_rate[rel.child_column],
                rng,
            )
        return _restore(result[plan.columns], plan.dtypes)

    def _unfold(
        self, plan: TablePlan, parent_plan: TablePlan, frame: pd.DataFrame, parent_out: pd.DataFrame
    ) -> pd.DataFrame:
        """Rows of a folded child: one per sampled parent row that has one."""
        assert plan.parent is not None
        present = frame[FLAT + plan.name].round().astype(bool).to_numpy()
        result = pd.DataFrame(
            {plan.parent.child_column: parent_out[plan.parent.parent_column].to_numpy()[present]}
        )
        for col in plan.modelled:
            result[col] = frame[f"{FLAT}{plan.name}__{col}"].to_numpy()[present]
        rng = np.random.default_rng(_seed(plan.name, len(result)))
        for col in plan.generated:
            result[col] = _fresh_keys(plan.dtypes[col], len(result), rng)
        return _restore(result[plan.columns], plan.dtypes)


def _informative_context(series: pd.Series) -> bool:
    """Whether a parent column is worth conditioning a child on.

    Left out: mostly-missing columns (a folded child's columns where few parents have one)
    and identifier-like integers (an episode number). A copula conditions on a *point* of
    its latent axis; a column that is one value for most rows (the imputed gap) pins most
    children to one narrow slice and distorts what they are drawn from.
    """
    mostly_missing = series.isna().mean() > 0.5
    identifier = pd.api.types.is_integer_dtype(series) and series.nunique() > 0.5 * len(series)
    return not (mostly_missing or identifier)


def _mask_absent(plan: TablePlan, frame: pd.DataFrame) -> pd.DataFrame:
    """Blank a folded child's columns on rows without that child (a death date for the living),
    so children see "no death" in their context and dates can be bounded by the death date."""
    for child in plan.flattened:
        absent = frame[FLAT + child].round() == 0
        for col in [c for c in frame.columns if c.startswith(f"{FLAT}{child}__")]:
            frame.loc[absent, col] = None
    return frame


def _is_categorical(series: pd.Series) -> bool:
    """Modelled as categories: text (not mostly numbers), and numeric codes or few levels."""
    if is_numeric_text(series):
        return False
    if is_code_like(series):
        return True
    return not (
        pd.api.types.is_numeric_dtype(series)
        or pd.api.types.is_datetime64_any_dtype(series)
        or pd.api.types.is_bool_dtype(series)
    )


def _restore(frame: pd.DataFrame, dtypes: dict[str, Any]) -> pd.DataFrame:
    """Give sampled columns the real table's dtypes where the values allow it."""
    for col, dtype in dtypes.items():
        if str(frame[col].dtype) == str(dtype):
            continue
        try:
            if pd.api.types.is_integer_dtype(dtype):
                values = pd.to_numeric(frame[col], errors="coerce")
                frame[col] = values.astype("Int64" if values.isna().any() else dtype)
            elif pd.api.types.is_bool_dtype(dtype) and frame[col].notna().all():
                frame[col] = frame[col].astype(bool)
            elif pd.api.types.is_datetime64_any_dtype(dtype):
                frame[col] = pd.to_datetime(frame[col]).astype(dtype)
            elif pd.api.types.is_float_dtype(dtype):
                frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(dtype)
        except (TypeError, ValueError):
            continue  # keep the sampled type rather than fail the whole twin
    return frame


def _fresh_keys(dtype: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    if pd.api.types.is_integer_dtype(dtype):
        return np.arange(1, n + 1, dtype=np.int64)
    # 16 hex characters, the shape of a lake pseudonym, drawn at random (never a real one).
    while True:
        values = rng.integers(0, 2**63, size=n, dtype=np.int64)
        keys = np.char.zfill(np.char.mod("%x", values), 16)
        if len(np.unique(keys)) == n:
            return keys.astype(object)


def _references(keys: np.ndarray, n: int, null_rate: float, rng: np.random.Generator) -> np.ndarray:
    """Any valid key of the referenced table, missing at the real rate."""
    if len(keys) == 0:
        return np.full(n, None, dtype=object)
    picked = keys[rng.integers(0, len(keys), size=n)].astype(object)
    picked[rng.random(n) < null_rate] = None
    return picked


__all__ = ["RareCategories", "TableTiming", "TwinBuilder", "topological_order"]
