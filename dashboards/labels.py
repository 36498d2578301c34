"""Catalogue keys of names that come from the evidence (metrics, regimes).

Keys are written out in full, never assembled from pieces, so the catalogue test finds
every key the dashboard can ask for.
"""

from __future__ import annotations

from dashboards.i18n import t

METRIC_KEYS = {
    "auroc": "metric.auroc",
    "auprc": "metric.auprc",
    "brier": "metric.brier",
    "log_loss": "metric.log_loss",
    "calibration_slope": "metric.calibration_slope",
    "calibration_intercept": "metric.calibration_intercept",
    "sensitivity": "metric.sensitivity",
    "specificity": "metric.specificity",
    "rmse": "metric.rmse",
    "mae": "metric.mae",
    "r2": "metric.r2",
    "calibration_in_the_large": "metric.calibration_in_the_large",
}
REGIME_KEYS = {"TRTR": "regime.TRTR", "TSTR": "regime.TSTR", "TSTS": "regime.TSTS"}
SHORT_REGIME_KEYS = {
    "TRTR": "regime.short.TRTR",
    "TSTR": "regime.short.TSTR",
    "TSTS": "regime.short.TSTS",
}


def metric_name(metric: str, lang: str) -> str:
    """A metric's display name (the evidence's own name when the catalogue lacks it)."""
    key = METRIC_KEYS.get(metric)
    return t(key, lang) if key else metric


def regime_name(regime: str, lang: str, short: bool = False) -> str:
    """A regime's display name, e.g. 'trænet på tvillingen (TSTR)', or just 'TSTR'."""
    key = (SHORT_REGIME_KEYS if short else REGIME_KEYS).get(regime)
    return t(key, lang) if key else regime
