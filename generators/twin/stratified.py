"""Long-format tables modelled one stratum at a time.

Laboratory results, observations and prescriptions are long tables: one row per
measurement, with a *type* column (analysis code, observation, ATC code) that
decides what the other columns mean. One Gaussian copula over all types mixes
HbA1c with creatinine. Here a router model draws the type (given the parent
context), and each frequent type has its own model of the remaining columns,
so every analysis keeps its own distribution.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from generators.twin.synthesizers import CTX, SDVTableSynthesizer

POOLED = "__pooled__"


def choose_stratum(
    frame: pd.DataFrame, categorical: set[str], min_eta2: float = 0.3, max_levels: int = 40
) -> str | None:
    """The categorical column that best explains the table's numeric columns, if any.

    Scores each own categorical column with 3 to ``max_levels`` values by how much it
    explains the other own columns: the correlation ratio (eta squared) for numeric
    columns, the uncertainty coefficient for categorical ones; returns the best one
    when its mean score reaches ``min_eta2``.
    """
    own = [c for c in frame.columns if not c.startswith(CTX)]
    numeric = [
        c
        for c in own
        if c not in categorical
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
        and frame[c].notna().sum() > 1
        and frame[c].std() > 0
    ]
    others = [c for c in own if c in categorical and frame[c].nunique() > 1]
    if not numeric and len(others) < 2:
        return None
    best, best_score = None, min_eta2
    for col in own:
        if col not in categorical or not 3 <= frame[col].nunique() <= max_levels:
            continue
        scores = [_uncertainty(frame[c], frame[col]) for c in others if c != col]
        for num in numeric:
            values = frame[num]
            groups = values.groupby(frame[col], dropna=False)
            total = values.var(ddof=0)
            between = (groups.count() * (groups.mean() - values.mean()) ** 2).sum() / values.count()
            scores.append(float(between / total) if total > 0 else 0.0)
        score = float(np.mean(scores))
        if score > best_score:
            best, best_score = col, score
    return best


def _entropy(counts: np.ndarray) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def _uncertainty(target: pd.Series, given: pd.Series) -> float:
    """Theil's U: the share of ``target``'s entropy that knowing ``given`` removes."""
    joint = pd.crosstab(given.fillna("<NA>"), target.fillna("<NA>")).to_numpy(dtype=float)
    h_target = _entropy(joint.sum(axis=0))
    if h_target == 0:
        return 0.0
    n = joint.sum()
    h_conditional = sum(row.sum() / n * _entropy(row) for row in joint if row.sum())
    return (h_target - h_conditional) / h_target


class StratifiedSynthesizer:
    """A router over one column plus one synthesizer per frequent value of it.

    Args:
        stratum: the type column.
        kind: synthesizer kind for the router and the strata.
        min_rows: a value with fewer rows shares a pooled model with the other rare ones.
        latent: passed to every :class:`SDVTableSynthesizer`.
    """

    def __init__(
        self,
        stratum: str,
        kind: str = "gaussian_copula",
        min_rows: int = 200,
        latent: bool = False,
    ) -> None:
        self.stratum = stratum
        self.kind = kind
        self.min_rows = min_rows
        self.latent = latent

    def fit(self, frame: pd.DataFrame, categorical: set[str]) -> StratifiedSynthesizer:
        self.columns_ = list(frame.columns)
        context = [c for c in frame.columns if c.startswith(CTX)]
        self.router_ = SDVTableSynthesizer(self.kind, latent=self.latent).fit(
            frame[[*context, self.stratum]], categorical
        )
        counts = frame[self.stratum].value_counts(dropna=False)
        frequent = [v for v, n in counts.items() if n >= self.min_rows]
        self.groups_: dict[object, object] = {v: v for v in frequent}
        rest = [c for c in frame.columns if c != self.stratum]
        self.models_: dict[object, SDVTableSynthesizer] = {}
        for value in frequent:
            rows = frame[self.stratum] == value if pd.notna(value) else frame[self.stratum].isna()
            self.models_[value] = SDVTableSynthesizer(self.kind, latent=self.latent).fit(
                frame.loc[rows, rest], categorical
            )
        rare_rows = ~frame[self.stratum].isin([v for v in frequent if pd.notna(v)])
        if any(pd.isna(v) for v in frequent):
            rare_rows &= frame[self.stratum].notna()
        if rare_rows.any():
            self.models_[POOLED] = SDVTableSynthesizer(self.kind, latent=self.latent).fit(
                frame.loc[rare_rows, rest], categorical
            )
        return self

    def _model_for(self, value: object) -> SDVTableSynthesizer:
        for key, model in self.models_.items():
            if key is POOLED:
                continue
            if (pd.isna(value) and pd.isna(key)) or value == key:
                return model
        return self.models_[POOLED]

    def _draw(self, types: pd.Series, context: pd.DataFrame | None, seed: int) -> pd.DataFrame:
        parts = []
        keys = types.map(lambda v: id(self._model_for(v)))
        for i, key in enumerate(pd.unique(keys)):
            rows = np.flatnonzero((keys == key).to_numpy())
            model = self._model_for(types.iloc[rows[0]])
            if context is None:
                drawn = model.sample(len(rows), seed + 7919 * (i + 1))
            else:
                drawn = model.sample_conditional(context.iloc[rows], seed + 7919 * (i + 1))
            drawn.index = rows
            parts.append(drawn)
        out = pd.concat(parts).sort_index() if parts else pd.DataFrame(index=types.index)
        out[self.stratum] = types.to_numpy()
        return out.reset_index(drop=True)

    def sample(self, num_rows: int, seed: int) -> pd.DataFrame:
        types = self.router_.sample(num_rows, seed)[self.stratum]
        drawn = self._draw(types.reset_index(drop=True), None, seed)
        return drawn[[c for c in self.columns_ if c in drawn.columns]]

    def sample_conditional(self, context: pd.DataFrame, seed: int) -> pd.DataFrame:
        context = context.reset_index(drop=True)
        types = self.router_.sample_conditional(context, seed)[self.stratum]
        drawn = self._draw(types.reset_index(drop=True), context, seed)
        return drawn[[c for c in self.columns_ if c in drawn.columns and not c.startswith(CTX)]]
