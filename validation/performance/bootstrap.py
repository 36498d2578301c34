"""Percentile bootstrap confidence intervals that can be computed in chunks.

Replicate ``r`` of a run with seed ``s`` always draws the same resample: its random generator
is seeded from ``SeedSequence(s, spawn_key=(r,))``, the ``r``-th child that
``SeedSequence(s).spawn`` would give. A run can therefore be split into chunks of replicates
(``replicates=range(a, b)``), computed anywhere (for example as Ray tasks) and put back
together with :func:`combine_bootstrap`; the result is identical to computing all replicates
at once, whatever the chunking.

For a binary outcome the resampling is stratified by default: events and non-events are
resampled separately, so every replicate keeps the sample's event count and both classes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from validation.performance._inputs import FloatArray, is_binary
from validation.performance.errors import UndefinedMetricError

MetricFn = Callable[[FloatArray, FloatArray], float]
"""A metric: ``metric(y_true, p_or_prediction) -> float``."""

StatisticFn = Callable[[FloatArray, FloatArray], ArrayLike]
"""Several metrics at once: ``statistic(y_true, p) -> 1-D array`` of fixed length."""

# Resample-index matrices are built this many elements at a time (32 MiB of int64), so a
# large cohort times 500 replicates never has to sit in memory at once.
_BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True)
class MetricCI:
    """A metric's value on the full sample with its confidence interval."""

    estimate: float  # value on the full sample; NaN if undefined there
    lower: float  # lower bound of the interval; NaN if no replicate was defined
    upper: float  # upper bound of the interval


@dataclass(frozen=True)
class BootstrapResult:
    """Percentile bootstrap interval for one metric, over a run or a chunk of one."""

    estimate: float  # metric on the full (not resampled) sample
    lower: float  # alpha/2 percentile of the defined replicate values
    upper: float  # 1 - alpha/2 percentile of the defined replicate values
    n_boot: int  # replicates computed in this result
    n_valid: int  # replicates where the metric was defined (not NaN)
    alpha: float  # 1 - confidence level, e.g. 0.05 for a 95% interval
    seed: int  # run seed; replicate r uses SeedSequence(seed, spawn_key=(r,))
    stratified: bool  # True if events and non-events were resampled separately
    first_replicate: int  # index of values[0] within the run
    values: tuple[float, ...]  # metric value per replicate, NaN where undefined

    @property
    def ci(self) -> MetricCI:
        """The estimate and interval alone."""
        return MetricCI(self.estimate, self.lower, self.upper)

    @property
    def replicates(self) -> range:
        """Replicate indices this result covers."""
        return range(self.first_replicate, self.first_replicate + self.n_boot)


def resample_indices(
    y: ArrayLike, *, seed: int, replicates: range, strata: bool = True
) -> NDArray[np.intp]:
    """Bootstrap resample indices, one row per replicate.

    Args:
        y: Outcome; only its length (and, when stratified, its classes) is used.
        seed: Run seed, a non-negative integer.
        replicates: Replicate indices to draw, e.g. ``range(0, 500)``.
        strata: Resample events and non-events separately (``y`` must be binary).

    Returns:
        Integer array of shape ``(len(replicates), len(y))``. Row ``i`` depends only on
        ``seed`` and ``replicates[i]``. With ``strata``, each row lists the resampled
        non-events first, then the events.
    """
    outcome = np.asarray(y, dtype=np.float64)
    strata_members = _strata(outcome, strata)
    out = np.empty((len(replicates), outcome.size), dtype=np.intp)
    for row, replicate in enumerate(replicates):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replicate,)))
        column = 0
        for members in strata_members:
            size = members.size
            out[row, column : column + size] = members[rng.integers(0, size, size=size)]
            column += size
    return out


def bootstrap_replicates(
    statistic: StatisticFn,
    y: ArrayLike,
    p: ArrayLike,
    *,
    seed: int,
    replicates: range,
    strata: bool = True,
) -> FloatArray:
    """Evaluate ``statistic`` on each bootstrap replicate.

    Args:
        statistic: Function of ``(y, p)`` returning a 1-D array of fixed length ``m``
            (several metrics at once, or one metric over many thresholds).
        y: Outcome.
        p: Predicted probability or prediction, same length as ``y``.
        seed: Run seed, a non-negative integer.
        replicates: Replicate indices to compute.
        strata: Resample events and non-events separately.

    Returns:
        Array of shape ``(len(replicates), m)``. A replicate where ``statistic`` raises
        :class:`UndefinedMetricError` is a row of NaN.
    """
    outcome, prediction = _paired(y, p)
    rows: list[FloatArray] = []
    width: int | None = None
    block = max(1, _BLOCK_ELEMENTS // outcome.size)
    for start in range(0, len(replicates), block):
        chunk = replicates[start : start + block]
        for idx in resample_indices(outcome, seed=seed, replicates=chunk, strata=strata):
            try:
                value = np.atleast_1d(np.asarray(statistic(outcome[idx], prediction[idx]), float))
            except UndefinedMetricError:
                rows.append(np.array([]))  # filled with NaN once the width is known
                continue
            width = value.size
            rows.append(value)
    if width is None:
        width = 1
    return np.array([row if row.size else np.full(width, np.nan) for row in rows]).reshape(
        len(replicates), width
    )


def percentile_interval(values: ArrayLike, alpha: float = 0.05) -> tuple[float, float]:
    """``alpha/2`` and ``1 - alpha/2`` percentiles of the finite values (NaN, NaN if none)."""
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return math.nan, math.nan
    lower, upper = np.percentile(finite, [50.0 * alpha, 100.0 - 50.0 * alpha])
    return float(lower), float(upper)


def bootstrap_ci(
    metric_fn: MetricFn,
    y: ArrayLike,
    p: ArrayLike,
    *,
    n_boot: int = 500,
    seed: int = 0,
    alpha: float = 0.05,
    strata: bool = True,
    replicates: range | None = None,
) -> BootstrapResult:
    """Percentile bootstrap confidence interval for one metric.

    Args:
        metric_fn: ``metric_fn(y, p) -> float``, e.g. :func:`auroc`.
        y: Outcome.
        p: Predicted probability (binary) or prediction (continuous outcome).
        n_boot: Replicates in the whole run.
        seed: Run seed, a non-negative integer.
        alpha: 1 - confidence level.
        strata: Resample events and non-events separately; needs a binary ``y``. Pass False
            for a continuous outcome.
        replicates: Compute only these replicates, a step-1 range within ``range(n_boot)``;
            default all. Combine chunks with :func:`combine_bootstrap`.

    Returns:
        The estimate on the full sample and the interval over the computed replicates.

    Raises:
        UndefinedMetricError: If the metric is undefined on the full sample.
        ValueError: On bad ``n_boot``, ``alpha``, ``seed`` or ``replicates``, or ``strata``
            with a non-binary outcome.
    """
    return bootstrap_cis(
        {"metric": metric_fn},
        y,
        p,
        n_boot=n_boot,
        seed=seed,
        alpha=alpha,
        strata=strata,
        replicates=replicates,
        undefined_estimate="raise",
    )["metric"]


def bootstrap_cis(
    metric_fns: Mapping[str, MetricFn],
    y: ArrayLike,
    p: ArrayLike,
    *,
    n_boot: int = 500,
    seed: int = 0,
    alpha: float = 0.05,
    strata: bool = True,
    replicates: range | None = None,
    undefined_estimate: Literal["nan", "raise"] = "nan",
) -> dict[str, BootstrapResult]:
    """Bootstrap intervals for several metrics on the same resamples.

    Each replicate is drawn once and every metric is evaluated on it, which is faster than
    one :func:`bootstrap_ci` per metric and gives the same intervals.

    Args:
        metric_fns: Metric name to ``metric_fn(y, p) -> float``.
        y, p, n_boot, seed, alpha, strata, replicates: As for :func:`bootstrap_ci`.
        undefined_estimate: ``"nan"`` records a metric undefined on the full sample as a NaN
            estimate and interval; ``"raise"`` re-raises its :class:`UndefinedMetricError`.

    Returns:
        Metric name to its :class:`BootstrapResult`, in the order of ``metric_fns``.
    """
    outcome, prediction = _paired(y, p)
    run = bootstrap_range(n_boot, seed, alpha, replicates)
    names = list(metric_fns)
    estimates = {}
    for name in names:
        try:
            estimates[name] = float(metric_fns[name](outcome, prediction))
        except UndefinedMetricError:
            if undefined_estimate == "raise":
                raise
            estimates[name] = math.nan

    def statistic(y_rep: FloatArray, p_rep: FloatArray) -> FloatArray:
        return np.array([value_or_nan(metric_fns[name], y_rep, p_rep) for name in names])

    values = bootstrap_replicates(
        statistic, outcome, prediction, seed=seed, replicates=run, strata=strata
    )
    return {
        name: _result(estimates[name], values[:, j], alpha, seed, strata, run.start)
        for j, name in enumerate(names)
    }


def combine_bootstrap(parts: Iterable[BootstrapResult]) -> BootstrapResult:
    """Join chunks of one bootstrap run into the result of the whole run.

    Args:
        parts: Results of the same metric, data, seed, alpha and stratification whose
            replicate ranges together form one contiguous range (in any order).

    Returns:
        The same result that one call over the whole range gives.

    Raises:
        ValueError: If the parts disagree or their replicate ranges leave gaps or overlap.
    """
    ordered = sorted(parts, key=lambda part: part.first_replicate)
    if not ordered:
        raise ValueError("combine_bootstrap needs at least one part.")
    first = ordered[0]
    for previous, part in itertools.pairwise(ordered):
        if part.first_replicate != previous.replicates.stop:
            raise ValueError(
                f"Bootstrap chunks must be contiguous; replicates {previous.replicates} are "
                f"followed by {part.replicates}."
            )
    for part in ordered[1:]:
        same_estimate = part.estimate == first.estimate or (
            math.isnan(part.estimate) and math.isnan(first.estimate)
        )
        if not same_estimate or (part.seed, part.alpha, part.stratified) != (
            first.seed,
            first.alpha,
            first.stratified,
        ):
            raise ValueError(
                "Bootstrap chunks come from different runs (estimate, seed, alpha or "
                "stratification differ); only chunks of one run can be combined."
            )
    values = np.array([v for part in ordered for v in part.values], dtype=np.float64)
    return _result(
        first.estimate, values, first.alpha, first.seed, first.stratified, first.first_replicate
    )


def metric_ci(estimate: float, values: ArrayLike, alpha: float = 0.05) -> MetricCI:
    """Estimate with the percentile interval of its replicate values.

    The interval is NaN when the estimate is NaN: a metric undefined on the full sample has
    no meaningful interval, even if some resamples happen to define it.
    """
    if math.isnan(estimate):
        return MetricCI(estimate, math.nan, math.nan)
    lower, upper = percentile_interval(values, alpha)
    return MetricCI(estimate, lower, upper)


def _result(
    estimate: float, values: FloatArray, alpha: float, seed: int, strata: bool, first: int
) -> BootstrapResult:
    ci = metric_ci(estimate, values, alpha)
    return BootstrapResult(
        estimate=estimate,
        lower=ci.lower,
        upper=ci.upper,
        n_boot=int(values.size),
        n_valid=int(np.isfinite(values).sum()),
        alpha=alpha,
        seed=seed,
        stratified=strata,
        first_replicate=first,
        values=tuple(values.tolist()),
    )


def value_or_nan(metric_fn: MetricFn, y: FloatArray, p: FloatArray) -> float:
    """``metric_fn(y, p)``, or NaN where the metric is undefined for these data."""
    try:
        return float(metric_fn(y, p))
    except UndefinedMetricError:
        return math.nan


def _paired(y: ArrayLike, p: ArrayLike) -> tuple[FloatArray, FloatArray]:
    outcome = np.asarray(y, dtype=np.float64)
    prediction = np.asarray(p, dtype=np.float64)
    if outcome.ndim != 1 or outcome.shape != prediction.shape or outcome.size == 0:
        raise ValueError(
            f"y and p must be non-empty 1-D arrays of the same length; got shapes "
            f"{outcome.shape} and {prediction.shape}."
        )
    return outcome, prediction


def _strata(y: FloatArray, strata: bool) -> list[NDArray[np.intp]]:
    if not strata:
        return [np.arange(y.size)]
    if not is_binary(y):
        raise ValueError(
            "strata=True resamples events and non-events separately and needs a 0/1 outcome; "
            "pass strata=False for a continuous outcome."
        )
    return [
        members for members in (np.flatnonzero(y == 0.0), np.flatnonzero(y == 1.0)) if members.size
    ]


def bootstrap_range(n_boot: int, seed: int, alpha: float, replicates: range | None) -> range:
    """Check the bootstrap settings and return the replicate indices to compute.

    Raises:
        ValueError: If a setting is out of range; the message names the setting.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1; got {n_boot}.")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed}.")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, e.g. 0.05; got {alpha}.")
    if replicates is None:
        return range(n_boot)
    if (
        not isinstance(replicates, range)
        or replicates.step != 1
        or len(replicates) == 0
        or replicates.start < 0
        or replicates.stop > n_boot
    ):
        raise ValueError(
            f"replicates must be a non-empty step-1 range within range({n_boot}), e.g. "
            f"range(0, 100); got {replicates!r}."
        )
    return replicates
