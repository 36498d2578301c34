"""Binned calibration curve with a disclosure rule on the bins.

Each bin reports the mean predicted probability against the observed event rate. Because a
bin's counts describe real persons, adjacent bins are merged until every bin holds at least
``min_events`` events and ``min_events`` non-events (default 5, the Danish Health Data
Authority's small-cell limit), so no published bin describes fewer than that many persons of
either outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from validation.performance._inputs import FloatArray, binary_inputs
from validation.performance.errors import TooFewEventsError

BinStrategy = Literal["quantile", "uniform"]


@dataclass(frozen=True)
class CalibrationBin:
    """One bin of a calibration curve."""

    lower: float  # lower edge of the bin on the predicted-probability scale (inclusive)
    upper: float  # upper edge (exclusive, except for the last bin)
    mean_predicted: float  # mean predicted probability of the persons in the bin
    observed_rate: float  # events / n in the bin
    n: int  # persons in the bin
    events: int  # persons with the outcome
    non_events: int  # persons without the outcome


@dataclass(frozen=True)
class CalibrationCurve:
    """A calibration curve: bins in increasing order of predicted probability."""

    bins: tuple[CalibrationBin, ...]  # after merging; each meets the min_events rule
    strategy: BinStrategy  # how the initial bin edges were chosen
    n_bins_requested: int  # bins asked for before empty bins were dropped and bins merged
    min_events: int  # minimum events and non-events per published bin

    def to_frame(self) -> pd.DataFrame:
        """The bins as a DataFrame, one row per bin, columns named as the bin fields."""
        columns = [
            "lower",
            "upper",
            "mean_predicted",
            "observed_rate",
            "n",
            "events",
            "non_events",
        ]
        return pd.DataFrame([[getattr(b, c) for c in columns] for b in self.bins], columns=columns)


def calibration_curve(
    y_true: ArrayLike,
    p: ArrayLike,
    n_bins: int = 10,
    strategy: BinStrategy = "quantile",
    min_events: int = 5,
) -> CalibrationCurve:
    """Bin predicted probabilities and compare them with observed event rates.

    Args:
        y_true: Observed outcome, 0 or 1.
        p: Predicted probability of outcome 1.
        n_bins: Number of bins to start from.
        strategy: ``"quantile"`` gives bins of about equal size (edges at quantiles of ``p``;
            tied edges collapse); ``"uniform"`` gives equal-width bins on [0, 1].
        min_events: Adjacent bins are merged until each has at least this many events and
            this many non-events. 0 turns merging off (empty bins are still dropped).

    Returns:
        The calibration curve.

    Raises:
        ValueError: If ``n_bins`` < 1, ``min_events`` < 0 or ``strategy`` is unknown.
        TooFewEventsError: If the whole sample has fewer than ``min_events`` events or
            non-events, so not even one bin could be published.
    """
    y, prob = binary_inputs(y_true, p)
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1; got {n_bins}.")
    if min_events < 0:
        raise ValueError(f"min_events must be 0 or more; got {min_events}.")
    events_total = int(y.sum())
    non_events_total = y.size - events_total
    if min(events_total, non_events_total) < min_events:
        raise TooFewEventsError(
            f"A calibration curve needs at least {min_events} events and {min_events} "
            f"non-events; this sample has {events_total} events and {non_events_total} "
            "non-events. Evaluate on a larger cohort."
        )

    edges = _bin_edges(prob, n_bins, strategy)
    # Bin i holds edges[i] <= p < edges[i + 1]; the last bin also holds p == edges[-1].
    bin_index = np.searchsorted(edges[1:-1], prob, side="right")
    n_edges_bins = max(len(edges) - 1, 1)
    counts = np.bincount(bin_index, minlength=n_edges_bins)
    events = np.bincount(bin_index, weights=y, minlength=n_edges_bins).astype(int)
    sum_p = np.bincount(bin_index, weights=prob, minlength=n_edges_bins)

    groups = _merge_groups(events, counts - events, min_events)
    bins = []
    for first, last in groups:
        n = int(counts[first : last + 1].sum())
        n_events = int(events[first : last + 1].sum())
        bins.append(
            CalibrationBin(
                lower=float(edges[first]),
                upper=float(edges[min(last + 1, len(edges) - 1)]),
                mean_predicted=float(sum_p[first : last + 1].sum() / n),
                observed_rate=n_events / n,
                n=n,
                events=n_events,
                non_events=n - n_events,
            )
        )
    return CalibrationCurve(
        bins=tuple(bins), strategy=strategy, n_bins_requested=n_bins, min_events=min_events
    )


def _bin_edges(prob: FloatArray, n_bins: int, strategy: BinStrategy) -> FloatArray:
    if strategy == "quantile":
        return np.unique(np.quantile(prob, np.linspace(0.0, 1.0, n_bins + 1)))
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)
    raise ValueError(f"strategy must be 'quantile' or 'uniform'; got {strategy!r}.")


def _merge_groups(
    events: np.ndarray, non_events: np.ndarray, min_events: int
) -> list[tuple[int, int]]:
    """Group adjacent bins so each group has >= min_events events and non-events.

    Sweeps from low to high risk and closes a group as soon as it meets the rule, which gives
    the most groups a left-to-right sweep can; a short remainder at the top joins the last
    group. Empty bins are skipped. The caller has checked that the totals meet the rule.

    Returns:
        ``(first, last)`` bin indices of each group, inclusive.
    """
    groups: list[tuple[int, int]] = []
    start: int | None = None
    group_events = group_non_events = 0
    for i, (e, ne) in enumerate(zip(events, non_events, strict=True)):
        if e + ne == 0 and start is None:
            continue  # an empty bin on its own publishes nothing
        if start is None:
            start = i
        group_events += int(e)
        group_non_events += int(ne)
        if group_events >= min_events and group_non_events >= min_events:
            groups.append((start, i))
            start = None
            group_events = group_non_events = 0
    if start is not None:
        # Remainder that misses the rule: fold it into the previous group.
        last = _last_non_empty(events, non_events)
        if groups:
            groups[-1] = (groups[-1][0], last)
        else:
            groups.append((start, last))
    return groups


def _last_non_empty(events: np.ndarray, non_events: np.ndarray) -> int:
    return int(np.flatnonzero(events + non_events)[-1])
