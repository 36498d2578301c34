"""Person profiles: a hidden kind of person that every table of the person is drawn given.

A person's rows share a cause the lake does not record: a diabetic has HbA1c tests at
every visit, metformin refills and diabetes diagnoses; a person with heart failure has
other tests, drugs and contacts. Drawn given the person's recorded columns only (age,
sex, municipality), each table mixes these kinds, and each of a person's occasions picks
its analyses afresh: the twin person tests for everything a little, where a real person
tests for their own condition again and again. A classifier sees that at once.

Here each real person gets a *profile*: the group (k-means) of their child-table summary:
rows per table, and per code column the share of their rows with each frequent code. The
profile becomes a hidden categorical column of the person table (first of its columns, so
every child is conditioned on it), is modelled with the person's other columns, and is
dropped from the twin. Only groups of many persons are formed (``min_size``), so a profile
names no one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from generators.relations import Relation
from generators.twin.graph import key_columns, topological_order, unit_of_rows

PROFILE = "__profile__"  # the hidden column of the person table
MAX_GROUPS = 4  # most profiles
PERSONS_PER_GROUP = 1_000  # persons per profile on average at least (fewer: memorised)
MAX_LEVELS = 50  # a code column with more values is summarised by its row count only
TOP_CODES = 10  # codes per column whose shares are summarised
COMPONENTS = 10  # principal components clustered


def person_profiles(
    tables: dict[str, pd.DataFrame],
    relations: list[Relation],
    keys: dict[str, str],
    unit: str,
    unit_key: str,
    seed: int,
    min_size: int = 25,
) -> pd.Series | None:
    """Each person's profile (``"p0"``, ``"p1"``, ...), index-aligned with the person table.

    None when there is nothing to group by (no table below the person, or too few persons
    for two groups of ``min_size``).
    """
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA

    persons = tables[unit]
    groups = min(MAX_GROUPS, len(persons) // PERSONS_PER_GROUP)
    if groups < 2:
        return None
    order = topological_order(list(tables), relations)
    owners = unit_of_rows(tables, relations, order, unit, unit_key)
    index = pd.Index(persons[unit_key].to_numpy())
    keyed = key_columns(relations, keys)
    features: list[np.ndarray] = []
    for name, owner in owners.items():
        if name == unit:
            continue
        frame = tables[name]
        rows = owner.value_counts().reindex(index).fillna(0).to_numpy(dtype=float)
        features.append(np.log1p(rows))
        for col in frame.columns:
            if (name, col) in keyed or not _code_like(frame[col]):
                continue
            top = frame[col].value_counts().index[:TOP_CODES]
            for value in top:
                hits = owner[frame[col] == value].value_counts().reindex(index).fillna(0)
                features.append(hits.to_numpy(dtype=float) / np.maximum(rows, 1.0))
    if not features:
        return None
    matrix = np.column_stack(features)
    spread = matrix.std(axis=0)
    matrix = (matrix[:, spread > 0] - matrix[:, spread > 0].mean(axis=0)) / spread[spread > 0]
    if matrix.shape[1] == 0:
        return None
    if matrix.shape[1] > COMPONENTS:
        matrix = PCA(COMPONENTS, svd_solver="full", random_state=seed).fit_transform(matrix)
    while groups >= 2:
        labels = KMeans(groups, n_init=4, random_state=seed).fit_predict(matrix)
        sizes = np.bincount(labels, minlength=groups)
        if sizes.min() >= min_size:
            # Numbered by size, largest first, so the labels do not depend on k-means' order.
            rank = np.argsort(-sizes, kind="stable")
            names = {int(old): f"p{new}" for new, old in enumerate(rank)}
            return pd.Series([names[int(v)] for v in labels], index=persons.index, name=PROFILE)
        groups -= 1
    return None


def _code_like(series: pd.Series) -> bool:
    """Text or whole numbers with 2 to ``MAX_LEVELS`` values."""
    if pd.api.types.is_float_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    if pd.api.types.is_datetime64_any_dtype(series):
        return False
    return 2 <= series.nunique() <= MAX_LEVELS


class ProfiledSynthesizer:
    """One model per person profile: a table's rows drawn by the model of their person's kind.

    A Gaussian copula can tie a child to a categorical parent column only monotonically, on
    one latent axis; a kind of person that tests for HbA1c and another that tests for
    troponin are not two ends of one axis. Here each profile with ``min_rows`` rows has its
    own model (itself stratified by a type column when one explains the table); the rows of
    rarer profiles share a pooled one.

    Args:
        given: the context column holding the profile (``__ctx____profile__``).
        make: returns a fresh, unfitted model for a frame (chooses the kind and stratum).
        min_rows: a profile with fewer rows uses the pooled model.
    """

    def __init__(self, given: str, make: Any, min_rows: int = 1_000) -> None:
        self.given = given
        self.make = make
        self.min_rows = min_rows

    def fit(self, frame: pd.DataFrame, categorical: set[str]) -> ProfiledSynthesizer:
        self.columns_ = [c for c in frame.columns if c != self.given]
        counts = frame[self.given].value_counts()
        self.shares_ = (counts / counts.sum()).sort_index()
        rest = frame.drop(columns=[self.given])
        kept = categorical - {self.given}
        self.models_: dict[Any, Any] = {}
        own = [v for v, n in counts.sort_index().items() if n >= self.min_rows]
        for value in own:
            rows = rest[(frame[self.given] == value).to_numpy()]
            self.models_[value] = self.make(rows).fit(rows, kept)
        # Rarer profiles share one model of their rows (of all rows when none has its own).
        pooled = rest[~frame[self.given].isin(own).to_numpy()] if own else rest
        if len(pooled):
            self.pooled_ = self.make(pooled).fit(pooled, kept)
        else:
            self.pooled_ = self.models_[counts.index[0]]  # the largest profile's
        self.make = None  # a closure of the fit: the fitted models are what is kept (pickled)
        return self

    def _draw(self, values: np.ndarray, context: pd.DataFrame | None, seed: int) -> pd.DataFrame:
        parts = []
        for i, value in enumerate(pd.unique(values)):
            rows = np.flatnonzero(values == value)
            model = self.models_.get(value, self.pooled_)
            part_seed = (seed + 104_729 * (i + 1)) % 2**32
            if context is None:
                drawn = model.sample(len(rows), part_seed)
            else:
                part = context.iloc[rows].drop(columns=[self.given]).reset_index(drop=True)
                drawn = model.sample_conditional(part, part_seed)
            drawn.index = rows
            parts.append(drawn)
        if not parts:
            return self.pooled_.sample(0, seed)
        return pd.concat(parts).sort_index().reset_index(drop=True)

    def sample(self, num_rows: int, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        values = rng.choice(self.shares_.index.to_numpy(), size=num_rows, p=self.shares_.to_numpy())
        return self._draw(values, None, seed)

    def sample_conditional(self, context: pd.DataFrame, seed: int) -> pd.DataFrame:
        context = context.reset_index(drop=True)
        return self._draw(context[self.given].to_numpy(), context, seed)
