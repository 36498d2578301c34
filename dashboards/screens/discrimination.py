"""Discrimination: how well the model ranks persons with the outcome above those without."""

from __future__ import annotations

import streamlit as st

from dashboards.figures import pr_figure, roc_figure
from dashboards.i18n import number, tf
from dashboards.view import View, require_validation
from dashboards.widgets import binary_only, chart, header, metric_table, table


def render(view: View) -> None:
    """ROC and precision-recall curves, AUROC and AUPRC with intervals, cross-validation."""
    header(view, "discrimination.title", "discrimination.intro")
    if not binary_only(view):
        return
    regimes = view.regimes()
    left, right = st.columns(2)
    with left:
        chart(roc_figure(regimes, view.lang))
    with right:
        chart(pr_figure(regimes, view.lang))
    table(metric_table(view, ("auroc", "auprc")))
    cv = (regimes.get("TRTR", {}).get("cv") or {}).get("auroc") or {}
    if cv.get("mean") is not None and cv.get("sd") is not None:
        st.caption(
            tf(
                "discrimination.cv",
                view.lang,
                folds=len(cv.get("folds") or []),
                mean=number(cv["mean"], view.lang),
                sd=number(cv["sd"], view.lang),
            )
        )


if __name__ == "__main__":
    render(require_validation())
