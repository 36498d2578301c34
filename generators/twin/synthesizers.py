"""Single-table synthesizers behind one small interface.

SDV, RDT, CTGAN and copulas are licensed BUSL-1.1: offering them as a
"Synthetic Data Service" needs a commercial licence. Keeping them behind
:class:`TableSynthesizer` means a differently licensed model can replace them
without touching the twin builder.
"""

from __future__ import annotations

import warnings
import zlib
from typing import Any, Protocol

import numpy as np
import pandas as pd
from rdt.transformers import UniformEncoder
from rdt.transformers.utils import fill_nan_with_none
from scipy import stats

from common.numbers import to_numbers
from generators.twin.constraints import DELTA
from generators.twin.latent import EmpiricalMarginal, conditional_latent, latent_correlation

SYNTHESIZERS = ("gaussian_copula", "ctgan", "tvae")
_DAY_NS = 86_400 * 10**9
_LATENT_ROWS = 50_000  # rows the latent correlations are estimated on (a seeded sample)
# Categories with more values than this keep SDV's uniform noise: laid out on one axis
# in scaled order, a long code list is not ordinal, and treating it as one latent
# variable tied every code's other columns to its neighbours on the axis (a hip
# fracture took the diagnosis type of the codes beside it: 8% primary, not 100%).
# The noise hardly shrinks their correlations anyway: with many small categories,
# Var(E[z | category]) is close to 1.
_LATENT_LEVELS = 20
_EPS = float(np.finfo(np.float32).eps)  # probabilities kept off 0 and 1, as copulas does
CTX = "__ctx__"  # prefix of parent (context) columns a child table is modelled with


class TableSynthesizer(Protocol):
    """Learns one table's joint distribution and samples new rows from it."""

    def fit(self, frame: pd.DataFrame, categorical: set[str]) -> TableSynthesizer:
        """Learn from ``frame`` (no key columns); ``categorical`` names category columns."""
        ...

    def sample(self, num_rows: int, seed: int) -> pd.DataFrame:
        """``num_rows`` new rows with the fitted columns, deterministic for ``seed``."""
        ...

    def sample_conditional(self, context: pd.DataFrame, seed: int) -> pd.DataFrame:
        """One row per row of ``context``, drawn given the context columns' values.

        Raises:
            NotImplementedError: this synthesizer cannot condition on per-row values.
        """
        ...


def is_code_like(series: pd.Series) -> bool:
    """A numeric column that holds codes or few levels, not quantities: modelled as categories.

    Few distinct values (sex, severity 0-4/9, pack sizes, reference limits), or integers
    scattered over a wide range (municipality codes 101-860): a continuous model would
    invent values that do not exist.
    """
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    values = series.dropna()
    distinct = values.nunique()
    if distinct <= 20:
        return True
    if not pd.api.types.is_integer_dtype(series):
        return False
    span = float(values.max()) - float(values.min()) + 1
    return distinct <= 500 and distinct < 0.5 * span


def column_sdtype(series: pd.Series, categorical: bool = False) -> dict[str, Any]:
    """SDV column metadata from a pandas dtype (no auto-detection of ids or PII)."""
    if categorical:
        return {"sdtype": "categorical"}
    if pd.api.types.is_bool_dtype(series):
        return {"sdtype": "boolean"}
    if pd.api.types.is_datetime64_any_dtype(series):
        return {"sdtype": "datetime"}
    if pd.api.types.is_numeric_dtype(series):
        return {"sdtype": "numerical"}
    return {"sdtype": "categorical"}


class OrderedUniformEncoder(UniformEncoder):
    """RDT's UniformEncoder with categories laid out in a chosen order (default: sorted).

    RDT lays categories out in order of first appearance, which scrambles counts and
    levels; sorted, the copula sees 0 < 1 < 2 and can correlate them with other columns.

    Args:
        order: the categories in the order to lay them out (others follow, sorted).
    """

    def __init__(self, order: list[Any] | None = None) -> None:
        super().__init__()
        self.order = order

    def _fit(self, data: pd.Series) -> None:
        self.dtype = data.dtypes
        data = fill_nan_with_none(data)
        present = pd.unique(data[data.notna()])
        first = [v for v in (self.order or []) if v in set(present)]
        rest = sorted(set(present) - set(first))
        labels = first + rest + ([None] if data.isna().any() else [])
        counts = data[data.notna()].value_counts() / len(data)
        missing = float(data.isna().mean())
        freq = [missing if label is None else counts[label] for label in labels]
        self.frequencies, self.intervals = self._compute_frequencies_intervals(
            labels, np.asarray(freq, dtype=float)
        )


def scaled_order(frame: pd.DataFrame, col: str, columns: dict[str, Any]) -> list[Any]:
    """Categories of ``col`` ordered along the direction that separates them most.

    A copula places a category column on one axis and correlates it linearly, so with
    many categories the order decides what it can learn. Each category's mean of the
    other columns (standardised numbers; indicators for few-valued categories) is
    projected on the first principal axis of those means, weighted by size: a diagnosis
    of the old lands next to other diagnoses of the old, so "older" can mean "more of
    those" (optimal scaling, as in correspondence analysis).
    """
    parts = []
    for other, meta in columns.items():
        if other == col:
            continue
        values = frame[other]
        if meta["sdtype"] in ("numerical", "datetime") or (
            meta["sdtype"] == "categorical" and pd.api.types.is_numeric_dtype(values)
        ):
            numbers = to_numbers(values)
            spread = numbers.std()
            if spread and np.isfinite(spread):
                parts.append(((numbers - numbers.mean()) / spread).fillna(0.0).rename(other))
        elif 1 < values.nunique() <= 20:
            parts.append(pd.get_dummies(values, prefix=other, dtype=float))
    present = frame[col].dropna()
    if not parts or present.nunique() < 3:
        return sorted(present.unique())
    matrix = pd.concat(parts, axis=1).loc[present.index]
    means = matrix.groupby(present.to_numpy()).mean()
    weights = present.value_counts().reindex(means.index).to_numpy(dtype=float)
    centred = means.to_numpy() - np.average(means.to_numpy(), axis=0, weights=weights)
    _, _, axes = np.linalg.svd(centred * np.sqrt(weights)[:, None], full_matrices=False)
    score = centred @ axes[0]
    if score[np.argmax(np.abs(score))] < 0:  # a fixed sign, whatever the SVD returned
        score = -score
    return [means.index[i] for i in np.lexsort((means.index.astype(str), score))]


class SDVTableSynthesizer:
    """An SDV single-table synthesizer (GaussianCopula, CTGAN or TVAE).

    Args:
        kind: one of :data:`SYNTHESIZERS`.
        epochs: training epochs for CTGAN and TVAE (ignored by GaussianCopula).
        one_hot_max: text categories with at most this many values get one indicator each;
            by default none do. A copula's indicators under-draw rare values (a category on
            1% of rows came out on 0.03% of twin rows), so every text category with three
            or more values is laid out on one axis in :func:`scaled_order` instead, which
            keeps each value's share exactly.
        latent: Gaussian copula only. Every marginal becomes the column's quantile
            curve (:class:`~generators.twin.latent.EmpiricalMarginal`; SDV's truncated
            normal gave 3.5 times too many persons aged 90+), and the correlations are
            re-estimated with categories as intervals of their latent axis
            (:func:`~generators.twin.latent.latent_correlation`; SDV measures them on
            uniform noise inside each category, which halved a death flag's link to
            age). Off by default; see :class:`~generators.twin.builder.TwinBuilder`.
        empirical_dates: Gaussian copula only: date columns get the column's quantile curve
            as their marginal even without ``latent`` (correlations then measured again on
            it, as SDV measures them). A birth date is far from a truncated normal: on the
            simulated lake (8,000 persons) SDV's gave 2.5 times the persons over 90 and 30%
            too few aged 70-80, and the twin's hip fractures (of the old) fell with them.
            Durations after a date (a contact's length) too: SDV's truncated normal made
            the lake's hour-long outpatient visits (median 0.05 days, 90% under 2) a day
            long (median 1.0, 90% under 2.5), and a week's stay rare.
    """

    _TABLE = "table"

    def __init__(
        self,
        kind: str = "gaussian_copula",
        epochs: int = 100,
        one_hot_max: int = 0,
        latent: bool = False,
        empirical_dates: bool = True,
    ) -> None:
        self.kind = kind
        self.epochs = epochs
        self.one_hot_max = one_hot_max
        self.latent = latent
        self.empirical_dates = empirical_dates

    def _make(self, metadata: Any) -> Any:
        from sdv.single_table import (
            CTGANSynthesizer,
            GaussianCopulaSynthesizer,
            TVAESynthesizer,
        )

        if self.kind == "gaussian_copula":
            # With latent fitting every marginal is replaced by an empirical one, so SDV
            # need only fit the quickest.
            marginal = "norm" if self.latent else "truncnorm"
            return GaussianCopulaSynthesizer(metadata, default_distribution=marginal)
        if self.kind == "ctgan":
            return CTGANSynthesizer(metadata, epochs=self.epochs)
        if self.kind == "tvae":
            return TVAESynthesizer(metadata, epochs=self.epochs)
        choices = ", ".join(SYNTHESIZERS)
        raise ValueError(f"unknown synthesizer {self.kind!r}; choose one of {choices}")

    def fit(self, frame: pd.DataFrame, categorical: set[str] | None = None) -> SDVTableSynthesizer:
        from sdv.metadata import Metadata

        categorical = categorical or set()
        self.columns_ = list(frame.columns)
        self.datetimes_ = [
            c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])
        ]
        frame = self._to_numbers(frame)
        self.text_ = {c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])}
        columns = {c: column_sdtype(frame[c], c in categorical) for c in frame.columns}
        metadata = Metadata.load_from_dict({"tables": {self._TABLE: {"columns": columns}}})
        self.model_ = self._make(metadata)
        if self.columns_:
            if self.kind == "gaussian_copula":
                self._choose_encoders(frame, columns)
            if self.kind == "gaussian_copula" and self.latent:
                processed = self.model_.preprocess({self._TABLE: frame})
                self.model_.fit_processed_data(processed)
                self._fit_latent(processed[self._TABLE])
            elif self.kind == "gaussian_copula" and self.empirical_dates and self._timed(frame):
                processed = self.model_.preprocess({self._TABLE: frame})
                self.model_.fit_processed_data(processed)
                self._fit_empirical_dates(processed[self._TABLE])
            else:
                self.model_.fit({self._TABLE: frame})
        return self

    def _intervals(self, processed: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each cell's interval on its latent normal axis, where it is known only so far.

        A category encoded by a uniform encoder owns one interval of ``[0, 1]``, its
        share wide; a number held by many rows (a point mass of an
        :class:`~generators.twin.latent.EmpiricalMarginal`) owns its interval of
        probability. Other cells are points (lower = upper). The outermost intervals
        reach to infinity. Returns lower bounds, upper bounds (rows x columns, in
        ``processed``'s column order) and which columns have intervals.
        """
        copula = self.model_._model
        fields = self.model_._data_processor._hyper_transformer.field_transformers
        univariates = dict(zip(copula.columns, copula.univariates, strict=True))
        n, d = processed.shape
        lower = np.full((n, d), -np.inf)
        upper = np.full((n, d), np.inf)
        interval = np.zeros(d, dtype=bool)
        for j, column in enumerate(processed.columns):
            univariate = univariates[column]
            encoder = fields.get(column)
            values = processed[column].to_numpy(dtype=float)
            if isinstance(encoder, UniformEncoder):
                if len(encoder.intervals) > _LATENT_LEVELS and column in self.text_:
                    continue  # a code list: its noise stays (see _LATENT_LEVELS)
                bounds = np.array(sorted(encoder.intervals.values()), dtype=float)
            elif isinstance(univariate, EmpiricalMarginal) and univariate.masses:
                point = stats.norm.ppf(np.clip(univariate.cdf(values), _EPS, 1 - _EPS))
                lower[:, j] = upper[:, j] = point
                for value, (lo, hi) in univariate.masses.items():
                    held = values == value
                    lower[held, j], upper[held, j] = stats.norm.ppf([lo, hi])
                interval[j] = True
                continue
            else:
                continue
            if len(bounds) < 2:
                continue
            which = np.clip(np.searchsorted(bounds[:, 0], values, side="right") - 1, 0, None)
            edges = np.clip(univariate.cdf(bounds.ravel()), 0.0, 1.0).reshape(bounds.shape)
            edges_z = stats.norm.ppf(edges)
            edges_z[0, 0], edges_z[-1, 1] = -np.inf, np.inf
            lower[:, j] = edges_z[which, 0]
            upper[:, j] = edges_z[which, 1]
            interval[j] = True
        return lower, upper, interval

    def _fit_latent(self, processed: pd.DataFrame) -> None:
        """Empirical marginals, and latent correlations in place of SDV's noisy ones.

        Each column's marginal becomes its quantile curve
        (:class:`~generators.twin.latent.EmpiricalMarginal`; a category's axis is
        exactly uniform), and the correlations are re-estimated with categories and
        point masses as intervals (:func:`~generators.twin.latent.latent_correlation`)
        on up to 50,000 rows.
        """
        copula = self.model_._model
        fields = self.model_._data_processor._hyper_transformer.field_transformers
        processed = processed[copula.columns]
        copula.univariates = [
            EmpiricalMarginal(
                processed[column].to_numpy(dtype=float),
                uniform=isinstance(fields.get(column), UniformEncoder),
            )
            for column in copula.columns
        ]
        rows = processed
        if len(rows) > _LATENT_ROWS:
            rows = processed.sample(n=_LATENT_ROWS, random_state=len(processed) % 2**32)
        z = copula._transform_to_normal(rows)
        lower, upper, interval = self._intervals(rows)
        z = np.where(interval, np.clip(z, lower, upper), z)
        if len(copula.columns) > 1 and len(rows) > 2:
            corr = latent_correlation(z, lower, upper, interval, np.random.default_rng(len(rows)))
        else:
            corr = np.eye(len(copula.columns))
        copula.correlation = pd.DataFrame(corr, index=copula.columns, columns=copula.columns)

    def _timed(self, frame: pd.DataFrame) -> list[str]:
        """The dates, and the durations after a date (``constraints.DELTA``: a contact's
        length), whose marginals are their quantile curves (``empirical_dates``)."""
        return [*self.datetimes_, *(c for c in frame.columns if c.startswith(DELTA))]

    def _fit_empirical_dates(self, processed: pd.DataFrame) -> None:
        """Date and duration columns' marginals become their quantile curves; correlations
        measured again."""
        copula = self.model_._model
        timed = self._timed(processed)
        processed = processed[copula.columns]
        changed = False
        for i, column in enumerate(copula.columns):
            if column in timed:
                values = processed[column].to_numpy(dtype=float)
                if np.isfinite(values).sum() >= 10:
                    copula.univariates[i] = EmpiricalMarginal(values)
                    changed = True
        if changed and len(copula.columns) > 1:
            copula.correlation = copula._get_correlation(processed)

    def _to_numbers(self, frame: pd.DataFrame) -> pd.DataFrame:
        # Datetimes are modelled as float days: SDV validates datetimes value by value in
        # Python (most of the fitting time on lake tables); numbers it checks in one pass.
        present = [c for c in self.datetimes_ if c in frame.columns]
        if not present:
            return frame
        frame = frame.copy()
        for col in present:
            values = frame[col].to_numpy(dtype="datetime64[ns]")
            days = values.astype("int64").astype(float) / _DAY_NS
            days[np.isnat(values)] = np.nan
            frame[col] = days
        return frame

    def _to_datetimes(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        for col in self.datetimes_:
            if col in frame.columns:
                days = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float)
                frame[col] = pd.to_datetime(np.round(days * _DAY_NS), unit="ns", errors="coerce")
        return frame

    def _choose_encoders(self, frame: pd.DataFrame, columns: dict[str, Any]) -> None:
        """Encoders that keep what a Gaussian copula can learn about categories.

        SDV's default maps a category column onto one uniform axis in arbitrary order,
        which a copula can only correlate monotonically. Numeric categories (counts,
        severities, 0/1 flags) keep their numeric order on that axis, so "more contacts"
        still goes with "older"; text categories are laid out along the direction that
        separates them most (:func:`scaled_order`), so a diagnosis of the old still comes
        out among the old.
        """
        from rdt.transformers import OneHotEncoder

        chosen: dict[str, Any] = {}
        for col, meta in columns.items():
            if meta["sdtype"] != "categorical":
                continue
            if pd.api.types.is_numeric_dtype(frame[col]):
                chosen[col] = OrderedUniformEncoder()
            elif 2 < frame[col].nunique() <= self.one_hot_max:
                chosen[col] = OneHotEncoder()
            elif frame[col].nunique() > 2:  # laid out in the order that separates them most
                chosen[col] = OrderedUniformEncoder(scaled_order(frame, col, columns))
        if not chosen:
            return
        self.model_.auto_assign_transformers({self._TABLE: frame})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SDV warns that one-hot encoding is slower
            self.model_.update_transformers(chosen)

    def _seed_transformers(self, seed: int) -> None:
        """Seed SDV's per-column transformers, which draw their own random numbers."""
        processor = self.model_._data_processor
        fields = processor._hyper_transformer.field_transformers
        # Seeded by column name, not position: RDT's field order can follow Python's
        # per-process string hashing, and a Ray worker is another process.
        for column, transformer in sorted(fields.items(), key=lambda item: repr(item[0])):
            if transformer is not None and hasattr(transformer, "set_random_state"):
                column_seed = (seed + zlib.crc32(repr(column).encode())) % 2**32
                for method in ("transform", "reverse_transform"):
                    transformer.set_random_state(np.random.RandomState(column_seed), method)

    def sample(self, num_rows: int, seed: int) -> pd.DataFrame:
        if not self.columns_ or num_rows == 0:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in self.columns_}).reindex(
                range(num_rows)
            )
        self.model_._set_random_state(seed)
        self._seed_transformers(seed)
        sampled = self.model_.sample(num_rows)[self._TABLE]
        return self._to_datetimes(sampled.reset_index(drop=True)[self.columns_])

    def sample_conditional(self, context: pd.DataFrame, seed: int) -> pd.DataFrame:
        """Gaussian-copula rows conditioned on each context row (closed form, vectorised).

        In the copula's latent normal space the sampled columns given the context
        are normal with mean ``z_ctx @ inv(S_cc) @ S_cs`` and one shared covariance,
        so every row gets its own conditional draw in a few matrix products. Uses
        SDV's fitted transformers and copula (``_data_processor``, ``_model``),
        which SDV 2.0 keeps as attributes; pinned by the project's bounds on sdv.
        """
        if self.kind != "gaussian_copula":
            raise NotImplementedError(f"{self.kind} cannot condition on per-row values")
        n = len(context)
        if n == 0 or not self.columns_:
            return self.sample(n, seed)
        processor = self.model_._data_processor
        copula = self.model_._model
        self._seed_transformers(seed)
        with warnings.catch_warnings():
            # A stratum model may not have seen every parent category (a municipality with
            # no HbA1c results); RDT then places it at random on the category axis.
            warnings.filterwarnings("ignore", message=".*new categories.*")
            given = processor.transform(self._to_numbers(context), is_condition=True)
        given = given[[c for c in copula.columns if c in given.columns]]
        free = [c for c in copula.columns if c not in given.columns]
        corr = copula.correlation.to_numpy()
        index = {c: i for i, c in enumerate(copula.columns)}
        gi = [index[c] for c in given.columns]
        fi = [index[c] for c in free]
        z_given = copula._transform_to_normal(given)
        if getattr(self, "latent", False):  # a given category is an interval, not a point
            lower, upper, interval = self._intervals(given)
            z_given = conditional_latent(
                np.clip(z_given, lower, upper),
                lower,
                upper,
                interval,
                corr[np.ix_(gi, gi)],
                np.random.default_rng([seed, 1]),
            )
        weights = np.linalg.lstsq(corr[np.ix_(gi, gi)], corr[np.ix_(gi, fi)], rcond=None)[0]
        mean = z_given @ weights
        cov = corr[np.ix_(fi, fi)] - corr[np.ix_(fi, gi)] @ weights
        eigval, eigvec = np.linalg.eigh((cov + cov.T) / 2)
        root = eigvec * np.sqrt(np.clip(eigval, 0.0, None))
        rng = np.random.default_rng(seed)
        z_free = mean + rng.standard_normal((n, len(fi))) @ root.T
        latent = {c: given[c].to_numpy() for c in given.columns}
        u = stats.norm.cdf(z_free)
        for j, column in enumerate(free):
            latent[column] = copula.univariates[index[column]].percent_point(u[:, j])
        raw = pd.DataFrame(latent, columns=copula.columns)
        sampled = processor.reverse_transform(raw).reset_index(drop=True)
        return self._to_datetimes(sampled[[c for c in self.columns_ if c not in context.columns]])
