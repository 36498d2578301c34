"""The buyers' dashboard: published evidence from MLflow, Danish first.

Run with ``testbench dashboard`` (or ``streamlit run dashboards/app.py``). It
reads the MLflow store named by the test-bench settings and never opens a lake.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.i18n import LANGUAGES, number, t, timestamp
from testbench.config import load_settings
from testbench.evidence import EvidenceRun, list_runs

HEADLINE = ("auroc_trtr", "auroc_tstr", "twin_quality")


@st.cache_data(ttl=30, show_spinner=False)
def _runs(tracking_uri: str) -> list[EvidenceRun]:
    return list_runs(tracking_uri)


def _lang() -> str:
    return str(st.session_state.get("lang", LANGUAGES[0]))


def overview() -> None:
    """Headline metrics of the newest run and the list of all runs."""
    lang = _lang()
    st.title(t("overview.title", lang))
    st.write(t("overview.intro", lang))
    runs = _runs(load_settings().tracking_uri)
    if not runs:
        st.info(t("overview.no_runs", lang))
        return
    newest = runs[0]
    st.subheader(f"{t('overview.newest', lang)}: {newest.name}")
    cols = st.columns(len(HEADLINE) + 1)
    for col, key in zip(cols, HEADLINE, strict=False):
        if key in newest.metrics:
            col.metric(t(f"metric.{key}", lang), number(newest.metrics[key], lang))
    if "n_test" in newest.metrics:
        cols[-1].metric(t("metric.n_test", lang), number(newest.metrics["n_test"], lang, 0))
    st.caption(t("overview.explain", lang))
    st.subheader(t("overview.runs", lang))
    table = pd.DataFrame(
        {
            t("column.name", lang): [r.name for r in runs],
            t("column.tenant", lang): [r.tenant for r in runs],
            t("column.started", lang): [timestamp(r.started, lang) for r in runs],
            t("column.status", lang): [t(f"status.{r.status}", lang) for r in runs],
            "AUROC (TRTR)": [number(r.metrics.get("auroc_trtr", float("nan")), lang) for r in runs],
            "AUROC (TSTR)": [number(r.metrics.get("auroc_tstr", float("nan")), lang) for r in runs],
            t("column.run_id", lang): [r.run_id for r in runs],
        }
    )
    st.dataframe(table, hide_index=True, use_container_width=True)


def main() -> None:
    st.set_page_config(page_title="OSCAR HOST", layout="wide")
    if "lang" not in st.session_state:
        st.session_state["lang"] = LANGUAGES[0]
    with st.sidebar:
        st.radio(
            t("app.language", _lang()),
            LANGUAGES,
            format_func=lambda code: {"da": "Dansk", "en": "English"}[code],
            key="lang",
            horizontal=True,
        )
    lang = _lang()
    page = st.navigation([st.Page(overview, title=t("nav.overview", lang), default=True)])
    page.run()


main()
