"""The twin builder: a synthetic copy of every table of a lake, keys and all.

Each table is modelled by a single-table synthesizer. A parent table's model
also learns how many children each row has (one extra column per child
relation), so child counts depend on the parent's attributes. Children are
sampled for sampled parents and get fresh keys, so referential integrity holds
by construction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from generators.relations import Relation
from generators.twin.synthesizers import SDVTableSynthesizer, TableSynthesizer

Progress = Callable[[str], None]


def _count_column(rel: Relation) -> str:
    return f"__children__{rel.child_table}__{rel.child_column}"


def topological_order(tables: list[str], relations: list[Relation]) -> list[str]:
    """Tables with every parent before its children (self-references ignored).

    Raises:
        ValueError: the relations form a cycle across tables, or name an unknown table.
    """
    known = set(tables)
    parents: dict[str, set[str]] = {t: set() for t in tables}
    for rel in relations:
        if rel.child_table not in known or rel.parent_table not in known:
            raise ValueError(f"relation {rel} names a table that is not in the lake")
        if rel.child_table != rel.parent_table:
            parents[rel.child_table].add(rel.parent_table)
    order: list[str] = []
    while len(order) < len(tables):
        ready = sorted(t for t in tables if t not in order and parents[t] <= set(order))
        if not ready:
            raise ValueError("table relations form a cycle; a twin needs a parent-first order")
        order.extend(ready)
    return order


@dataclass(frozen=True)
class TableTiming:
    """Seconds spent on one table."""

    table: str  # table name
    fit_s: float  # fitting its synthesizer
    sample_s: float = 0.0  # sampling its rows (0 until sampled)


class TwinBuilder:
    """Fits a synthetic twin of a set of related tables.

    Shaped like a scikit-learn estimator: parameters in ``__init__``, ``fit``
    returns self, learned state ends in ``_``.

    Args:
        synthesizer: "gaussian_copula" (default), "ctgan" or "tvae".
        seed: default seed for :meth:`sample`.
        progress: called with a short message per table (the CLI prints them on stderr).
    """

    def __init__(
        self,
        synthesizer: str = "gaussian_copula",
        seed: int = 0,
        progress: Progress | None = None,
    ) -> None:
        self.synthesizer = synthesizer
        self.seed = seed
        self.progress = progress

    def __getstate__(self) -> dict[str, object]:
        # The progress callback belongs to the process that fitted; it is not pickled.
        return {**self.__dict__, "progress": None}

    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def _new_synthesizer(self) -> TableSynthesizer:
        return SDVTableSynthesizer(self.synthesizer)

    def fit(
        self,
        tables: dict[str, pd.DataFrame],
        relations: list[Relation],
        primary_keys: dict[str, str] | None = None,
    ) -> TwinBuilder:
        """Learn every table and the number of children per parent row.

        Args:
            tables: table name -> real rows.
            relations: foreign keys between them.
            primary_keys: table -> key column; keys are never modelled, only regenerated.
        """
        self.primary_keys_ = dict(primary_keys or {})
        self.relations_ = list(relations)
        self.order_ = topological_order(list(tables), self.relations_)
        # The relation that decides how many rows of a child table each parent row has.
        self.driving_: dict[str, Relation] = {}
        for rel in self.relations_:
            if rel.child_table != rel.parent_table:
                self.driving_.setdefault(rel.child_table, rel)
        self.real_rows_ = {name: len(frame) for name, frame in tables.items()}
        self.key_dtypes_ = {
            name: tables[name][key].dtype for name, key in self.primary_keys_.items()
        }
        self.models_: dict[str, TableSynthesizer] = {}
        self.timings_: dict[str, TableTiming] = {}
        for name in self.order_:
            start = time.perf_counter()
            frame = self._training_frame(name, tables)
            self.models_[name] = self._new_synthesizer().fit(frame)
            self.timings_[name] = TableTiming(name, time.perf_counter() - start)
            self._say(f"fitted {name}: {len(frame):,} rows in {self.timings_[name].fit_s:.1f} s")
        return self

    def _key_columns(self, name: str) -> set[str]:
        keys = {rel.child_column for rel in self.relations_ if rel.child_table == name}
        if name in self.primary_keys_:
            keys.add(self.primary_keys_[name])
        return keys

    def _training_frame(self, name: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
        frame = tables[name]
        data = frame.drop(columns=sorted(self._key_columns(name))).reset_index(drop=True)
        for child, rel in self.driving_.items():
            if rel.parent_table != name:
                continue
            counts = tables[child][rel.child_column].value_counts()
            data[_count_column(rel)] = (
                frame[rel.parent_column].map(counts).fillna(0).astype(int).to_numpy()
            )
        return data

    def sample(self, scale: float = 1.0, seed: int | None = None) -> dict[str, pd.DataFrame]:
        """Sample a twin: every table, fresh keys, integrity by construction.

        Args:
            scale: size relative to the real lake (root tables get ``scale`` times their rows).
            seed: sampling seed; defaults to the builder's ``seed``.
        """
        seed = self.seed if seed is None else seed
        rng = np.random.default_rng(seed)
        out: dict[str, pd.DataFrame] = {}
        for index, name in enumerate(self.order_):
            start = time.perf_counter()
            rel = self.driving_.get(name)
            if rel is None:
                rows = round(self.real_rows_[name] * scale)
                frame = self.models_[name].sample(rows, seed=seed + index)
            else:
                counts_col = _count_column(rel)
                parent = out[rel.parent_table]
                counts = parent[counts_col].clip(lower=0).round().astype(int).to_numpy()
                frame = self.models_[name].sample(int(counts.sum()), seed=seed + index)
                frame.insert(
                    0, rel.child_column, np.repeat(parent[rel.parent_column].to_numpy(), counts)
                )
            if name in self.primary_keys_:
                frame.insert(0, self.primary_keys_[name], self._fresh_keys(name, len(frame), rng))
            for other in self.relations_:  # further parents (and self-references): any valid key
                if other.child_table == name and other is not rel:
                    frame[other.child_column] = self._random_references(other, out, frame, rng)
            out[name] = frame
            elapsed = time.perf_counter() - start
            self.timings_[name] = TableTiming(name, self.timings_[name].fit_s, elapsed)
            self._say(f"sampled {name}: {len(frame):,} rows in {elapsed:.1f} s")
        for name, frame in out.items():
            out[name] = frame.drop(
                columns=[c for c in frame.columns if c.startswith("__children__")]
            )
        return out

    def _fresh_keys(self, name: str, n: int, rng: np.random.Generator) -> np.ndarray:
        if pd.api.types.is_integer_dtype(self.key_dtypes_[name]):
            return np.arange(1, n + 1, dtype=np.int64)
        # 16 hex characters, the shape of a lake pseudonym, drawn at random (never a real one).
        values = rng.integers(0, 2**63, size=n, dtype=np.int64)
        keys = np.char.zfill(np.char.mod("%x", values), 16)
        while len(np.unique(keys)) < n:  # astronomically rare; keep keys unique anyway
            values = rng.integers(0, 2**63, size=n, dtype=np.int64)
            keys = np.char.zfill(np.char.mod("%x", values), 16)
        return keys.astype(object)

    def _random_references(
        self,
        rel: Relation,
        out: dict[str, pd.DataFrame],
        frame: pd.DataFrame,
        rng: np.random.Generator,
    ) -> np.ndarray:
        parent = frame if rel.parent_table == rel.child_table else out[rel.parent_table]
        keys = parent[rel.parent_column].to_numpy()
        if len(keys) == 0:
            return np.full(len(frame), None, dtype=object)
        return keys[rng.integers(0, len(keys), size=len(frame))]
