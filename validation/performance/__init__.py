"""Model-performance metrics: discrimination, calibration, decision curves, subgroups.

Plain arrays in, floats or frozen dataclasses out. Binary-outcome functions take the observed
outcome ``y_true`` (0/1) and the predicted probability of 1, ``p``; regression functions take
``y_true`` and ``y_pred``. Intervals are percentile bootstrap intervals that can be computed in
chunks (see :mod:`validation.performance.bootstrap`).

Typical use::

    from validation.performance import BINARY_METRICS, binary_report, subgroup_report

    report = binary_report(y_test, model.predict_proba(X_test)[:, 1], seed=7)
    by_sex = subgroup_report(y_test, p_test, cohort["sex"], BINARY_METRICS, seed=7)
"""

from validation.performance.binary import (
    SensitivitySpecificity,
    auprc,
    auroc,
    brier,
    log_loss,
    sensitivity,
    sensitivity_specificity,
    specificity,
)
from validation.performance.bootstrap import (
    BootstrapResult,
    MetricCI,
    MetricFn,
    bootstrap_ci,
    bootstrap_cis,
    bootstrap_replicates,
    combine_bootstrap,
    metric_ci,
    percentile_interval,
    resample_indices,
)
from validation.performance.calibration import calibration_intercept, calibration_slope
from validation.performance.calibration_curve import (
    CalibrationBin,
    CalibrationCurve,
    calibration_curve,
)
from validation.performance.decision_curve import DEFAULT_THRESHOLDS, DecisionCurve, net_benefit
from validation.performance.errors import TooFewEventsError, UndefinedMetricError
from validation.performance.regression import calibration_in_the_large, mae, r2, rmse
from validation.performance.report import (
    BINARY_METRICS,
    BINARY_REPORT_METRICS,
    REGRESSION_METRICS,
    BinaryReport,
    RegressionReport,
    binary_replicates,
    binary_report,
    regression_replicates,
    regression_report,
)
from validation.performance.subgroups import SubgroupReport, SubgroupResult, subgroup_report

__all__ = [
    "BINARY_METRICS",
    "BINARY_REPORT_METRICS",
    "DEFAULT_THRESHOLDS",
    "REGRESSION_METRICS",
    "BinaryReport",
    "BootstrapResult",
    "CalibrationBin",
    "CalibrationCurve",
    "DecisionCurve",
    "MetricCI",
    "MetricFn",
    "RegressionReport",
    "SensitivitySpecificity",
    "SubgroupReport",
    "SubgroupResult",
    "TooFewEventsError",
    "UndefinedMetricError",
    "auprc",
    "auroc",
    "binary_replicates",
    "binary_report",
    "bootstrap_ci",
    "bootstrap_cis",
    "bootstrap_replicates",
    "brier",
    "calibration_curve",
    "calibration_in_the_large",
    "calibration_intercept",
    "calibration_slope",
    "combine_bootstrap",
    "log_loss",
    "mae",
    "metric_ci",
    "net_benefit",
    "percentile_interval",
    "r2",
    "regression_replicates",
    "regression_report",
    "resample_indices",
    "rmse",
    "sensitivity",
    "sensitivity_specificity",
    "specificity",
    "subgroup_report",
]
