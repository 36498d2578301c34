"""Small pieces shared by the pages: headers, charts, metric tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards.i18n import day, estimate, t, tf
from dashboards.labels import metric_name, regime_name
from dashboards.view import View

BINARY_HEADLINE = (
    "auroc",
    "auprc",
    "brier",
    "calibration_slope",
    "calibration_intercept",
    "sensitivity",
    "specificity",
)
REGRESSION_HEADLINE = ("rmse", "mae", "r2", "calibration_in_the_large")


def header(view: View, title_key: str, intro_key: str | None = None) -> None:
    """Page title, the run it shows, and an optional one-paragraph introduction."""
    st.title(t(title_key, view.lang))
    st.caption(
        f"{view.run.name} · {t('common.tenant', view.lang)} {view.run.tenant} · "
        f"{t('common.run_on', view.lang)} {day(view.run.started.date(), view.lang)}"
    )
    if intro_key:
        st.write(t(intro_key, view.lang))


def published_twin(view: View) -> dict[str, Any] | None:
    """The run's twin evaluation if it was published; otherwise say so and return None."""
    found = view.twin_evaluation()
    if found is None:
        st.info(tf("twin.not_published", view.lang, twin=view.evidence.get("twin_id") or "–"))
        return None
    return found[1]


def chart(fig: go.Figure) -> None:
    """A figure at full width, with our template (not Streamlit's theme)."""
    st.plotly_chart(fig, theme=None, config={"displaylogo": False})


def binary_only(view: View) -> bool:
    """True for a binary run; otherwise say the page does not apply and return False."""
    if view.binary:
        return True
    st.info(t("common.binary_only", view.lang))
    return False


def metric_table(view: View, metrics: Sequence[str]) -> pd.DataFrame:
    """Metrics as rows, regimes as columns, each cell 'estimate (95% interval)'."""
    regimes = view.regimes()
    rows = []
    for metric in metrics:
        row = {t("common.metric", view.lang): metric_name(metric, view.lang)}
        for regime, block in regimes.items():
            value = (block.get("metrics") or {}).get(metric)
            row[regime_name(regime, view.lang, short=True)] = estimate(value, view.lang)
        rows.append(row)
    return pd.DataFrame(rows)


def table(frame: pd.DataFrame) -> None:
    """A static table without the index: all rows visible and large on a projector, and its
    text in the page (a data grid would draw it on a canvas)."""
    st.table(frame, hide_index=True)
