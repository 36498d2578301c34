"""Performance per subgroup (TRIPOD+AI item 23a), with small subgroups suppressed.

Disclosure rule: a subgroup is published only when it has at least ``min_count`` persons and,
for a binary outcome, at least ``min_count`` events and ``min_count`` non-events, because the
event count is itself a count of persons. A suppressed subgroup keeps its label but no counts
and no metrics: they are never computed, so they cannot leak through logs or errors either.

Suppression here is primary only. Whether published subgroups and the overall total together
let a reader subtract their way to a suppressed count (secondary disclosure) is for the
disclosure-control step that reviews the whole run.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from validation.performance._inputs import FloatArray, as_vector, is_binary
from validation.performance.bootstrap import MetricCI, MetricFn, bootstrap_cis


@dataclass(frozen=True)
class SubgroupResult:
    """Counts and metrics of one subgroup, or only its label if suppressed."""

    variable: str  # grouping variable, e.g. "sex" or "region"
    value: Hashable | None  # subgroup value, e.g. "K" or 81; None for missing values
    n: int | None  # persons; None when suppressed
    events: int | None  # persons with the outcome; None when suppressed or not binary
    suppressed: bool  # True if the subgroup is under the disclosure threshold
    reason: str | None  # why it was suppressed, for the reader; None if published
    metrics: Mapping[str, MetricCI | None]  # metric name -> estimate and CI; all None if suppressed


@dataclass(frozen=True)
class SubgroupReport:
    """Subgroup results for every grouping variable, in the order given."""

    results: tuple[SubgroupResult, ...]  # one per (variable, value), values sorted
    min_count: int  # disclosure threshold used
    n_boot: int  # bootstrap replicates behind every interval
    seed: int  # bootstrap seed
    alpha: float  # 1 - confidence level

    def to_frame(self) -> pd.DataFrame:
        """One row per subgroup; each metric gives columns ``m``, ``m_lower``, ``m_upper``."""
        rows = []
        for result in self.results:
            row: dict[str, object] = {
                "variable": result.variable,
                "value": result.value,
                "n": result.n,
                "events": result.events,
                "suppressed": result.suppressed,
                "reason": result.reason,
            }
            for name, ci in result.metrics.items():
                row[name] = None if ci is None else ci.estimate
                row[f"{name}_lower"] = None if ci is None else ci.lower
                row[f"{name}_upper"] = None if ci is None else ci.upper
            rows.append(row)
        return pd.DataFrame(rows)


def subgroup_report(
    y_true: ArrayLike,
    p: ArrayLike,
    groups: pd.Series | pd.DataFrame,
    metric_fns: Mapping[str, MetricFn],
    min_count: int = 5,
    *,
    n_boot: int = 500,
    seed: int = 0,
    alpha: float = 0.05,
) -> SubgroupReport:
    """Metrics with bootstrap intervals within each subgroup.

    Args:
        y_true: Observed outcome (0/1 for a binary outcome, or continuous).
        p: Predicted probability (binary) or prediction (continuous), same length.
        groups: Subgroup labels, aligned with ``y_true`` by position (not index). A Series
            is one grouping variable; a DataFrame gives each column separately (marginal
            subgroups). For intersections pass one combined column.
        metric_fns: Metric name to ``metric(y, p) -> float``, e.g. ``BINARY_METRICS``.
        min_count: Disclosure threshold; smaller subgroups are suppressed (see module doc).
        n_boot: Bootstrap replicates per subgroup.
        seed: Bootstrap seed, a non-negative integer.
        alpha: 1 - confidence level.

    Returns:
        The report. A metric undefined within a published subgroup is NaN.

    Raises:
        ValueError: On mismatched lengths or ``min_count`` below 1.
    """
    y = as_vector(y_true, "y_true")
    prediction = as_vector(p, "p")
    frame = (
        groups.to_frame(name=groups.name or "group") if isinstance(groups, pd.Series) else groups
    )
    if not (y.size == prediction.size == len(frame)):
        raise ValueError(
            f"y_true, p and groups must have the same length; got {y.size}, "
            f"{prediction.size} and {len(frame)}."
        )
    if min_count < 1:
        raise ValueError(f"min_count must be at least 1; got {min_count}.")
    binary = is_binary(y)

    results = []
    for variable in frame.columns:
        for value, positions in _subgroup_positions(frame[variable]):
            reason = _suppression_reason(y[positions], binary, min_count)
            if reason is not None:
                results.append(
                    SubgroupResult(
                        variable=str(variable),
                        value=value,
                        n=None,
                        events=None,
                        suppressed=True,
                        reason=reason,
                        metrics=dict.fromkeys(metric_fns),
                    )
                )
                continue
            cis = bootstrap_cis(
                metric_fns,
                y[positions],
                prediction[positions],
                n_boot=n_boot,
                seed=seed,
                alpha=alpha,
                strata=binary,
            )
            results.append(
                SubgroupResult(
                    variable=str(variable),
                    value=value,
                    n=int(positions.size),
                    events=int(y[positions].sum()) if binary else None,
                    suppressed=False,
                    reason=None,
                    metrics={name: result.ci for name, result in cis.items()},
                )
            )
    return SubgroupReport(
        results=tuple(results), min_count=min_count, n_boot=n_boot, seed=seed, alpha=alpha
    )


def _subgroup_positions(labels: pd.Series) -> list[tuple[Hashable | None, np.ndarray]]:
    """(value, row positions) per subgroup: sorted values, then missing values as None."""
    labels = labels.reset_index(drop=True)
    grouped = labels.groupby(labels, sort=True, observed=True, dropna=True).indices
    subgroups: list[tuple[Hashable | None, np.ndarray]] = [
        (value.item() if isinstance(value, np.generic) else value, np.asarray(positions))
        for value, positions in grouped.items()
    ]
    missing = np.flatnonzero(labels.isna().to_numpy())
    if missing.size:
        subgroups.append((None, missing))
    return subgroups


def _suppression_reason(y: FloatArray, binary: bool, min_count: int) -> str | None:
    if y.size < min_count:
        return f"fewer than {min_count} persons"
    if binary:
        events = int(y.sum())
        if events < min_count:
            return f"fewer than {min_count} persons with the outcome"
        if y.size - events < min_count:
            return f"fewer than {min_count} persons without the outcome"
    return None
