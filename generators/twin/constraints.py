"""Rules every twin row must obey, learned from the real table.

Learned, not declared, so they work on any lake: a rule is kept only when it
holds in every real row. Before fitting, :meth:`TableRules.encode` rewrites
columns so the synthesizer cannot break a rule (an end time becomes a
non-negative duration after its start; a date bounded by its parent's dates
becomes a position between them); after sampling, :meth:`TableRules.decode`
rebuilds the columns and enforces what is left (derived hierarchy columns,
ranges, integer types, date resolution).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from common.numbers import to_numbers

DAY_NS = 86_400 * 10**9
# Reparametrised column names; they never clash with lake columns.
DELTA = "__delta__"
POSITION = "__position__"
NUMBER = "__number__"  # the numeric part of a text column that mostly holds numbers
TOKEN = "__token__"  # its non-numeric part (POSITIV, NEGATIV, ...)
MASS = "__mass__"  # whether a date is the one date that holds many rows (an index date)
MASS_SHARE = 0.05  # a date held by this share of a column's rows is drawn as itself


def is_numeric_text(series: pd.Series) -> bool:
    """A text column whose values are mostly decimal numbers (laboratory results as delivered).

    Modelled as a number plus a token column, so values follow a continuous distribution
    (and their analysis) instead of being thousands of unrelated categories.
    """
    if not (pd.api.types.is_object_dtype(series) or pd.api.types.is_string_dtype(series)):
        return False
    values = series.dropna()
    if values.nunique() <= 20:
        return False
    if not written_as_numbers(values):
        return False
    numbers = to_numbers(values)
    # Codes written with digits (municipality "101", product numbers) are whole numbers;
    # measurements have decimals somewhere.
    measured = numbers.dropna()
    return float((measured % 1 != 0).mean()) >= 0.05


def written_as_numbers(series: pd.Series) -> bool:
    """Whether 80% or more of a column's values read as decimal numbers: results written as
    text (a panel's 92, 171; 7.2), never codes or events (``is_numeric_text`` then asks
    whether they are measurements with decimals)."""
    values = series.dropna()
    return bool(len(values)) and float(to_numbers(values).notna().mean()) >= 0.8


def _split_numeric_text(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = series.astype(object)
    numbers = to_numbers(text)
    tokens = text.where(numbers.isna() & text.notna(), None)
    return numbers, tokens


def is_datetime(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series)


def to_days(series: pd.Series) -> np.ndarray:
    """Datetimes as float days since the epoch (NaN for NaT)."""
    values = pd.to_datetime(series).to_numpy(dtype="datetime64[ns]")
    out = values.astype("int64").astype(float) / DAY_NS
    out[np.isnat(values)] = np.nan
    return out


def from_days(days: np.ndarray, date_only: bool) -> pd.Series:
    out = pd.Series(pd.to_datetime(np.round(days * DAY_NS), unit="ns", errors="coerce"))
    return out.dt.floor("D") if date_only else out.dt.floor("s")


def _always(mask: pd.Series | np.ndarray) -> bool:
    mask = np.asarray(mask, dtype=bool)
    return bool(mask.size) and bool(mask.all())


@dataclass(frozen=True)
class Formula:
    """A number that is a product of powers of other columns of its row, times a constant:
    ``bmi = 10,000 * weight**1 * height**-2``. Present exactly where its inputs are.

    Drawn by a copula, such a column agrees with its inputs only on average: the twin's
    persons then weigh what their height and BMI deny, which a classifier sees at once.
    """

    inputs: tuple[str, ...]
    powers: tuple[float, ...]
    log_constant: float
    decimals: int | None  # the real column's rounding (None: not rounded)

    def compute(self, frame: pd.DataFrame) -> pd.Series:
        """The column from its inputs (missing where an input is missing or not positive)."""
        log = np.full(len(frame), self.log_constant)
        for column, power in zip(self.inputs, self.powers, strict=True):
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                log = log + power * np.log(np.where(values > 0, values, np.nan))
        values = np.exp(log)
        if self.decimals is not None:
            values = np.round(values, self.decimals)
        return pd.Series(values, index=frame.index)


@dataclass
class TableRules:
    """Rules learned from one table (own columns plus read-only context columns).

    Attributes are filled by :func:`learn_rules`.
    """

    # column -> earlier column of the same table it never precedes (end >= start)
    after: dict[str, str] = field(default_factory=dict)
    # column -> (lower, upper) context columns it lies between (either may be None)
    bounds: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # derived column -> (determining column, mapping): reg is a function of kom
    derived: dict[str, tuple[str, dict]] = field(default_factory=dict)
    # column computed from others: BMI from weight and height (see Formula)
    formulas: dict[str, Formula] = field(default_factory=dict)
    # column drawn given a code column -> (code column, {code: (values, probabilities)}):
    # a diagnosis's type (primary or secondary) is mostly decided by the code
    dependent: dict[str, tuple[str, dict[Any, tuple[list[Any], np.ndarray]]]] = field(
        default_factory=dict
    )
    # numeric and datetime ranges (as float days for datetimes) seen in the real table
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    # text columns of decimal numbers -> {number: how the real column writes it}
    numeric_values: dict[str, dict[float, str]] = field(default_factory=dict)
    complete: list[str] = field(default_factory=list)  # columns never missing in the real table
    # `after` columns stored as a duration from their anchor (short gaps, e.g. contact end);
    # the others as a position between the anchor and the real maximum (death after birth)
    durations: list[str] = field(default_factory=list)
    # `after` column -> a column after the same anchor it never passes: stored as a position
    # between the two (a procedure folded into its contact lies between start and end)
    within: dict[str, str] = field(default_factory=dict)
    integer: list[str] = field(default_factory=list)  # integer columns, kept integer
    # date column -> the day (float days) that holds MASS_SHARE of its rows or more: drawn
    # as a yes/no column and the column's other dates (a copula smooths a spike away)
    masses: dict[str, float] = field(default_factory=dict)
    date_only: list[str] = field(default_factory=list)  # datetimes that are whole days
    # code list -> its CodeModel (generators.twin.codes): drawn given the row and its parent
    codes: dict[str, Any] = field(default_factory=dict)
    # column -> the value each parent holds on exactly one row (a contact's primary diagnosis)
    once: dict[str, Any] = field(default_factory=dict)
    # `once` columns held once per parent in `decode` before the code lists, which read them
    # (a contact's primary row is chosen first and its code drawn as a primary one)
    leads: list[str] = field(default_factory=list)
    # column -> ({value: real share}, a CodeModel of it given the parent, or None): no parent
    # holds a value twice (a person's drug series are one per drug)
    distinct: dict[str, tuple[dict[Any, float], Any]] = field(default_factory=dict)
    # the parent's lengths that follow this table's lead code (generators.twin.lengths)
    lengths: list[Any] = field(default_factory=list)
    dtypes: dict[str, str] = field(default_factory=dict)  # original dtype per column

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A twin stored before a rule existed loads with that rule empty.
        self.__dict__.update({**vars(TableRules()), **state})

    # -- encode / decode ---------------------------------------------------------------------

    def encode(self, frame: pd.DataFrame, context: pd.DataFrame | None) -> pd.DataFrame:
        """Rewrite ``frame`` so the synthesizer cannot break the rules."""
        out = frame.drop(columns=[*self.derived, *self.dependent, *self.formulas])
        for col in self.numeric_values:
            out[NUMBER + col], out[TOKEN + col] = _split_numeric_text(frame[col])
            out = out.drop(columns=[col])
        for col, day in self.masses.items():
            days = to_days(frame[col])
            held = days == day
            others = days[~held & ~np.isnan(days)]
            rng = np.random.default_rng(len(frame))  # the spike's rows get other real dates
            days = np.where(held, rng.choice(others, len(days)) if len(others) else days, days)
            out[MASS + col] = held
            out[col] = from_days(days, col in self.date_only)
        for col, (lower, upper) in self.bounds.items():
            lo, hi = self._interval(col, lower, upper, context, len(frame))
            out[POSITION + col] = _position(to_days(frame[col]), lo, hi)
            out = out.drop(columns=[col])
        for col, anchor in self.after.items():
            start, value = to_days(frame[anchor]), to_days(frame[col])
            if col in self.within:
                end = to_days(frame[self.within[col]])
                out[POSITION + col] = _position(value, start, np.maximum(end, start))
            elif col in self.durations:
                out[DELTA + col] = np.maximum(value - start, 0.0)
            else:
                low, high = self.ranges[col]
                out[POSITION + col] = _position(
                    value, np.maximum(start, low), np.full_like(start, high)
                )
            out = out.drop(columns=[col])
        return out

    def decode(
        self,
        sampled: pd.DataFrame,
        context: pd.DataFrame | None,
        seed: int = 0,
        parent_row: np.ndarray | None = None,
    ) -> pd.DataFrame:
        """Rebuild the original columns of ``sampled`` and enforce every rule.

        ``seed`` drives the draws of dependent columns given their code; ``parent_row`` (each
        row's parent) lets the ``leads`` hold once per parent before the codes are drawn.
        """
        out = sampled.copy()
        for col, day in self.masses.items():
            held = out.pop(MASS + col).astype("boolean").fillna(False).to_numpy(dtype=bool)
            days = to_days(out[col])
            out[col] = from_days(np.where(held, day, days), col in self.date_only)
        for col in self.numeric_values:
            numbers = pd.to_numeric(out.pop(NUMBER + col), errors="coerce")
            tokens = out.pop(TOKEN + col)
            if col in self.complete:  # the parts' gaps were drawn apart; the real column has none
                numbers = numbers.where(numbers.notna() | tokens.notna(), numbers.median())
            out[col] = tokens.where(tokens.notna(), self._nearest_real_text(col, numbers))
        for col, (lower, upper) in self.bounds.items():
            lo, hi = self._interval(col, lower, upper, context, len(out))
            position = out.pop(POSITION + col).to_numpy(dtype=float)
            out[col] = from_days(_place(position, lo, hi), col in self.date_only)
        for col, anchor in self._after_in_order():
            low, high = self.ranges[col]
            start = to_days(out[anchor])
            lo = np.maximum(start, low)  # never before the anchor, never before the real minimum
            if col in self.within:  # decoded after the column it never passes: between the
                # two and within its real range; where the two allow no date of that range (a
                # contact ended before the first real procedure), the range wins
                end = to_days(out[self.within[col]])
                hi = np.minimum(np.where(np.isnan(end), high, end), high)
                days = _place(out.pop(POSITION + col).to_numpy(dtype=float), lo, np.maximum(hi, lo))
            elif col in self.durations:
                delta = np.maximum(out.pop(DELTA + col).to_numpy(dtype=float), 0.0)
                days = np.clip(start + delta, lo, np.maximum(high, lo))
            else:
                days = _place(
                    out.pop(POSITION + col).to_numpy(dtype=float), lo, np.full_like(lo, high)
                )
            out[col] = from_days(days, col in self.date_only and anchor in self.date_only)
        rng = np.random.default_rng(seed)
        if self.leads and parent_row is not None:  # before the codes, which read them
            leads = {col: self.once[col] for col in self.leads}
            out = once_per_parent(out, parent_row, leads, {}, rng)
        if self.codes:  # after the dates (ages are inputs), before what follows a code
            given = out if context is None else pd.concat([out, context], axis=1)
            for col, model in self.codes.items():
                drawn = pd.Series(model.draw(given, rng), index=out.index)
                # a column that follows a code is drawn before it, then from it again
                out[col] = drawn.where(out[col].notna(), None) if col in out else drawn
                given[col] = out[col]  # an input of the code lists drawn after it
        if self.distinct and parent_row is not None:  # before what follows the value
            for col, (shares, model) in self.distinct.items():  # models read the parent only
                out[col] = distinct_per_parent(out[col], parent_row, shares, rng, model, context)
        for col, (source, mapping) in self.derived.items():
            out[col] = out[source].map(mapping)
        for col, (source, table) in self.dependent.items():
            out[col] = _draw_given(out[source], table, rng)
        for col, (low, high) in self.ranges.items():  # a last guard; keeps `after` order too
            if col not in out:
                continue  # formulas are not in `out` yet: they follow their inputs
            if is_datetime(out[col]):
                out[col] = from_days(np.clip(to_days(out[col]), low, high), col in self.date_only)
            else:
                out[col] = pd.to_numeric(out[col], errors="coerce").clip(low, high)
        for col in [c for c in self.integer if c not in self.formulas]:
            out[col] = self._whole(col, out[col])
        for col, formula in self.formulas.items():  # from the final inputs, never clipped
            out[col] = formula.compute(out)
            out[col] = self._whole(col, out[col]) if col in self.integer else out[col]
        return out

    def _whole(self, col: str, values: pd.Series) -> pd.Series:
        """An integer column's values rounded, in its real dtype (nullable if any is missing)."""
        rounded = pd.to_numeric(values, errors="coerce").round()
        return rounded.astype("Int64" if rounded.isna().any() else self.dtypes[col])

    def _nearest_real_text(self, col: str, numbers: pd.Series) -> pd.Series:
        """Each number written as the closest value the real column holds ("7.2", "78")."""
        real = self.numeric_values[col]
        values = np.sort(np.asarray(list(real), dtype=float))
        x = numbers.to_numpy(dtype=float)
        idx = np.clip(np.searchsorted(values, x), 1, len(values) - 1) if len(values) > 1 else 0
        if len(values) > 1:
            left, right = values[idx - 1], values[idx]
            nearest = np.where(np.abs(x - left) <= np.abs(right - x), left, right)
        else:
            nearest = np.full(len(x), values[0] if len(values) else np.nan)
        text = [
            None if np.isnan(v) or np.isnan(n) else real[n] for v, n in zip(x, nearest, strict=True)
        ]
        return pd.Series(text, index=numbers.index, dtype=object)

    def _interval(
        self,
        col: str,
        lower: str | None,
        upper: str | None,
        context: pd.DataFrame | None,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the real range of ``col`` narrowed by the parent's bounding dates."""
        low, high = self.ranges[col]
        lo = np.full(n, low) if lower is None or context is None else to_days(context[lower])
        hi = np.full(n, high) if upper is None or context is None else to_days(context[upper])
        lo = np.clip(np.where(np.isnan(lo), low, lo), low, high)
        hi = np.clip(np.where(np.isnan(hi), high, hi), low, high)
        return lo, np.maximum(hi, lo)

    def _after_in_order(self) -> list[tuple[str, str]]:
        """(column, anchor) pairs with every anchor rebuilt before the columns after it."""
        done: list[tuple[str, str]] = []
        pending = dict(self.after)
        while pending:
            ready = [
                (c, a)
                for c, a in pending.items()
                if a not in pending and self.within.get(c) not in pending
            ]
            for col, anchor in ready:  # `_learn_within` never learns a cycle
                done.append((col, anchor))
                del pending[col]
        return done


def day_end(days: np.ndarray, date_only: bool) -> np.ndarray:
    """The last moment a column may take on a bounding day (a death): the day itself for a
    column of whole days, else the day's last moment (a contact on the day of death, later
    than midnight, is not after death)."""
    return days + (0.0 if date_only else 1.0 - 1e-6)


def _position(days: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Where ``days`` lies between ``lo`` and ``hi``, from 0 to 1 (NaN stays NaN)."""
    width = np.where(hi > lo, hi - lo, 1.0)
    return np.clip((days - lo) / width, 0.0, 1.0)


def _place(position: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_position`."""
    return lo + np.clip(position, 0.0, 1.0) * np.maximum(hi - lo, 0.0)


def learn_rules(
    frame: pd.DataFrame, context: pd.DataFrame | None = None, keep: Collection[str] = ()
) -> TableRules:
    """Learn the rules that hold in every row of ``frame``.

    Args:
        frame: the table's own modelled columns (no keys).
        context: the parent's columns for each row (same length), or None for a root table.
        keep: columns that stay modelled whatever they follow (the builder's child counts:
            two panels always drawn together have equal counts, yet each is drawn).
    """
    rules = TableRules(
        dtypes={c: str(frame[c].dtype) for c in frame.columns},
        complete=[c for c in frame.columns if frame[c].notna().all()],
    )
    dates = [c for c in frame.columns if is_datetime(frame[c])]
    for col in frame.columns:
        series = frame[col]
        if is_datetime(series):
            days = to_days(series)
            if np.isfinite(days).any():
                rules.ranges[col] = (float(np.nanmin(days)), float(np.nanmax(days)))
            valid = series.dropna()
            rules.date_only += [col] if _always(valid.dt.normalize() == valid) else []
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            if series.notna().any():
                rules.ranges[col] = (float(series.min()), float(series.max()))
            if pd.api.types.is_integer_dtype(series):
                rules.integer.append(col)
    for col in frame.columns:
        if is_numeric_text(frame[col]):
            numbers, _ = _split_numeric_text(frame[col])
            written = pd.DataFrame({"n": numbers, "text": frame[col]}).dropna()
            rules.numeric_values[col] = dict(
                written.drop_duplicates("n").itertuples(index=False, name=None)
            )
            rules.ranges[NUMBER + col] = (float(numbers.min()), float(numbers.max()))
    rules.after = _learn_order(frame, dates)
    rules.within = _learn_within(frame, rules.after)
    for col, anchor in rules.after.items():
        gap = np.nanmedian(to_days(frame[col]) - to_days(frame[anchor]))
        low, high = rules.ranges[col]
        if gap <= 0.05 * max(high - low, 1.0):
            rules.durations.append(col)
    if context is not None:
        context_dates = [c for c in context.columns if is_datetime(context[c])]
        for col in dates:
            if col in rules.after or col not in rules.ranges:
                continue
            bound = _learn_bounds(frame[col], context, context_dates)
            if bound != (None, None):
                rules.bounds[col] = bound
    for col in dates:
        if col in rules.after or col in rules.bounds or col in keep:
            continue  # reparametrised already (or not the rules' to change)
        days = pd.Series(to_days(frame[col])).dropna()
        if days.nunique() >= 20:
            shares = days.value_counts(normalize=True)
            if float(shares.iloc[0]) >= MASS_SHARE:
                rules.masses[col] = float(shares.index[0])
    rules.derived = _learn_hierarchies(frame, set(keep))
    rules.dependent = _learn_dependents(frame, {*rules.derived, *keep})
    rules.formulas = _learn_formulas(frame, {*rules.derived, *rules.dependent, *keep})
    return rules


def _learn_order(frame: pd.DataFrame, dates: list[str]) -> dict[str, str]:
    """For each datetime column, the closest earlier column it never precedes."""
    days = {c: to_days(frame[c]) for c in dates}
    medians = {c: np.nanmedian(v) if np.isfinite(v).any() else np.inf for c, v in days.items()}
    order = sorted(dates, key=lambda c: (medians[c], dates.index(c)))
    after: dict[str, str] = {}
    for i, col in enumerate(order):
        best, gap = None, np.inf
        for anchor in order[:i]:  # anchors come earlier in the order: no cycles
            both = np.isfinite(days[col]) & np.isfinite(days[anchor])
            if not both.any() or np.isfinite(days[col]).sum() != both.sum():
                continue
            diff = days[col][both] - days[anchor][both]
            if _always(diff >= 0) and np.median(diff) < gap:
                best, gap = anchor, float(np.median(diff))
        if best is not None:
            after[col] = best
    return after


def _learn_within(frame: pd.DataFrame, after: dict[str, str]) -> dict[str, str]:
    """For each ``after`` column, the closest column after the same anchor that it never
    passes, present wherever it is (a contact's folded procedure: before the contact's end)."""
    days = {c: to_days(frame[c]) for c in after}
    within: dict[str, str] = {}
    for col, anchor in after.items():
        present = np.isfinite(days[col])
        best, gap = None, np.inf
        for upper, its_anchor in after.items():
            if upper == col or its_anchor != anchor:
                continue
            if not present.any() or not np.isfinite(days[upper][present]).all():
                continue
            diff = days[upper][present] - days[col][present]
            # Somewhere strictly before it: two columns never bound each other (no cycle).
            if _always(diff >= 0) and bool((diff > 0).any()) and np.median(diff) < gap:
                best, gap = upper, float(np.median(diff))
        if best is not None:
            within[col] = best
    return within


def _learn_bounds(
    values: pd.Series, context: pd.DataFrame, context_dates: list[str]
) -> tuple[str | None, str | None]:
    days = to_days(values)
    lower = upper = None
    low_gap = high_gap = np.inf
    for col in context_dates:
        bound = to_days(context[col])
        both = np.isfinite(days) & np.isfinite(bound)
        if not both.any():
            continue
        diff = days[both] - bound[both]
        if _always(diff >= 0) and np.median(diff) < low_gap and np.isfinite(bound).all():
            lower, low_gap = col, float(np.median(diff))
        # An upper bound that is a date (death) is compared by day: a contact on the day of
        # death, later than midnight, is still "not after death".
        same_day = np.floor(days[both]) - bound[both]
        if _always(same_day <= 0) and np.median(-diff) < high_gap:
            upper, high_gap = col, float(np.median(-diff))
    return lower, upper


def _code_like(series: pd.Series) -> bool:
    """Can hold codes: neither dates nor numbers written as text (lab values)."""
    return not is_datetime(series) and not is_numeric_text(series)


def _learn_hierarchies(frame: pd.DataFrame, keep: set[str]) -> dict[str, tuple[str, dict]]:
    """Columns that are a function of a finer (or one-to-one) categorical column (region of
    a municipality; a product number of its code).

    The coarse column is a code (at most 100 values; 20 for floats, e.g. reference limits of
    a laboratory analysis); the fine column repeats
    (each value on three rows on average), so a row identifier never counts as "finer".
    """

    # A coarse column may be missing for some fine values (no reference limits for a
    # qualitative test): missing is then part of the mapping. The fine column is complete.
    coarse_columns = [
        c
        for c in frame.columns
        if _code_like(frame[c])
        and 1 < frame[c].nunique() <= (20 if pd.api.types.is_float_dtype(frame[c]) else 100)
    ]
    fine_columns = [
        c
        for c in frame.columns
        if _code_like(frame[c]) and frame[c].notna().all() and frame[c].nunique() * 3 <= len(frame)
    ]
    derived: dict[str, tuple[str, dict]] = {}
    for coarse in coarse_columns:
        if coarse in keep or coarse in {source for source, _ in derived.values()}:
            continue  # a source stays modelled: decoding never follows a chain
        for fine in fine_columns:
            finer = frame[fine].nunique() - frame[coarse].nunique()
            first = list(frame.columns).index(fine) < list(frame.columns).index(coarse)
            # Equally fine columns that map one to one (a drug's ATC code and its product
            # number) are one variable: the later is derived from the earlier.
            if fine == coarse or fine in derived or finer < 0 or (finer == 0 and not first):
                continue
            pairs = frame[[fine, coarse]].drop_duplicates()
            if pairs[fine].is_unique:  # each fine value has exactly one coarse value
                derived[coarse] = (fine, dict(zip(pairs[fine], pairs[coarse], strict=True)))
                break
    return derived


_FORMULA_ROWS = 5_000  # rows a formula is fitted on (it is then checked on every row)
_FORMULA_COLUMNS = 25  # numeric columns at most: pairs of inputs grow with their square
_FORMULA_TOLERANCE = 0.001  # relative error allowed beyond the rounding of all columns
_POWERS = np.array([-3.0, -2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 3.0])


def _learn_formulas(frame: pd.DataFrame, exclude: set[str]) -> dict[str, Formula]:
    """Numeric columns that are a product of powers of one or two others times a constant,
    on every real row (within the column's rounding): BMI from weight and height, a height
    in metres from one in centimetres.

    Fitted as a line on logarithms, powers rounded to halves and whole numbers from -3 to 3,
    then checked on every row. The computed column must be present exactly where all its
    inputs are (a BMI is missing where weight or height is), which also decides which of
    three related columns is the computed one. Inputs are never computed themselves.
    """
    numbers = [
        c
        for c in frame.columns
        if c not in exclude
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
        and frame[c].nunique() > 10
        and bool((frame[c].dropna() > 0).all())
    ]
    if not 2 <= len(numbers) <= _FORMULA_COLUMNS:
        return {}
    sample = frame[numbers].sample(n=min(len(frame), _FORMULA_ROWS), random_state=0)
    logs = np.log(sample.to_numpy(dtype=float))
    missing = np.isnan(logs)
    found: dict[str, Formula] = {}
    for j, target in enumerate(numbers):
        others = [i for i, c in enumerate(numbers) if c != target and c not in found]
        candidates: list[tuple[int, ...]] = [(i,) for i in others]
        candidates += [(a, b) for k, a in enumerate(others) for b in others[k + 1 :]]
        for inputs in candidates:
            if not (missing[:, list(inputs)].any(axis=1) == missing[:, j]).all():
                continue  # missing elsewhere than its inputs (on the sample): not computed
            formula = _fit_formula(frame, logs, j, inputs, numbers)
            if formula is not None:
                found[target] = formula
                break
    return found


def _fit_formula(
    frame: pd.DataFrame, logs: np.ndarray, target: int, inputs: tuple[int, ...], names: list[str]
) -> Formula | None:
    """The formula for column ``target`` from ``inputs`` if it holds on every real row."""
    column, sources = names[target], [names[i] for i in inputs]
    present = frame[sources].notna().all(axis=1)
    if not present.equals(frame[column].notna()) or not present.any():
        return None
    rows = np.isfinite(logs[:, [target, *inputs]]).all(axis=1)
    if rows.sum() < 10:
        return None
    x = np.column_stack([np.ones(rows.sum()), logs[rows][:, list(inputs)]])
    y = logs[rows, target]
    fitted, *_ = np.linalg.lstsq(x, y, rcond=None)
    powers = _POWERS[np.abs(_POWERS[:, None] - fitted[1:]).argmin(axis=0)]
    if np.abs(powers - fitted[1:]).max() > 0.05:
        return None
    log_constant = float(np.median(y - logs[rows][:, list(inputs)] @ powers))
    real = frame[column].to_numpy(dtype=float)
    decimals = _decimals(frame[column])
    formula = Formula(tuple(sources), tuple(float(p) for p in powers), log_constant, decimals)
    computed = formula.compute(frame).to_numpy(dtype=float)
    # The inputs' own rounding (a height in whole centimetres) moves the product by up to
    # |power| * half a unit / value each, relatively; the column's rounding by half its unit.
    relative = np.full(len(frame), _FORMULA_TOLERANCE)
    for source, power in zip(sources, powers, strict=True):
        values = frame[source].to_numpy(dtype=float)
        unit = _half_unit(_decimals(frame[source]))
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = relative + abs(power) * unit / np.abs(values)
    held = ~np.isnan(real)
    allowed = _half_unit(decimals) + relative[held] * np.abs(real[held])
    if not bool((np.abs(computed[held] - real[held]) <= allowed).all()):
        return None
    return formula


def _half_unit(decimals: int | None) -> float:
    """Half the last written digit's unit (0.05 for one decimal); 0 for unrounded numbers."""
    return 0.0 if decimals is None else 0.5 * 10.0**-decimals


def _decimals(series: pd.Series) -> int | None:
    """The fewest decimals (0-6) every value of ``series`` is written with, or None."""
    values = series.dropna().to_numpy(dtype=float)
    for decimals in range(7):
        if np.allclose(np.round(values, decimals), values, rtol=0, atol=1e-9):
            return decimals
    return None


def _learn_dependents(
    frame: pd.DataFrame, exclude: set[str], min_share: float = 0.5, max_levels: int = 20
) -> dict[str, tuple[str, dict[Any, tuple[list[Any], np.ndarray]]]]:
    """Columns of few values mostly decided by a code column, drawn given the code.

    A Gaussian copula lays a code list out on one axis and can link another column to
    it only monotonically, so a code takes the type of its neighbours (hip fractures
    came out 70% primary diagnoses, 8% with latent correlations; every real one is). A
    column with at most ``max_levels`` values whose uncertainty the code removes by at
    least ``min_share`` (Theil's U) is left out of the model and drawn from its real
    frequencies given the sampled code. The code column repeats (three rows per value on
    average), so a row identifier never qualifies; exact functions are hierarchies instead.
    """
    from generators.twin.stratified import _uncertainty

    codes = [
        c
        for c in frame.columns
        if _code_like(frame[c])
        and not pd.api.types.is_float_dtype(frame[c])
        and frame[c].notna().all()
        and max_levels < frame[c].nunique() <= len(frame) / 3
    ]
    found: dict[str, tuple[str, dict[Any, tuple[list[Any], np.ndarray]]]] = {}
    for col in frame.columns:
        if (
            col in exclude
            or not _code_like(frame[col])
            or not 1 < frame[col].nunique() <= max_levels
        ):
            continue
        scored = [(_uncertainty(frame[col], frame[code]), code) for code in codes if code != col]
        share, code = max(scored, default=(0.0, ""))
        if share < min_share:
            continue
        table: dict[Any, tuple[list[Any], np.ndarray]] = {}
        for value, group in frame[col].groupby(frame[code], dropna=False, observed=True):
            shares = group.value_counts(dropna=False, normalize=True)
            table[value] = (list(shares.index), shares.to_numpy(dtype=float))
        shares = frame[col].value_counts(dropna=False, normalize=True)
        table[_ANY] = (list(shares.index), shares.to_numpy(dtype=float))
        found[col] = (code, table)
    return found


_ANY = "__any__"  # the column's overall frequencies, for a code the table never held


def _draw_given(
    codes: pd.Series, table: dict[Any, tuple[list[Any], np.ndarray]], rng: np.random.Generator
) -> pd.Series:
    """One value per row from the frequencies of its code."""
    out = np.empty(len(codes), dtype=object)
    which, present = pd.factorize(codes, use_na_sentinel=False)  # missing codes are one group
    for i, code in enumerate(present):
        rows = np.flatnonzero(which == i)
        values, shares = table.get(code, table[_ANY])
        out[rows] = np.asarray(values, dtype=object)[rng.choice(len(values), len(rows), p=shares)]
    return pd.Series(out, index=codes.index)


def learn_once_per_parent(
    frame: pd.DataFrame, parent: pd.Series, exclude: set[str], min_groups: int = 100
) -> dict[str, Any]:
    """Columns with a value every parent holds on exactly one of its rows: the primary one.

    Every real contact has exactly one primary diagnosis (type A) among its diagnoses; drawn
    row by row, 7% of twin contacts had none and 6% two, and the kinds of types a person
    holds was among the features that gave the twin away. A column of few values (at most
    20) qualifies when one value is held by exactly one row in 99% of parents, over at least
    ``min_groups`` parents of which some have several rows (else it is trivially so).

    Returns:
        column -> that value.
    """
    found: dict[str, Any] = {}
    groups = parent.to_numpy()
    sizes = pd.Series(groups).value_counts()
    if len(sizes) < min_groups or int((sizes >= 2).sum()) < min_groups // 10:
        return found
    for col in frame.columns:
        values = frame[col]
        if col in exclude or not 1 < values.nunique() <= 20 or values.isna().any():
            continue
        top = values.value_counts()
        for value in top.index[:3]:
            held = pd.Series((values == value).to_numpy()).groupby(groups).sum()
            if float((held == 1).mean()) >= 0.99:  # rare-code protection drops a few rows
                found[col] = value
                break
    return found


def once_per_parent(
    frame: pd.DataFrame,
    parent_row: np.ndarray,
    once: dict[str, Any],
    dependent: dict[str, tuple[str, dict[Any, tuple[list[Any], np.ndarray]]]],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Give every parent exactly one row with each :func:`learn_once_per_parent` value.

    Where a parent has none or several, the row whose code makes the value likeliest keeps
    it (a hip fracture stays the primary diagnosis; by the column's dependent frequencies);
    without a code, a row drawn with the value, else any row, at random. The others take
    the likeliest other value for their code, or the commonest other value.
    """
    if not once or not len(frame):
        return frame
    frame = frame.copy()
    noise = rng.random(len(frame)) * 1e-6  # ties broken at random, reproducibly
    for col, value in once.items():
        values = frame[col].to_numpy(dtype=object).copy()
        source, table = dependent.get(col, ("", {}))
        codes = frame[source].to_numpy(dtype=object) if source in frame.columns else None
        fallback = next((v for v in pd.Series(values).value_counts().index if v != value), value)
        likely = (values == value).astype(float)
        other = np.full(len(frame), fallback, dtype=object)
        if codes is not None and table:
            chance: dict[Any, float] = {}
            instead: dict[Any, Any] = {}
            for code in pd.unique(codes):
                names, shares = table.get(code, table[_ANY])
                held = dict(zip(names, shares, strict=True))
                chance[code] = float(held.get(value, 0.0))
                rest = {k: p for k, p in held.items() if k != value}
                instead[code] = max(rest, key=lambda k: rest[k]) if rest else fallback
            keyed = pd.Series(codes, dtype=object)
            likely = keyed.map(chance).fillna(0.0).to_numpy(dtype=float)
            other = keyed.map(instead).fillna(fallback).to_numpy(dtype=object)
        score = pd.Series(likely + noise)
        best = score.groupby(parent_row).transform("max").to_numpy() == score.to_numpy()
        values = np.where(best, value, np.where(values == value, other, values))
        frame[col] = pd.Series(values, index=frame.index).astype(frame[col].dtype, errors="ignore")
    return frame


def learn_distinct_per_parent(
    frame: pd.DataFrame, parent: pd.Series, exclude: set[str], min_groups: int = 100
) -> dict[str, dict[Any, float]]:
    """Columns no parent holds a value of twice, with their values' real shares.

    A person's drug series are one per drug (the series are made by drug); drawn series by
    series, the twin gave a fifth of its series a drug the person already had, and the
    number of drugs a person takes was the feature that gave the twin away most. A text
    column of 3 values or more qualifies when, over at least ``min_groups`` parents with two
    rows or more, no parent holds a value on two rows.
    """
    found: dict[str, dict[Any, float]] = {}
    groups = parent.to_numpy()
    sizes = pd.Series(groups).value_counts()
    if int((sizes >= 2).sum()) < min_groups:
        return found
    for col in frame.columns:
        values = frame[col]
        text = pd.api.types.is_object_dtype(values) or isinstance(values.dtype, pd.StringDtype)
        if col in exclude or not text:
            continue  # numbers that never repeat per parent are a sequence, not a choice
        if values.nunique() < 3 or values.nunique() >= 0.5 * len(values):
            continue  # a flag, or near-unique (an identifier, a free text)
        held = pd.DataFrame({"parent": groups, "value": values.to_numpy()}).dropna()
        if held.duplicated().any():
            continue
        found[col] = {k: float(v) for k, v in values.value_counts(normalize=True).items()}
    return found


def distinct_per_parent(
    values: pd.Series,
    parent_row: np.ndarray,
    shares: dict[Any, float],
    rng: np.random.Generator,
    model: Any = None,
    given: pd.DataFrame | None = None,
) -> pd.Series:
    """``values`` with each parent's repeated values redrawn among those it does not hold:
    from ``model``'s probabilities for the row (a CodeModel of the parent's columns, read
    from ``given``, the rows' context) where there is one, else at the real shares. A
    parent with more rows than values keeps its repeats."""
    frame = pd.DataFrame({"parent": parent_row, "value": values.to_numpy(dtype=object)})
    repeated = np.flatnonzero(frame.duplicated().to_numpy() & frame["value"].notna().to_numpy())
    if not len(repeated):
        return values
    names = np.asarray(list(shares), dtype=object)
    weights = np.tile(np.asarray(list(shares.values()), dtype=float), (len(repeated), 1))
    if model is not None and given is not None:
        probs = model.probabilities(given.iloc[repeated])
        position = {name: i for i, name in enumerate(names)}
        weights = np.zeros((len(repeated), len(names)))
        for j, name in enumerate(model.classes):
            if name in position:
                weights[:, position[name]] = probs[:, j]
        weights += 1e-9  # a value the forest never gives here stays possible
    out = frame["value"].to_numpy(dtype=object).copy()
    held = frame.dropna().groupby("parent")["value"].agg(set).to_dict()
    for i, row in enumerate(repeated):
        mine = held[parent_row[row]]
        p = weights[i] * np.array([name not in mine for name in names])
        if p.sum() <= 0:
            continue
        out[row] = names[rng.choice(len(names), p=p / p.sum())]
        mine.add(out[row])
    return pd.Series(out, index=values.index)
