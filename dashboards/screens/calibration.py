"""Calibration: do predicted risks match observed rates? Curve, slope and intercept."""

from __future__ import annotations

import streamlit as st

from dashboards.figures import calibration_figure
from dashboards.i18n import estimate, t
from dashboards.labels import regime_name
from dashboards.view import View, require_validation
from dashboards.widgets import binary_only, chart, header, metric_table, table


def render(view: View) -> None:
    """The binned calibration curve with its band, and slope and intercept per regime."""
    header(view, "calibration.title", "calibration.intro")
    if not binary_only(view):
        return
    regimes = view.regimes("TRTR", "TSTR")
    columns = st.columns(2 * len(regimes))
    for i, (regime, block) in enumerate(regimes.items()):
        metrics = block.get("metrics") or {}
        name = regime_name(regime, view.lang)
        columns[2 * i].metric(
            f"{t('metric.calibration_slope', view.lang)}, {name}",
            estimate(metrics.get("calibration_slope"), view.lang),
        )
        columns[2 * i + 1].metric(
            f"{t('metric.calibration_intercept', view.lang)}, {name}",
            estimate(metrics.get("calibration_intercept"), view.lang),
        )
    chart(calibration_figure(regimes, view.lang))
    st.caption(t("calibration.explain", view.lang))
    table(metric_table(view, ("calibration_slope", "calibration_intercept", "brier")))


if __name__ == "__main__":
    render(require_validation())
