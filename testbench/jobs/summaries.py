"""Turn a validation job's results into the evidence JSON (docs/evidence.md), aggregates only.

Curves go on fixed grids, never one point per person; calibration bins were already
merged to ``min_count`` events and non-events by the metric code; subgroups under
``min_count`` are suppressed there. The disclosure checker reviews the whole result again
before anything is logged.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_curve

from testbench.jobs.tasks import BINARY
from testbench.jobs.validation import REGIME_SOURCES, RegimeResult, ValidationJob
from validation.performance import (
    BINARY_REPORT_METRICS,
    REGRESSION_METRICS,
    BinaryReport,
    MetricCI,
    SubgroupReport,
)

GRID = np.round(np.linspace(0.0, 1.0, 51), 4)  # shared x grid of ROC and PR curves
Z95 = 1.959963984540054  # normal quantile of a 95% interval (Wilson bounds of calibration bins)


def regime_evidence(job: ValidationJob, result: RegimeResult) -> dict[str, Any]:
    """One regime's block of the evidence (see docs/evidence.md)."""
    train, test = REGIME_SOURCES[result.regime]
    report = result.report
    names = BINARY_REPORT_METRICS if job.task == BINARY else tuple(REGRESSION_METRICS)
    block: dict[str, Any] = {
        "train": train,
        "test": test,
        "n_train": result.n_train,
        "n_test": result.n_test,
        "estimator": result.estimator,
        "metrics": {name: estimate(getattr(report, name)) for name in names},
        "cv": {
            name: {
                "mean": _num(np.nanmean(values)) if values else None,
                "sd": _num(np.nanstd(values, ddof=1)) if len(values) > 1 else None,
                "folds": [_num(v) for v in values],
            }
            for name, values in result.cv.items()
        },
        "subgroups": subgroup_rows(result.subgroups) if result.subgroups else [],
        "importance": [
            {"feature": str(r["feature"]), "mean": _num(r["mean"]), "sd": _num(r["sd"])}
            for r in result.importance
        ],
    }
    if isinstance(report, BinaryReport):
        block.update(
            roc=roc_grid(result.y_test, result.prediction),
            pr=pr_grid(result.y_test, result.prediction),
            calibration=calibration_bins(report),
            decision_curve=decision_curve(report),
        )
        block["events_test"] = report.events
    return block


def estimate(ci: MetricCI) -> dict[str, float | None]:
    """``{"value", "low", "high"}`` with NaN as None (JSON has no NaN)."""
    return {"value": _num(ci.estimate), "low": _num(ci.lower), "high": _num(ci.upper)}


def roc_grid(y: np.ndarray, p: np.ndarray) -> dict[str, list[float]]:
    """The ROC curve interpolated on a fixed false-positive-rate grid."""
    fpr, tpr, _ = roc_curve(y, p)
    return {"fpr": GRID.tolist(), "tpr": np.round(np.interp(GRID, fpr, tpr), 4).tolist()}


def pr_grid(y: np.ndarray, p: np.ndarray) -> dict[str, list[float]]:
    """Interpolated precision (best precision at recall >= r) on a fixed recall grid."""
    precision, recall, _ = precision_recall_curve(y, p)
    order = np.argsort(recall)
    recall, precision = recall[order], precision[order]
    # best precision at any recall at or above each grid point (the usual interpolation)
    best = np.maximum.accumulate(precision[::-1])[::-1]
    idx = np.searchsorted(recall, GRID, side="left").clip(0, recall.size - 1)
    return {"recall": GRID.tolist(), "precision": np.round(best[idx], 4).tolist()}


def calibration_bins(report: BinaryReport) -> dict[str, Any]:
    """Calibration bins with a Wilson 95% interval on each observed rate."""
    bins = []
    for b in report.calibration_curve.bins:
        low, high = wilson(b.events, b.n)
        bins.append(
            {
                "predicted": _num(b.mean_predicted),
                "observed": _num(b.observed_rate),
                "low": _num(low),
                "high": _num(high),
                "n": b.n,
                "events": b.events,
            }
        )
    return {"bins": bins}


def decision_curve(report: BinaryReport) -> dict[str, list[float | None]]:
    """Net benefit of the model (with its bootstrap band) and of treating everyone."""
    curve = report.decision_curve
    return {
        "thresholds": [_num(t) for t in curve.thresholds],
        "model": [_num(v) for v in curve.model],
        "low": [_num(v) for v in (curve.model_lower or ())],
        "high": [_num(v) for v in (curve.model_upper or ())],
        "treat_all": [_num(v) for v in curve.treat_all],
    }


def subgroup_rows(report: SubgroupReport) -> list[dict[str, Any]]:
    """One entry per subgroup; suppressed ones keep only their label."""
    rows = []
    for r in report.results:
        level = "" if r.value is None else str(r.value)
        if r.suppressed:
            less = f"<{report.min_count}"
            rows.append(
                {
                    "variable": r.variable,
                    "level": level,
                    "n": less,
                    "events": less,
                    "suppressed": True,
                    "metrics": {},
                }
            )
            continue
        rows.append(
            {
                "variable": r.variable,
                "level": level,
                "n": r.n,
                "events": r.events,
                "suppressed": False,
                "metrics": {k: estimate(v) for k, v in r.metrics.items() if v is not None},
            }
        )
    return rows


def wilson(events: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion ``events / n``."""
    if n == 0:
        return math.nan, math.nan
    share = events / n
    denominator = 1 + Z95**2 / n
    centre = (share + Z95**2 / (2 * n)) / denominator
    half = Z95 * math.sqrt(share * (1 - share) / n + Z95**2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _num(value: Any) -> float | None:
    number = float(value)
    return round(number, 6) if math.isfinite(number) else None
