"""Real and synthetic counts per bin or category, safe to publish as shares.

Every bin this module returns holds at least ``min_count`` real rows: a numeric bin with fewer
is merged with a neighbour, a rare category goes into "other". A share of such a bin never
stands for fewer than ``min_count`` persons' rows, which is the disclosure rule for the
``columns`` part of the evidence (docs/evidence.md).

Bin edges come from the real column, rounded to "nice" numbers (1, 2, 2.5 or 5 times a power
of ten; whole years, months or days for dates), and the outermost bins are open ("< 1930",
"≥ 2020"), so a label never shows a real minimum or maximum.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

MISSING = "(missing)"  # label of missing values
OTHER = "other"  # label of the categories not shown on their own


@dataclass(frozen=True)
class Binned:
    """Counts per published bin; every real count is at least the ``min_count`` asked for."""

    labels: list[str]  # one per bin, in display order
    real: np.ndarray  # real rows per bin (int)
    synthetic: np.ndarray  # synthetic rows per bin (int)


def _merge_small(real: np.ndarray, min_count: int) -> list[tuple[int, int]]:
    """Group adjacent bins, [start, stop), until each group holds min_count real rows.

    The smallest group is merged with its smaller neighbour, so the groups stay as even as
    the data allow. With fewer than min_count real rows in all, one group remains.
    """
    groups = [(i, i + 1) for i in range(len(real))]
    sums = [int(v) for v in real]
    while len(groups) > 1 and min(sums) < min_count:
        i = int(np.argmin(sums))
        if i == 0:
            j = 1
        elif i == len(groups) - 1:
            j = i - 1
        else:
            j = i - 1 if sums[i - 1] <= sums[i + 1] else i + 1
        lo, hi = min(i, j), max(i, j)
        groups[lo : hi + 1] = [(groups[lo][0], groups[hi][1])]
        sums[lo : hi + 1] = [sums[lo] + sums[hi]]
    return groups


def _nice_step(span: float, bins: int) -> float:
    # The smallest of 1, 2, 2.5, 5 x 10^k that covers the span in at most `bins` bins.
    raw = span / bins
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * magnitude >= raw * (1 - 1e-12):
            return factor * magnitude
    return 10.0 * magnitude


def _decimals(step: float) -> int:
    for decimals in range(10):
        if abs(round(step, decimals) - step) < 1e-9 * max(1.0, abs(step)):
            return decimals
    return 10


def _on_edges(
    real: np.ndarray,
    synthetic: np.ndarray,
    edges: np.ndarray,
    label: Callable[[int, int], str],
    min_count: int,
) -> Binned:
    """Count values between ``edges`` (outer bins open), merge small bins and label them."""
    interior = edges[1:-1]
    n_bins = len(edges) - 1
    real_counts = np.bincount(np.searchsorted(interior, real, side="right"), minlength=n_bins)
    synthetic_counts = np.bincount(
        np.searchsorted(interior, synthetic, side="right"), minlength=n_bins
    )
    groups = _merge_small(real_counts, min_count)
    return Binned(
        labels=[label(start, stop) for start, stop in groups],
        real=np.array([real_counts[a:b].sum() for a, b in groups], dtype=np.int64),
        synthetic=np.array([synthetic_counts[a:b].sum() for a, b in groups], dtype=np.int64),
    )


def _open_label(first: str, last: str, start: int, stop: int, n_bins: int) -> str:
    if start == 0 and stop == n_bins:
        return "all"
    if start == 0:
        return f"< {last}"
    if stop == n_bins:
        return f"≥ {first}"
    return f"{first}–{last}"


def number_bins(real: np.ndarray, synthetic: np.ndarray, *, bins: int, min_count: int) -> Binned:
    """Bin present numbers on nice edges spanning the bulk of the real values.

    Args:
        real: real values (finite floats, at least one).
        synthetic: synthetic values (finite floats).
        bins: the most bins before merging.
        min_count: fewest real values a published bin may hold.

    Returns:
        Labelled counts; a bin "a–b" holds a <= x < b.
    """
    # Edges span the 1st to 99th percentile, so a few outliers (which fall into the open
    # outer bins) do not stretch every bin; the full range when those percentiles meet.
    lo, hi = (float(q) for q in np.quantile(real, [0.01, 0.99]))
    if lo == hi:
        lo, hi = float(real.min()), float(real.max())
    if lo == hi:  # one value: one bin, labelled "all"
        edges, decimals = np.array([lo, lo]), 0
    else:
        step = _nice_step(hi - lo, bins)
        decimals = _decimals(step)
        start = math.floor(lo / step) * step
        n_bins = max(1, math.ceil((hi - start) / step - 1e-9))
        # Rounded, so edges print as 0.3 rather than 0.30000000000000004.
        edges = np.round(start + step * np.arange(n_bins + 1), decimals + 2)

    def label(start: int, stop: int) -> str:
        return _open_label(
            f"{edges[start]:.{decimals}f}",
            f"{edges[stop]:.{decimals}f}",
            start,
            stop,
            len(edges) - 1,
        )

    return _on_edges(real, synthetic, edges, label, min_count)


# Calendar units for date bins: how a date becomes a whole number of units, and back to text.
_UNIT_STEPS = {"Y": (1, 2, 5, 10, 20, 25, 50, 100), "M": (1, 2, 3, 6), "D": (1, 2, 7, 14, 28)}


def _date_units(values: pd.Series, unit: str) -> np.ndarray:
    if unit == "Y":
        return values.dt.year.to_numpy(dtype=np.int64)
    if unit == "M":
        return (values.dt.year * 12 + values.dt.month - 1).to_numpy(dtype=np.int64)
    return ((values - pd.Timestamp(0)) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64)


def _format_unit(index: int, unit: str) -> str:
    if unit == "Y":
        return str(index)
    if unit == "M":
        return f"{index // 12}-{index % 12 + 1:02d}"
    return str((pd.Timestamp(0) + pd.Timedelta(days=index)).date())


def date_bins(real: pd.Series, synthetic: pd.Series, *, bins: int, min_count: int) -> Binned:
    """Bin present datetimes by whole years, months or days, whichever gives up to ``bins``.

    Args:
        real: real datetimes (no missing values, at least one).
        synthetic: synthetic datetimes (no missing values).
        bins: the most bins before merging.
        min_count: fewest real values a published bin may hold.

    Returns:
        Labelled counts; labels name the first and last unit of a bin ("2015–2016" holds both
        years, "2015" one).
    """
    span_days = (real.max() - real.min()) / pd.Timedelta(days=1)
    unit = "Y" if span_days >= 5 * 365.25 else "M" if span_days >= 5 * 30.4 else "D"
    real_units, synthetic_units = _date_units(real, unit), _date_units(synthetic, unit)
    lo, hi = int(real_units.min()), int(real_units.max())
    step = next((s for s in _UNIT_STEPS[unit] if (hi - lo) // s + 1 <= bins), None)
    if step is None:  # a very long span: fall back on a plain nice step
        step = math.ceil(_nice_step(hi - lo + 1, bins))
    start = lo // step * step
    edges = np.arange(start, hi + step + 1, step, dtype=np.int64)
    n_bins = len(edges) - 1

    def label(first: int, stop: int) -> str:
        # Date labels name their last unit, not the next bin's first: "2015–2019", "≤ 2014".
        a = _format_unit(int(edges[first]), unit)
        b = _format_unit(int(edges[stop]) - 1, unit)
        if first == 0 and stop < n_bins:
            return f"≤ {b}"
        if first > 0 and stop < n_bins and a == b:
            return a
        return _open_label(a, b, first, stop, n_bins)

    return _on_edges(real_units, synthetic_units, edges, label, min_count)


def category_bins(
    real: pd.Series,
    synthetic: pd.Series,
    *,
    top: int,
    min_count: int,
    by_value: bool = False,
) -> Binned:
    """Count categories; the ``top`` most common real ones with enough rows are shown.

    Args:
        real: real labels (text, with missing values as ``MISSING``).
        synthetic: synthetic labels, the same way.
        top: the most categories shown on their own, besides "other".
        min_count: fewest real rows a shown category, and "other", may hold.
        by_value: order shown categories by their numeric value (codes such as 1, 2, 9)
            rather than by real frequency.

    Returns:
        Labelled counts; "other" holds every other category, synthetic-only ones included, and is
        left out when it holds no row on either side.
    """
    real_counts = real.value_counts()
    synthetic_counts = synthetic.value_counts()
    shown = [str(c) for c, n in real_counts.items() if n >= min_count]
    shown = sorted(shown, key=lambda c: (-int(real_counts[c]), c))[:top]
    total_real, total_synthetic = len(real), len(synthetic)

    def other(shown: list[str]) -> tuple[int, int]:
        return (
            total_real - int(real_counts.reindex(shown).sum()),
            total_synthetic - int(synthetic_counts.reindex(shown).fillna(0).sum()),
        )

    # "other" needs min_count real rows too, whenever it is shown: give it the smallest
    # shown categories until it has them.
    other_real, other_synthetic = other(shown)
    while shown and (other_real or other_synthetic) and other_real < min_count:
        shown.pop()
        other_real, other_synthetic = other(shown)
    if by_value:
        shown.sort(key=lambda c: (c == MISSING, float(c) if c != MISSING else 0.0))
    labels = list(shown)
    real_out = [int(real_counts[c]) for c in shown]
    synthetic_out = [int(synthetic_counts.get(c, 0)) for c in shown]
    if other_real or other_synthetic:
        labels.append(OTHER)
        real_out.append(other_real)
        synthetic_out.append(other_synthetic)
    return Binned(labels, np.array(real_out, np.int64), np.array(synthetic_out, np.int64))
