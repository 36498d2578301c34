"""Code lists drawn by their own conditional model: which diagnosis, given who and when.

A Gaussian copula lays a category column on one axis and links it to the others
linearly. For a code list (43 diagnoses, 27 drugs, 98 municipalities) that is too
coarse: a code at the end of the axis is drawn only at the extreme of whatever it
correlates with. Measured on the simulated lake (8,000 persons): real hip fractures
(DS72, 0.15% of diagnoses) happen at a median age of 80; the copula's twin gave them at
97, and births (DO8) at 16 instead of 33, so the example cohort lost half its persons.

Here each code list of a table is drawn after the copula, from a small random forest
of P(code | the row's other columns, its parent's and the values drawn before it), with
the ages a date pair makes (the contact's start minus the person's birth) among its
inputs. A code is drawn from the mixture of the forest's leaves; every leaf holds at
least ``min_leaf`` rows of its tree's bootstrap sample (about 30 distinct real rows at
50), so no code is copied from one real row. Columns that follow a code (its derived and
dependent columns) are rebuilt from the drawn code afterwards. The same machinery draws
child counts below the person table, small categories a parent's value fixes
(:func:`fixed_by_parent`), and the rows that follow an anchor event
(:class:`ForestSampler`). The builder decides which columns (``fitting._fit_codes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from common.numbers import to_numbers
from generators.twin.base import FLAT
from generators.twin.constraints import is_datetime, to_days, written_as_numbers
from generators.twin.habits import HABIT

MIN_LEVELS = 21  # code lists: categories (text or code-like numbers) with this many values or more
_FEATURE_LEVELS = 50  # category inputs with at most this many values (others are left out)
_MAX_DATES = 6  # date inputs whose pairwise differences (ages, gaps) are inputs too
_TRAIN_ROWS = 50_000  # rows a forest learns from (a seeded sample of bigger tables)
_CHUNK = 20_000  # rows drawn at a time (probabilities are rows x codes)
_LOOSE = 0.95  # fixed_by_parent: the commonest value's share of all rows at most this...
_FIXED = 0.99  # ...and at least this among the rows of one parent value
_FIXED_ROWS = 50  # fewest rows of that parent value


@dataclass
class CodeModel:
    """A fitted P(code | inputs) for one code column of one table."""

    column: str
    numeric: list[str]  # inputs used as numbers (datetimes as days)
    categories: dict[str, list[Any]]  # category inputs -> their values (position = number)
    dates: list[str]  # date inputs whose pairwise differences are inputs
    forest: Any  # sklearn RandomForestClassifier
    classes: list[Any] = field(default_factory=list)  # the forest's classes, as real values
    # each class's share of the real rows: drawn rows are brought back to it (see draw);
    # empty: drawn as the forest says
    shares: list[float] = field(default_factory=list)

    def features(self, frame: pd.DataFrame) -> np.ndarray:
        """The forest's input matrix for the rows of ``frame`` (missing values as NaN)."""
        return _features(frame, self.numeric, self.categories, self.dates)

    def draw(self, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """One code per row of ``frame``, drawn from the forest's conditional distribution.

        With ``shares``, the probabilities are first reweighted so the codes' shares over
        ``frame`` are the real ones (the EM prior correction of Saerens et al., 2002): the
        twin's rows are not the real rows, and a rare code the forest gives mainly to rows
        the twin has fewer of (hip fractures: old persons' contacts with a hip operation)
        came out at a third of its real share.
        """
        out = np.empty(len(frame), dtype=object)
        classes = np.asarray(self.classes, dtype=object)
        matrix = self.features(frame)
        weights = self._prior_weights(matrix) if self.shares else None
        for start in range(0, len(frame), _CHUNK):
            part = matrix[start : start + _CHUNK]
            if not len(part):
                continue
            probs = self.forest.predict_proba(part)
            if weights is not None:
                probs = probs * weights
                probs /= np.maximum(probs.sum(axis=1, keepdims=True), 1e-300)
            cumulative = np.cumsum(probs, axis=1)
            cumulative[:, -1] = 1.0
            u = rng.random(len(part))[:, None]
            pick = (cumulative < u).sum(axis=1)
            out[start : start + len(part)] = classes[np.minimum(pick, len(classes) - 1)]
        return out

    def probabilities(self, frame: pd.DataFrame) -> np.ndarray:
        """The forest's probability of each of ``classes`` for each row of ``frame``."""
        matrix = self.features(frame)
        if not len(matrix):
            return np.zeros((0, len(self.classes)))
        return np.asarray(self.forest.predict_proba(matrix), dtype=float)

    def _prior_weights(self, matrix: np.ndarray, rounds: int = 10) -> np.ndarray:
        """Per class: the factor that brings the mean drawn probability to the real share."""
        target = np.asarray(self.shares, dtype=float)
        weights = np.ones(len(target))
        if not len(matrix):
            return weights
        probs = self.forest.predict_proba(matrix[:: max(1, len(matrix) // _CHUNK)])
        for _ in range(rounds):
            adjusted = probs * weights
            adjusted /= np.maximum(adjusted.sum(axis=1, keepdims=True), 1e-300)
            drawn = adjusted.mean(axis=0)
            weights *= np.where(drawn > 0, target / np.maximum(drawn, 1e-12), 1.0)
        # A class the forest hardly gives to these rows is not forced onto rows it does not fit.
        return np.clip(weights, 0.1, 10.0)


def code_lists(frame: pd.DataFrame, categorical: set[str], exclude: set[str]) -> list[str]:
    """The columns of ``frame`` that are code lists: categories with many values."""
    found = []
    for col in frame.columns:
        if col in exclude or col not in categorical:
            continue
        values = frame[col].dropna()
        if not (MIN_LEVELS <= values.nunique() < 0.5 * max(len(values), 1)):
            continue
        if not written_as_numbers(values):  # results written as text are not codes
            found.append(col)
    return found


def fixed_by_parent(
    own: pd.DataFrame, context: pd.DataFrame, categorical: set[str], exclude: set[str]
) -> list[str]:
    """Small categories of ``own`` that some value of a parent column fixes.

    A copula cannot keep a structural zero: in the simulated lake a prescription of a
    15- or 40-pack is always one pack, though a sixth of all prescriptions are of two or
    more; drawn on the copula's axes every pack size got 11-20% of two or more, and a
    person's mean packs per prescription was the feature that gave the twin away most
    (detection AUC at 5,000 persons 0.942; with a forest for it 0.928). Only a parent's
    values count: where a table's own columns fixed each other (a contact's type and
    priority) forests drawn without the person's hidden habits lost how persons keep to one
    kind of contact (0.939). A column is chosen
    when its commonest value holds at most ``_LOOSE`` of all rows but at least ``_FIXED`` of
    the rows with some value of a categorical parent column held by 1% of rows or more
    (and at least ``_FIXED_ROWS`` rows).
    """
    found = []
    parents = [c for c in context.columns if c in categorical]
    for col in own.columns:
        if col in exclude or col not in categorical or col.startswith(FLAT):
            continue
        values = own[col]
        known = values.notna().to_numpy()
        if known.sum() < _FIXED_ROWS or not 2 <= values[known].nunique() < MIN_LEVELS:
            continue
        if float(values[known].value_counts(normalize=True).iloc[0]) > _LOOSE:
            continue
        for parent in parents:
            given = context[parent].to_numpy()[known]
            table = pd.crosstab(given, values[known].to_numpy())
            rows = table.sum(axis=1)
            big = (rows >= max(_FIXED_ROWS, 0.01 * known.sum())).to_numpy()
            top = (table.max(axis=1) / rows).to_numpy()
            if (big & (top >= _FIXED)).any():
                found.append(col)
                break
    return found


def fit_code_models(
    frame: pd.DataFrame,
    columns: list[str],
    categorical: set[str],
    exclude: set[str],
    seed: int,
    min_leaf: int = 50,
    trees: int = 10,
    calibrate: bool = True,
) -> dict[str, CodeModel]:
    """One :class:`CodeModel` per column of ``columns``, learned on ``frame``.

    Args:
        frame: the real rows: own columns in their original form and the context columns.
        columns: the code lists to model.
        categorical: which inputs are categories.
        exclude: columns never used as inputs (keys, columns computed from a code).
        seed: the forest's seed.
        min_leaf: fewest real rows in a leaf (no code is drawn from fewer).
        trees: the forest's size.
        calibrate: draw each code at its real share over the rows drawn (see
            :meth:`CodeModel.draw`); False draws as the forest says.
    """
    from sklearn.ensemble import RandomForestClassifier

    if len(frame) > _TRAIN_ROWS:
        frame = frame.sample(n=_TRAIN_ROWS, random_state=seed % 2**32)
    models: dict[str, CodeModel] = {}
    for position, col in enumerate(columns):
        target = frame[col]
        known = target.notna().to_numpy()
        if known.sum() < 2 * min_leaf or target[known].nunique() < 2:
            continue
        # A person's hidden means are near-unique per person: as inputs they would let
        # leaves follow single persons, not kinds of rows.
        inputs = [
            c
            for c in frame.columns
            if c != col
            and c not in exclude
            and c not in columns[position:]  # earlier code lists are drawn first: inputs
            and HABIT not in c
        ]
        numeric, categories, dates = _inputs(frame, inputs, categorical)
        if not numeric and not categories:
            continue
        matrix = _features(frame, numeric, categories, dates)
        labels, classes = pd.factorize(target[known], sort=True)
        forest = RandomForestClassifier(
            n_estimators=trees,
            min_samples_leaf=min_leaf,
            max_features=None,
            random_state=seed % 2**32,
            n_jobs=1,
        ).fit(matrix[known], labels)
        kept = [classes[int(i)] for i in forest.classes_]
        shares = np.bincount(labels, minlength=len(classes))[forest.classes_] / len(labels)
        models[col] = CodeModel(
            col, numeric, categories, dates, forest, kept, list(shares) if calibrate else []
        )
    return models


def _inputs(
    frame: pd.DataFrame, inputs: list[str], categorical: set[str]
) -> tuple[list[str], dict[str, list[Any]], list[str]]:
    numeric: list[str] = []
    categories: dict[str, list[Any]] = {}
    dates: list[str] = []
    for col in inputs:
        values = frame[col]
        if values.isna().all():
            continue
        if is_datetime(values):
            numeric.append(col)
            if len(dates) < _MAX_DATES:
                dates.append(col)
        elif col in categorical or not (
            pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values)
        ):
            levels = values.dropna().unique()
            if 1 < len(levels) <= _FEATURE_LEVELS:
                categories[col] = sorted(levels, key=str)
        elif values.nunique() > 1:
            numeric.append(col)
    return numeric, categories, dates


def _days(values: pd.Series) -> np.ndarray:
    """A numeric input as floats: datetimes as days, text as the numbers it holds."""
    if is_datetime(values):
        return to_days(values)
    return to_numbers(values).to_numpy(dtype=float)


def _features(
    frame: pd.DataFrame, numeric: list[str], categories: dict[str, list[Any]], dates: list[str]
) -> np.ndarray:
    days = {col: _days(frame[col]) for col in numeric}  # the dates are among them
    parts = list(days.values())
    for col, levels in categories.items():
        position = {value: float(i) for i, value in enumerate(levels)}
        parts.append(frame[col].map(position).to_numpy(dtype=float))
    for i, first in enumerate(dates):
        for second in dates[i + 1 :]:
            parts.append(days[first] - days[second])
    if not parts:
        return np.zeros((len(frame), 0))
    return np.column_stack(parts)


class ForestSampler:
    """A :class:`CodeModel` behind the synthesizers' conditional interface.

    Used for the rows that follow an anchor event (:mod:`generators.twin.anchors`): how
    many rows a person gets after a hip fracture, given the person and the event's date.
    A copula drew those counts on one axis, and gave a third of the twin's fracture
    persons home care where half of the real ones had it.
    """

    def __init__(self, model: CodeModel) -> None:
        self.model = model

    def sample(self, num_rows: int, seed: int) -> pd.DataFrame:
        raise NotImplementedError("a forest draws only given its inputs")

    def sample_conditional(self, context: pd.DataFrame, seed: int) -> pd.DataFrame:
        drawn = self.model.draw(context, np.random.default_rng(seed))
        return pd.DataFrame({self.model.column: drawn})
