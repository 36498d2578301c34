"""What fitting and sampling a twin share: the per-table plan, the learned state, and seeds.

:class:`TwinBase` declares the builder's parameters and learned state once, so the fitting
(:mod:`generators.twin.fitting`) and sampling (:mod:`generators.twin.sampling`) mixins can
each use them; :class:`generators.twin.builder.TwinBuilder` combines the two.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from common.executor import Executor, SerialExecutor
from generators.relations import Relation
from generators.twin.anchors import TargetAnchors, first_days, row_days
from generators.twin.constraints import TableRules
from generators.twin.graph import unit_of_rows
from generators.twin.rare import RareCategories
from generators.twin.synthesizers import TableSynthesizer

Progress = Callable[[str], None]
T = TypeVar("T")
R = TypeVar("R")

COUNT = "__children__"  # count of child rows per parent row, one column per child table
FLAT = "__flat__"  # columns of a child folded into its parent


def stable_seed(*parts: object) -> int:
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


def mask_absent(plan: TablePlan, frame: pd.DataFrame) -> pd.DataFrame:
    """Blank a folded child's columns on rows without that child (a death date for the living),
    so children see "no death" in their context and dates can be bounded by the death date."""
    for child in plan.flattened:
        absent = frame[FLAT + child].round() == 0
        for col in [c for c in frame.columns if c.startswith(f"{FLAT}{child}__")]:
            frame.loc[absent, col] = None
    return frame


def fresh_keys(dtype: Any, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` unique keys of ``dtype``'s kind: 1 to n for integers, else random hex text."""
    if pd.api.types.is_integer_dtype(dtype):
        return np.arange(1, n + 1, dtype=np.int64)
    # 16 hex characters, the shape of a lake pseudonym, drawn at random (never a real one).
    while True:
        values = rng.integers(0, 2**63, size=n, dtype=np.int64)
        keys = np.char.zfill(np.char.mod("%x", values), 16)
        if len(np.unique(keys)) == n:
            return keys.astype(object)


def folded_tables(plans: dict[str, TablePlan]) -> set[str]:
    """Tables folded into their parent: they get no model of their own."""
    return {child for plan in plans.values() for child in plan.flattened}


class TwinBase:
    """The parameters and learned state that fitting and sampling a twin share.

    Parameters are documented on :class:`generators.twin.builder.TwinBuilder`, which sets
    them; the learned state is set by ``fit`` and ends in ``_``.
    """

    # Parameters (set in TwinBuilder.__init__).
    synthesizer: str  # per-table synthesizer kind
    seed: int  # default sampling seed; also seeds fitting's random draws
    min_persons: int  # fewest persons a category needs to be kept
    rare: str  # "drop" or "merge" rare categories
    unit_table: str | None  # the person table, or None to find it
    max_context: int  # most parent columns a child is conditioned on
    max_fit_rows: int  # most rows a table's model is fitted on
    chunk_rows: int  # rows per sampling task
    anchor_window: float  # days within which a row can be anchored to an event (0: off)
    latent: bool  # Gaussian copulas with empirical marginals and latent correlations
    codes: bool  # code lists drawn by their own forests (generators.twin.codes)
    forest_counts: bool  # child counts drawn by forests too
    executor: Executor | None  # runs fit and sampling tasks; serial when None
    progress: Progress | None  # told a short message per table

    # Learned state (set by fit).
    relations_: list[Relation]  # foreign keys between the fitted tables
    order_: list[str]  # the tables, parents first: the order they are sampled in
    unit_: str  # the table of persons
    unit_key_: str  # its key column
    keys_: set[tuple[str, str]]  # (table, column) pairs that are keys, never codes or dates
    rare_: list[RareCategories]  # categories removed before fitting
    anchors_: dict[str, TargetAnchors]  # target table -> its anchors and their models
    plans_: dict[str, TablePlan]  # how each table is modelled
    models_: dict[str, TableSynthesizer]  # each table's synthesizer (folded tables have none)
    timings_: dict[str, TableTiming]  # seconds per table; sample_s from the latest sample
    occasions_: list[Any]  # tables split into occasions or series (occasions.Occasion)
    lake_relations_: list[Relation]  # the relations as given (relations_ has the split ones)

    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def _map(self, fn: Callable[[T], R], items: list[T]) -> list[R]:
        return (self.executor or SerialExecutor()).map(fn, items)

    def _first_days(self, target: TargetAnchors, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """Each person's first day of each of ``target``'s events, indexed by person key.

        Fitting asks this of the real tables, sampling of the twin tables drawn so far.
        """
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
