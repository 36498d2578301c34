"""Subgroups: performance per sex, age band, region... with counts (TRIPOD+AI item 23a).

Subgroups under the disclosure minimum show "<5" and no metrics; a count withheld so that a
small one cannot be worked out from the others shows a dash.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.figures import forest_figure
from dashboards.i18n import count, estimate, t
from dashboards.labels import metric_name, regime_name
from dashboards.view import View, require_validation
from dashboards.widgets import chart, header, table

FOREST_METRIC = {True: "auroc", False: "rmse"}  # binary run -> AUROC; regression -> RMSE


def render(view: View) -> None:
    """Table and forest plot of one regime's subgroups."""
    lang = view.lang
    header(view, "subgroups.title", "subgroups.intro")
    regimes = view.regimes("TRTR", "TSTR")
    if not regimes:
        st.info(t("subgroups.none", lang))
        return
    regime = st.radio(
        t("subgroups.regime", lang),
        list(regimes),
        format_func=lambda r: regime_name(r, lang, short=True),
        horizontal=True,
        key="subgroups_regime",
    )
    rows = regimes[str(regime)].get("subgroups") or []
    if not rows:
        st.info(t("subgroups.none", lang))
        return
    metric = FOREST_METRIC[view.binary]
    frame = pd.DataFrame(
        {
            t("subgroups.variable", lang): [r.get("variable") for r in rows],
            t("subgroups.level", lang): [str(r.get("level")) for r in rows],
            t("subgroups.n", lang): [count(r.get("n"), lang) for r in rows],
            t("subgroups.events", lang): [count(r.get("events"), lang) for r in rows],
            metric_name(metric, lang): [
                estimate((r.get("metrics") or {}).get(metric), lang) for r in rows
            ],
            t("subgroups.status", lang): [
                t("subgroups.suppressed" if r.get("suppressed") else "subgroups.shown", lang)
                for r in rows
            ],
        }
    )
    overall = (regimes[str(regime)].get("metrics") or {}).get(metric)
    chart(forest_figure(rows, metric, lang, overall))
    table(frame)
    st.caption(t("subgroups.explain", lang))


if __name__ == "__main__":
    render(require_validation())
