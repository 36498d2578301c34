"""Clinical utility: the decision curve (net benefit against the risk threshold)."""

from __future__ import annotations

import streamlit as st

from dashboards.figures import decision_figure
from dashboards.i18n import percent, t
from dashboards.view import View, require_validation
from dashboards.widgets import binary_only, chart, header, metric_table, table


def render(view: View) -> None:
    """Net benefit of the model against treating everyone or no one."""
    header(view, "utility.title", "utility.intro")
    if not binary_only(view):
        return
    chart(decision_figure(view.regimes("TRTR", "TSTR"), view.lang))
    st.caption(t("utility.explain", view.lang))
    threshold = (view.evidence.get("evaluation") or {}).get("threshold")
    if threshold is not None:
        st.markdown(
            f"#### {t('utility.at_threshold', view.lang)} {percent(threshold, view.lang, 0)}"
        )
    table(metric_table(view, ("sensitivity", "specificity")))


if __name__ == "__main__":
    render(require_validation())
