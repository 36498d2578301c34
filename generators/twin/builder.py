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

Where the code is: planning and fitting in :mod:`generators.twin.fitting`, sampling in
:mod:`generators.twin.sampling`, what both share in :mod:`generators.twin.base`, and the
table graph (parent-first order, the person table) in :mod:`generators.twin.graph`.
"""

from __future__ import annotations

import pandas as pd

from common.executor import Executor
from generators.relations import Relation

# TablePlan and TableTiming are imported here too: twins stored before the split were
# pickled with these classes under this module's name.
from generators.twin.base import Progress, TablePlan, TableTiming
from generators.twin.fitting import TwinFitting
from generators.twin.graph import persons_and_key
from generators.twin.habits import person_conditions, person_habits, person_keeps
from generators.twin.occasions import Occasion, find_occasions, join_occasions, split_occasions
from generators.twin.profiles import PROFILE, person_profiles
from generators.twin.sampling import TwinSampling


class TwinBuilder(TwinFitting, TwinSampling):
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
        occasions: draw the rows of a child table that share a parent and a date as one
            occasion (:mod:`generators.twin.occasions`); False draws each row on its own.
        profiles: give each person a hidden profile (:mod:`generators.twin.profiles`), a
            group of persons with alike rows below them, that every table is drawn given.
            Off by default: on the demo's lake its twin falls under the gate's DCR floor
            (README, "Twin builder"), though no closer to its training persons than unseen
            real persons are.
        habits: give each person a hidden mean of each measure persons differ most in
            (:mod:`generators.twin.habits`), so their rows are drawn around their own level;
            also whether the person holds each chronic code and which values of a small
            category the person keeps to, read by the code forests of the tables below.
        codes: draw each code list (diagnoses, drugs, municipalities) from its own small
            forest given the row and its parent (:mod:`generators.twin.codes`), not from
            the copula's one axis; False leaves them to the copula.
        forest_counts: draw the person table's child counts by forests too (with
            ``codes``, the counts of tables below it always are): a person's contacts rise
            with age and fall after 90. Off by default: on the demo's lake the gate's DCR
            floor refused such a twin (README, "Synthetic twins").
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
        occasions: bool = True,
        profiles: bool = False,
        habits: bool = True,
        codes: bool = True,
        forest_counts: bool = False,
        executor: Executor | None = None,
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
        self.occasions = occasions
        self.profiles = profiles
        self.habits = habits
        self.codes = codes
        self.forest_counts = forest_counts
        self.executor = executor
        self.progress = progress

    def __getstate__(self) -> dict[str, object]:
        # Callbacks and executors belong to the process that fitted; they are not pickled.
        return {**self.__dict__, "progress": None, "executor": None}

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
        self.lake_relations_ = list(relations)
        tables = self._with_profiles(tables, relations, keys)
        self.occasions_: list[Occasion] = (
            find_occasions(tables, relations, keys, self.unit_table) if self.occasions else []
        )
        for occ in self.occasions_:
            shared = ", ".join(occ.by)
            if occ.kind == "set":
                self._say(f"{occ.table}: a person's {occ.panel} values drawn as a set")
            else:
                self._say(f"{occ.table}: rows drawn together per {occ.kind} (same {shared})")
        split = split_occasions(tables, relations, keys, self.occasions_)
        self._fit_lake(*self._with_habits(*split))
        return self

    def sample(self, scale: float = 1.0, seed: int | None = None) -> dict[str, pd.DataFrame]:
        """Sample a twin: every table, fresh keys, integrity by construction.

        Args:
            scale: size relative to the real lake (tables without a parent get ``scale``
                times their fitted rows; children follow their parents).
            seed: sampling seed; defaults to the builder's ``seed``.
        """
        drawn = self._sample_lake(scale, self.seed if seed is None else seed)
        unit = getattr(self, "profile_table_", None)
        if unit is not None:  # the hidden profile is the builder's, not the lake's
            drawn[unit] = drawn[unit].drop(columns=[PROFILE])
        unit = getattr(self, "habit_table_", None)
        if unit is not None:  # so are the hidden habits
            drawn[unit] = drawn[unit].drop(columns=list(self.habits_))
        return join_occasions(drawn, getattr(self, "occasions_", []))

    def _with_habits(
        self, tables: dict[str, pd.DataFrame], relations: list[Relation], keys: dict[str, str]
    ) -> tuple[dict[str, pd.DataFrame], list[Relation], dict[str, str]]:
        """The (split) tables with each person's habits as the person table's first columns."""
        self.habit_table_: str | None = None
        self.habits_: list[str] = []
        found = self._persons(tables, relations, keys) if self.habits else None
        if found is None:
            return tables, relations, keys
        unit, unit_key = found
        habits = pd.concat(
            [
                person_habits(tables, relations, keys, unit, unit_key),
                person_conditions(tables, relations, keys, unit, unit_key),
                person_keeps(tables, relations, keys, unit, unit_key),
            ],
            axis=1,
        )
        if habits.empty or habits.columns.isin(tables[unit].columns).any():
            return tables, relations, keys
        self.habit_table_, self.habits_ = unit, list(habits.columns)
        self._say(f"person habits in {unit}: {', '.join(self.habits_)}")
        return {**tables, unit: pd.concat([habits, tables[unit]], axis=1)}, relations, keys

    def _with_profiles(
        self, tables: dict[str, pd.DataFrame], relations: list[Relation], keys: dict[str, str]
    ) -> dict[str, pd.DataFrame]:
        """The tables with each person's hidden profile as the person table's first column."""
        self.profile_table_: str | None = None
        found = self._persons(tables, relations, keys) if self.profiles else None
        if found is None or PROFILE in tables[found[0]].columns:
            return tables
        unit, unit_key = found
        profile = person_profiles(
            tables, relations, keys, unit, unit_key, self.seed, min_size=2 * self.min_persons
        )
        if profile is None:
            return tables
        self.profile_table_ = unit
        counts = ", ".join(f"{k} {v:,}" for k, v in profile.value_counts().sort_index().items())
        self._say(f"person profiles in {unit}: {counts}")
        return {**tables, unit: pd.concat([profile, tables[unit]], axis=1)}

    def _persons(
        self, tables: dict[str, pd.DataFrame], relations: list[Relation], keys: dict[str, str]
    ) -> tuple[str, str] | None:
        """The person table and its key, or None where there is none (fitting says why)."""
        return persons_and_key(list(tables), relations, keys, self.unit_table)

    def lake_relations(self) -> list[Relation]:
        """The foreign keys of the lake as fitted (without the occasions' virtual tables)."""
        return list(getattr(self, "lake_relations_", self.relations_))

    def table_timings(self) -> dict[str, TableTiming]:
        """Seconds per lake table; an occasion table's include its occasions'."""
        out = dict(self.timings_)
        for occ in getattr(self, "occasions_", []):
            for name in occ.virtual_tables():
                extra = out.pop(name, None)
                if extra is not None:
                    mine = out.get(occ.table, TableTiming(occ.table, 0.0))
                    out[occ.table] = TableTiming(
                        occ.table, mine.fit_s + extra.fit_s, mine.sample_s + extra.sample_s
                    )
        return out


__all__ = ["TablePlan", "TableTiming", "TwinBuilder"]
