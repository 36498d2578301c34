"""One-call performance reports: every metric with its bootstrap interval.

All metrics of a report are evaluated on the same bootstrap resamples, so the run costs one
resampling pass however many metrics it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike

from validation.performance._inputs import FloatArray, binary_inputs, regression_inputs
from validation.performance.binary import auprc, auroc, brier, log_loss, sensitivity_specificity
from validation.performance.bootstrap import (
    MetricCI,
    MetricFn,
    bootstrap_range,
    bootstrap_replicates,
    metric_ci,
    value_or_nan,
)
from validation.performance.calibration import calibration_intercept, calibration_slope
from validation.performance.calibration_curve import (
    BinStrategy,
    CalibrationCurve,
    calibration_curve,
)
from validation.performance.decision_curve import (
    DEFAULT_THRESHOLDS,
    DecisionCurve,
    net_benefit,
    net_benefit_values,
)
from validation.performance.errors import UndefinedMetricError
from validation.performance.regression import calibration_in_the_large, mae, r2, rmse

# Default metric sets, e.g. for subgroup_report(..., metric_fns=BINARY_METRICS).
BINARY_METRICS: Mapping[str, MetricFn] = MappingProxyType(
    {
        "auroc": auroc,
        "auprc": auprc,
        "brier": brier,
        "log_loss": log_loss,
        "calibration_slope": calibration_slope,
        "calibration_intercept": calibration_intercept,
    }
)
REGRESSION_METRICS: Mapping[str, MetricFn] = MappingProxyType(
    {
        "rmse": rmse,
        "mae": mae,
        "r2": r2,
        "calibration_in_the_large": calibration_in_the_large,
    }
)

# The scalar metrics of a BinaryReport (its MetricCI fields), in report order.
BINARY_REPORT_METRICS = (
    "auroc",
    "auprc",
    "brier",
    "log_loss",
    "calibration_slope",
    "calibration_intercept",
    "sensitivity",
    "specificity",
)


@dataclass(frozen=True)
class BinaryReport:
    """Performance of a model for a binary outcome, each metric with a bootstrap interval."""

    n: int  # persons evaluated
    events: int  # persons with the outcome
    threshold: float  # probability at or above which sensitivity/specificity call positive
    auroc: MetricCI  # discrimination: area under the ROC curve
    auprc: MetricCI  # average precision (area under the precision-recall curve)
    brier: MetricCI  # mean squared error of the probabilities
    log_loss: MetricCI  # mean negative log-likelihood
    calibration_slope: MetricCI  # 1 is ideal; below 1 means too extreme predictions
    calibration_intercept: MetricCI  # calibration-in-the-large on the log-odds scale; 0 ideal
    sensitivity: MetricCI  # at `threshold`
    specificity: MetricCI  # at `threshold`
    calibration_curve: CalibrationCurve  # binned, disclosure-safe (min_events per bin)
    decision_curve: DecisionCurve  # net benefit with bootstrap bounds for the model
    n_boot: int  # bootstrap replicates behind every interval
    seed: int  # bootstrap seed; the same seed and data give the same report
    alpha: float  # 1 - confidence level of the intervals


@dataclass(frozen=True)
class RegressionReport:
    """Performance of a model for a continuous outcome, each metric with a bootstrap interval."""

    n: int  # persons evaluated
    rmse: MetricCI  # root mean squared error, outcome units
    mae: MetricCI  # mean absolute error, outcome units
    r2: MetricCI  # coefficient of determination
    calibration_in_the_large: MetricCI  # mean observed - mean predicted; 0 ideal
    n_boot: int  # bootstrap replicates behind every interval
    seed: int  # bootstrap seed
    alpha: float  # 1 - confidence level of the intervals


def binary_report(
    y_true: ArrayLike,
    p: ArrayLike,
    threshold: float = 0.5,
    n_boot: int = 500,
    seed: int = 0,
    *,
    alpha: float = 0.05,
    thresholds: ArrayLike = DEFAULT_THRESHOLDS,
    n_bins: int = 10,
    bin_strategy: BinStrategy = "quantile",
    min_events: int = 5,
    replicate_values: FloatArray | None = None,
) -> BinaryReport:
    """Every binary-outcome metric with a stratified percentile bootstrap interval.

    Args:
        y_true: Observed outcome, 0 or 1.
        p: Predicted probability of outcome 1.
        threshold: Cut-off for sensitivity and specificity (positive when ``p >= threshold``).
        n_boot: Bootstrap replicates.
        seed: Bootstrap seed, a non-negative integer.
        alpha: 1 - confidence level.
        thresholds: Threshold probabilities of the decision curve.
        n_bins: Initial bins of the calibration curve.
        bin_strategy: ``"quantile"`` or ``"uniform"`` calibration bins.
        min_events: Minimum events and non-events per calibration bin.
        replicate_values: The bootstrap statistics already computed, e.g. in chunks on
            several workers with :func:`binary_replicates` and stacked in replicate order;
            shape ``(n_boot, m)``. None computes them here. Either way the report is the same.

    Returns:
        The report. A metric undefined on this sample (for example the calibration slope
        of a constant prediction) is NaN with a NaN interval.

    Raises:
        ValueError: On bad input.
        TooFewEventsError: If there are fewer than ``min_events`` events or non-events.
    """
    y, prob = binary_inputs(y_true, p)
    run = bootstrap_range(n_boot, seed, alpha, None)
    curve = calibration_curve(y, prob, n_bins, bin_strategy, min_events)
    decision = net_benefit(y, prob, thresholds)
    pts = np.asarray(decision.thresholds)
    statistic = _binary_statistic(threshold, pts)

    full = statistic(y, prob)
    values = _replicates_or_given(
        replicate_values,
        run,
        full.size,
        lambda: bootstrap_replicates(statistic, y, prob, seed=seed, replicates=run, strata=True),
    )
    cis = [metric_ci(float(full[j]), values[:, j], alpha) for j in range(full.size)]
    scalars = dict(zip(BINARY_REPORT_METRICS, cis, strict=False))
    model_cis = cis[len(BINARY_REPORT_METRICS) :]
    decision = replace(
        decision,
        model_lower=tuple(ci.lower for ci in model_cis),
        model_upper=tuple(ci.upper for ci in model_cis),
    )
    return BinaryReport(
        n=y.size,
        events=int(y.sum()),
        threshold=threshold,
        calibration_curve=curve,
        decision_curve=decision,
        n_boot=n_boot,
        seed=seed,
        alpha=alpha,
        **scalars,
    )


def regression_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    n_boot: int = 500,
    seed: int = 0,
    *,
    alpha: float = 0.05,
    replicate_values: FloatArray | None = None,
) -> RegressionReport:
    """Every continuous-outcome metric with a percentile bootstrap interval.

    Args:
        y_true: Observed outcome.
        y_pred: Predicted outcome.
        n_boot: Bootstrap replicates (plain, unstratified resampling).
        seed: Bootstrap seed, a non-negative integer.
        alpha: 1 - confidence level.
        replicate_values: Bootstrap statistics from :func:`regression_replicates`, stacked
            in replicate order; None computes them here.

    Returns:
        The report; R² is NaN if the outcome is constant.
    """
    y, pred = regression_inputs(y_true, y_pred)
    run = bootstrap_range(n_boot, seed, alpha, None)
    full = _regression_statistic(y, pred)
    values = _replicates_or_given(
        replicate_values,
        run,
        full.size,
        lambda: bootstrap_replicates(
            _regression_statistic, y, pred, seed=seed, replicates=run, strata=False
        ),
    )
    cis = [metric_ci(float(full[j]), values[:, j], alpha) for j in range(full.size)]
    return RegressionReport(
        n=y.size,
        rmse=cis[0],
        mae=cis[1],
        r2=cis[2],
        calibration_in_the_large=cis[3],
        n_boot=n_boot,
        seed=seed,
        alpha=alpha,
    )


def binary_replicates(
    y_true: ArrayLike,
    p: ArrayLike,
    replicates: range,
    seed: int = 0,
    threshold: float = 0.5,
    thresholds: ArrayLike = DEFAULT_THRESHOLDS,
) -> FloatArray:
    """The bootstrap statistics of :func:`binary_report` for some replicates only.

    Replicate ``i`` resamples the same rows whichever chunk computes it, so chunks computed
    on different workers and stacked in order equal one serial pass.

    Returns:
        Array of shape ``(len(replicates), m)`` for ``binary_report(replicate_values=...)``.
    """
    y, prob = binary_inputs(y_true, p)
    pts = np.asarray(net_benefit(y, prob, thresholds).thresholds)
    statistic = _binary_statistic(threshold, pts)
    return bootstrap_replicates(statistic, y, prob, seed=seed, replicates=replicates, strata=True)


def regression_replicates(
    y_true: ArrayLike, y_pred: ArrayLike, replicates: range, seed: int = 0
) -> FloatArray:
    """The bootstrap statistics of :func:`regression_report` for some replicates only."""
    y, pred = regression_inputs(y_true, y_pred)
    return bootstrap_replicates(
        _regression_statistic, y, pred, seed=seed, replicates=replicates, strata=False
    )


def _regression_statistic(y: FloatArray, pred: FloatArray) -> FloatArray:
    return np.array([value_or_nan(metric, y, pred) for metric in REGRESSION_METRICS.values()])


def _replicates_or_given(
    given: FloatArray | None, run: range, width: int, compute: Callable[[], FloatArray]
) -> FloatArray:
    if given is None:
        return compute()
    values = np.asarray(given, dtype=np.float64)
    if values.shape != (len(run), width):
        raise ValueError(
            f"replicate_values must have shape ({len(run)}, {width}); got {values.shape}."
        )
    return values


def _binary_statistic(
    threshold: float, thresholds: FloatArray
) -> Callable[[FloatArray, FloatArray], FloatArray]:
    """All binary metrics of one (re)sample as one vector, in `BINARY_REPORT_METRICS` order."""
    scalar_metrics = tuple(BINARY_METRICS.values())

    def statistic(y: FloatArray, prob: FloatArray) -> FloatArray:
        values = [value_or_nan(metric, y, prob) for metric in scalar_metrics]
        try:
            values.extend(sensitivity_specificity(y, prob, threshold))
        except UndefinedMetricError:
            values.extend([np.nan, np.nan])
        return np.concatenate([values, net_benefit_values(y, prob, thresholds)])

    return statistic
