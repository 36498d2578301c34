"""Detection: can a classifier tell synthetic rows from real ones (a classifier two-sample test).

Fidelity scores compare columns and pairs of columns; a classifier looks at everything at
once. Label real rows 0 and synthetic rows 1, draw equally many of each, and let gradient
boosting (scikit-learn's ``HistGradientBoostingClassifier``) separate them under stratified
cross-validation. The AUC of its out-of-fold predictions is 0.5 when the twin cannot be told
from the real data and 1.0 when every synthetic row gives itself away.

:func:`lake_detection` runs the test where the issue matters most, on persons: the unit
table joined with a profile of every table below it
(:func:`validation.privacy.person_summary.person_profile`: counts, distinct kinds, first and
last dates and span, numeric means, top categories), and also on each table's own rows.

The AUC's 95% interval is a stratified bootstrap over the out-of-fold predictions: it covers
the sampling of the rows that were scored, not the variation between refits. Rows equal in
every column share a fold, so a copied row is never learnt from its copy in the other class
(which would push a copying twin's AUC below 0.5 rather than to it). The features that give
the twin away are ranked by permutation importance: how much the first fold's AUC drops when
one feature's values are shuffled there.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_limits

from validation.fidelity.columns import metadata_dict
from validation.fidelity.errors import FidelityInputError
from validation.fidelity.quality import without_self_references
from validation.performance import auroc, bootstrap_ci
from validation.privacy.person_summary import as_number, column_kinds, person_profile

# Rows per side at most: enough for a stable AUC (its interval is about +-0.02 at these
# sizes), few enough to stay inside the evaluation's time budget on a full lake.
MAX_PERSONS = 3000
MAX_TABLE_ROWS = 1500
FOLDS = 3
BOOTSTRAP = 200
TOP_FEATURES = 10
# Categories beyond this many per column share one code.
_MAX_CATEGORIES = 250


@dataclass(frozen=True)
class FeatureImportance:
    """How much one feature gives the synthetic rows away."""

    feature: str  # column name (person view: ``<table>__<column>__<aggregate>``)
    auc_drop: float  # fall of the first fold's AUC when the feature is shuffled there


@dataclass(frozen=True)
class Detection:
    """A classifier two-sample test of one table: real against synthetic rows."""

    auc: float  # out-of-fold AUC; 0.5 = indistinguishable, 1.0 = every row told apart
    low: float  # lower end of the 95% bootstrap interval of the AUC
    high: float  # upper end
    rows: int  # rows per side (real and synthetic, equal)
    features: int  # columns the classifier saw
    folds: int  # cross-validation folds
    top_features: tuple[FeatureImportance, ...]  # most telling first, at most TOP_FEATURES
    seconds: float  # time taken

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form: AUC as ``{value, low, high}``, feature names and AUC drops."""
        return {
            "auc": {"value": _r(self.auc), "low": _r(self.low), "high": _r(self.high)},
            "rows": self.rows,
            "features": self.features,
            "folds": self.folds,
            "top_features": [
                {"feature": f.feature, "auc_drop": _r(f.auc_drop)} for f in self.top_features
            ],
            "seconds": round(self.seconds, 2),
        }


@dataclass(frozen=True)
class LakeDetection:
    """Detection on persons (the unit table with a profile of its child rows) and per table."""

    unit_table: str  # the table with one row per person
    persons: Detection | None  # the unit table joined with its child-table profile
    tables: dict[str, Detection]  # each table on its own rows
    skipped: dict[str, str] = field(default_factory=dict)  # table -> why it was not tested
    seconds: float = 0.0  # time taken, all parts

    def to_dict(self) -> dict[str, Any]:
        """The ``fidelity.detection`` block of the twin-evaluation evidence."""
        return {
            "method": "classifier two-sample test (HistGradientBoosting, stratified "
            f"{FOLDS}-fold CV, equal-sized samples); AUC 95% CI: bootstrap over "
            "out-of-fold predictions; top features: permutation importance",
            "unit_table": self.unit_table,
            "person_view": self.persons.to_dict() if self.persons else None,
            "tables": {name: d.to_dict() for name, d in self.tables.items()},
            "skipped": dict(self.skipped),
            "seconds": round(self.seconds, 2),
        }


def table_detection(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    *,
    max_rows: int = MAX_TABLE_ROWS,
    folds: int = FOLDS,
    seed: int = 0,
    n_bootstrap: int = BOOTSTRAP,
    top: int = TOP_FEATURES,
) -> Detection:
    """Classifier two-sample test of one table.

    Both frames are cut to their shared columns and sampled to the same size (at most
    ``max_rows`` each). Dates become days since 1970, text becomes categories (the
    ``_MAX_CATEGORIES`` most frequent; the rest share one code), missing values stay
    missing (the booster handles them).

    Args:
        real: the real rows (no keys: a fresh key would give every synthetic row away).
        synthetic: the synthetic rows.
        max_rows: rows per side at most.
        folds: stratified cross-validation folds.
        seed: seeds the samples, folds, booster, bootstrap and shuffles.
        n_bootstrap: bootstrap replicates of the AUC's interval.
        top: how many telling features to report.

    Returns:
        The detection result.

    Raises:
        FidelityInputError: no shared column, or fewer than ``2 * folds`` rows on a side.
    """
    started = time.perf_counter()
    columns = [c for c in real.columns if c in synthetic.columns]
    if not columns:
        raise FidelityInputError("Detection needs columns that both tables have; none are shared.")
    n = min(len(real), len(synthetic), max_rows)
    if n < 2 * folds:
        raise FidelityInputError(
            f"Detection needs at least {2 * folds} rows on each side; got {len(real)} real "
            f"and {len(synthetic)} synthetic."
        )
    rng = np.random.default_rng(seed)
    both = pd.concat(
        [_sample(real[columns], n, rng), _sample(synthetic[columns], n, rng)], ignore_index=True
    )
    fold = _folds(both, folds, rng)
    y = np.repeat([0, 1], n)
    # Rows equal in every column share a fold: a table of a few distinct rows (one yes/no
    # column) cannot give every fold rows to test and both sides to learn from.
    if any(len(np.unique(y[fold != k])) < 2 or not (fold == k).any() for k in range(folds)):
        raise FidelityInputError(
            f"Detection needs more distinct rows: rows equal in every column share one of "
            f"{folds} folds, and some fold has no test rows or only one side to learn from."
        )
    # A column with no value in some fold's training rows cannot be binned: leave it out.
    kept = [
        c
        for c, column in zip(both.columns, encode(both).T, strict=True)
        if all(np.isfinite(column[fold != k]).any() for k in range(folds))
    ]
    if not kept:
        raise FidelityInputError("Detection needs a column with values; every shared one is empty.")
    both = both[kept]
    x = encode(both)
    oof = np.zeros(2 * n)
    drops = np.zeros(x.shape[1])
    with threadpool_limits(limits=1):  # OpenMP threads spin on a busy shared machine
        for k in range(folds):
            train, test = fold != k, fold == k
            model = booster(seed).fit(x[train], y[train])
            oof[test] = model.predict_proba(x[test])[:, 1]
            if k == 0:  # one fold's shuffles rank the features; all folds would triple the time
                drops = _permutation_drops(model, x[test], y[test], oof[test], rng)
    ci = bootstrap_ci(auroc, y, oof, n_boot=n_bootstrap, seed=seed)
    order = np.argsort(-drops, kind="stable")[:top]
    telling = tuple(
        FeatureImportance(str(both.columns[i]), float(drops[i])) for i in order if drops[i] > 0
    )
    return Detection(
        auc=float(ci.estimate),
        low=float(ci.lower),
        high=float(ci.upper),
        rows=n,
        features=x.shape[1],
        folds=folds,
        top_features=telling,
        seconds=time.perf_counter() - started,
    )


def lake_detection(
    real: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
    metadata: Any,
    *,
    max_persons: int = MAX_PERSONS,
    max_rows: int = MAX_TABLE_ROWS,
    folds: int = FOLDS,
    seed: int = 0,
) -> LakeDetection:
    """Detection on persons (unit table + a profile of every table below it) and per table.

    Args:
        real: the real tables by name.
        synthetic: the synthetic tables, named alike.
        metadata: SDV multi-table metadata (object or dict): keys and relations.
        max_persons: persons per side at most for the person-level test.
        max_rows: rows per side at most for each table's own test.
        folds: stratified cross-validation folds.
        seed: seeds everything.

    Returns:
        The results; a table too small to test is listed in ``skipped`` with the reason.
    """
    started = time.perf_counter()
    meta = metadata_dict(metadata)
    names = [t for t in real if t in synthetic and t in meta["tables"]]
    relations = lake_relations(meta, names)
    unit = unit_table(names, relations)
    tables: dict[str, Detection] = {}
    skipped: dict[str, str] = {}
    for name in names:
        kinds = column_kinds(real[name], set(id_columns(meta, name)))
        own_real, own_syn = (_attributes(t[name], kinds) for t in (real, synthetic))
        try:
            tables[name] = table_detection(
                own_real, own_syn, max_rows=max_rows, folds=folds, seed=seed
            )
        except FidelityInputError as exc:
            skipped[name] = str(exc)
    persons = None
    if relations and any(r[2] == unit for r in relations):
        key = unit_key(meta, unit)
        views = [
            person_view(
                sample_units(t, relations, unit, key, max_persons, seed), meta, relations, unit
            )
            for t in (real, synthetic)
        ]
        try:
            persons = table_detection(
                views[0], views[1], max_rows=max_persons, folds=folds, seed=seed
            )
        except FidelityInputError as exc:
            skipped["person_view"] = str(exc)
    return LakeDetection(unit, persons, tables, skipped, time.perf_counter() - started)


def person_view(
    tables: Mapping[str, pd.DataFrame],
    metadata: Mapping[str, Any],
    relations: list[tuple[str, str, str, str]],
    unit: str,
) -> pd.DataFrame:
    """One row per unit: its own non-key columns and the profile of its rows below (no keys)."""
    key = unit_key(metadata, unit)
    kinds = {
        name: column_kinds(frame, set(id_columns(metadata, name)))
        for name, frame in tables.items()
        if name != unit
    }
    profile = person_profile(tables, unit, key, relations, columns=kinds)
    own = tables[unit].drop(columns=id_columns(metadata, unit)).reset_index(drop=True)
    return pd.concat([own, profile.drop(columns=[key])], axis=1)


def sample_units(
    tables: Mapping[str, pd.DataFrame],
    relations: list[tuple[str, str, str, str]],
    unit: str,
    key: str,
    n: int,
    seed: int,
) -> dict[str, pd.DataFrame]:
    """The tables cut to ``n`` random units and the rows below them."""
    out = dict(tables)
    if len(tables[unit]) <= n:
        return out
    out[unit] = tables[unit].sample(n=n, random_state=seed).reset_index(drop=True)
    level = [unit]
    while level:
        below = []
        for child, column, parent, parent_column in relations:
            if parent in level and child != unit and child not in below:
                kept = out[parent][parent_column]
                out[child] = out[child][out[child][column].isin(kept)].reset_index(drop=True)
                below.append(child)
        level = below
    return out


def encode(frame: pd.DataFrame) -> np.ndarray:
    """A float matrix for the booster.

    Numbers and booleans as they are, dates as days since 1970, everything else as category
    codes in order of frequency (the ``_MAX_CATEGORIES`` most frequent; the rest share one
    code); missing values are NaN. The trees split the codes like numbers: a category takes
    two splits to isolate, and fitting is about twice as fast as with scikit-learn's native
    categories, whose encoder also slows every prediction of the permutation importance.
    """
    out = np.empty((len(frame), frame.shape[1]))
    for j, column in enumerate(frame.columns):
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            stamps = pd.to_datetime(values)
            out[:, j] = ((stamps - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy(
                float, na_value=np.nan
            )
        elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            out[:, j] = pd.to_numeric(values).astype(float).to_numpy(na_value=np.nan)
        else:
            text = values.astype("string")
            frequent = text.value_counts().index[:_MAX_CATEGORIES]
            codes = pd.Series(
                pd.Categorical(text, categories=frequent).codes, index=values.index
            ).astype(float)
            codes[(codes < 0) & text.notna().to_numpy()] = len(frequent)  # a rare value
            codes[text.isna().to_numpy()] = np.nan
            out[:, j] = codes.to_numpy()
    return out


def lake_relations(
    metadata: Mapping[str, Any], names: list[str]
) -> list[tuple[str, str, str, str]]:
    """(child table, child column, parent table, parent column) for relations among ``names``.

    A table's reference to itself (an earlier visit) is left out: it ties no row to a
    person, and walking up from a table through it would never end.
    """
    return [
        (
            r["child_table_name"],
            r["child_foreign_key"],
            r["parent_table_name"],
            r["parent_primary_key"],
        )
        for r in without_self_references(dict(metadata))["relationships"]
        if r["child_table_name"] in names and r["parent_table_name"] in names
    ]


def unit_table(names: list[str], relations: list[tuple[str, str, str, str]]) -> str:
    """The table with one row per person: the root with the most tables below it."""
    children: dict[str, list[str]] = {}
    for child, _, parent, _ in relations:
        children.setdefault(parent, []).append(child)
    has_parent = {child for child, *_ in relations}

    def below(table: str, seen: frozenset[str] = frozenset()) -> int:
        kids = [c for c in children.get(table, []) if c not in seen]
        return sum(1 + below(c, seen | {table}) for c in kids)

    roots = [n for n in names if n not in has_parent] or names
    return max(roots, key=lambda n: (below(n), -names.index(n)))


def unit_key(metadata: Mapping[str, Any], table: str) -> str:
    """The unit table's primary key (else the column its children refer to)."""
    key = metadata["tables"][table].get("primary_key")
    if not isinstance(key, str):
        referred = [
            r["parent_primary_key"]
            for r in metadata.get("relationships", [])
            if r["parent_table_name"] == table
        ]
        key = referred[0] if referred else None
    if not isinstance(key, str):
        raise FidelityInputError(
            f"Table {table!r} has no single-column primary key in the metadata; the person "
            "view needs one."
        )
    return key


def id_columns(metadata: Mapping[str, Any], table: str) -> list[str]:
    """Key columns of a table (sdtype ``id``, primary and foreign keys)."""
    info = metadata["tables"][table]
    ids = {c for c, spec in info.get("columns", {}).items() if spec.get("sdtype") == "id"}
    if isinstance(info.get("primary_key"), str):
        ids.add(info["primary_key"])
    for r in metadata.get("relationships", []):
        if r["child_table_name"] == table:
            ids.add(r["child_foreign_key"])
    return sorted(ids)


def booster(seed: int, early_stopping: bool = False) -> HistGradientBoostingClassifier:
    """The gradient-boosting classifier of the detection and utility checks.

    Detection fits a fixed 50 rounds at rate 0.2 (each fold alike, half the time of 100 at
    0.1); utility fits up to 100 rounds at 0.1 and stops early on a seeded tenth of its
    training rows, so that its risks are not overfitted (their calibration is compared).
    """
    return HistGradientBoostingClassifier(
        max_iter=100 if early_stopping else 50,
        learning_rate=0.1 if early_stopping else 0.2,
        early_stopping=early_stopping,
        random_state=seed,
    )


def _permutation_drops(
    model: HistGradientBoostingClassifier,
    x: np.ndarray,
    y: np.ndarray,
    p: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """AUC lost on this fold when each feature alone is shuffled."""
    base = auroc(y, p)
    drops = np.zeros(x.shape[1])
    shuffled = x.copy()
    for j in range(x.shape[1]):
        shuffled[:, j] = rng.permutation(x[:, j])
        drops[j] = base - auroc(y, model.predict_proba(shuffled)[:, 1])
        shuffled[:, j] = x[:, j]
    return drops


def _folds(frame: pd.DataFrame, folds: int, rng: np.random.Generator) -> np.ndarray:
    """A fold per row, at random, with rows equal in every column in the same fold."""
    groups = pd.factorize(pd.util.hash_pandas_object(frame, index=False))[0]
    order = rng.permutation(groups.max() + 1)
    return np.asarray(order[groups] % folds)


def _attributes(frame: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """A table's attribute columns (no keys), numbers written as text turned into numbers."""
    out = frame[list(kinds)].copy()
    for column, kind in kinds.items():
        if kind == "numerical" and not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = as_number(out[column])
    return out


def _sample(frame: pd.DataFrame, n: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= n:
        return frame.reset_index(drop=True)
    rows = np.sort(rng.choice(len(frame), size=n, replace=False))
    return frame.iloc[rows].reset_index(drop=True)


def _r(value: float) -> float | None:
    return round(float(value), 4) if np.isfinite(value) else None
