"""The buyers' dashboard: published evidence from MLflow, Danish first.

Run with ``testbench dashboard`` (or ``streamlit run dashboards/app.py``). It reads the
MLflow store named by the test-bench settings and never opens a lake. This entry point
builds the sidebar (language, viewer token, run) and the navigation; each page is a script
in ``screens/`` that renders the chosen run (see :mod:`dashboards.view`).
"""

from __future__ import annotations

import streamlit as st

from dashboards import data
from dashboards.access import Access, resolve_access
from dashboards.i18n import LANGUAGES, day, t
from dashboards.view import REASON_KEY, VIEW_KEY, View, lang
from testbench.config import Settings, load_settings
from testbench.evidence.reader import EvidenceRun
from testbench.viewers import token_digest

# (script, url path, catalogue key of the title); the first page is the default.
PAGES = (
    ("screens/overview.py", "overview", "nav.overview"),
    ("screens/discrimination.py", "discrimination", "nav.discrimination"),
    ("screens/calibration.py", "calibration", "nav.calibration"),
    ("screens/clinical_utility.py", "clinical-utility", "nav.clinical_utility"),
    ("screens/subgroups.py", "subgroups", "nav.subgroups"),
    ("screens/synthetic_twin.py", "synthetic-twin", "nav.synthetic_twin"),
    ("screens/privacy.py", "privacy", "nav.privacy"),
    ("screens/data.py", "data", "nav.data"),
    ("screens/model_card.py", "model-card", "nav.model_card"),
    ("screens/catalogue.py", "catalogue", "nav.catalogue"),
)
LANGUAGE_NAMES = {"da": "lang.da", "en": "lang.en"}
# Streamlit draws a metric's label and value on one line and cuts what does not fit with an
# ellipsis ("0.03 (-0.06 to 0.…" in four columns at 1600 px). Every page's metrics wrap
# instead, between words (after an interval's dash or "til"), so no number is ever cut.
METRIC_CSS = """<style>
[data-testid="stMetricLabel"] *, [data-testid="stMetricValue"], [data-testid="stMetricValue"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: normal; word-break: normal;
}
</style>"""
TOKEN_KEY = "viewer_token"  # the sidebar field; filled once from ?token= in the URL
RUN_KEY = "run_id"  # the run chosen in the sidebar


def sidebar_access(settings: Settings) -> Access:
    """Language switch and viewer token in the sidebar; returns what the session may see."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = LANGUAGES[0]
    if "_token_read" not in st.session_state:
        # A buyer's link carries ?token=...; keep it in the session (page changes rewrite
        # the URL) and take it out of the address bar, where a projector would show it.
        st.session_state["_token_read"] = True
        st.session_state[TOKEN_KEY] = st.query_params.get("token", "")
        if "token" in st.query_params:
            del st.query_params["token"]
    with st.sidebar:
        st.radio(
            t("app.language", lang()),
            LANGUAGES,
            format_func=lambda code: t(LANGUAGE_NAMES[code], code),
            key="lang",
            horizontal=True,
        )
        st.text_input(
            t("access.token", lang()),
            key=TOKEN_KEY,
            type="password",
            help=t("access.token_help", lang()),
        )
    uri = settings.tracking_uri
    access = resolve_access(
        str(st.session_state.get(TOKEN_KEY) or ""),
        settings.demo_mode,
        lambda token: data.viewer_tenant(uri, token_digest(token)),
    )
    if access.token_rejected:
        st.sidebar.error(t("access.rejected", lang()))
    return access


def sidebar_run(runs: list[EvidenceRun]) -> EvidenceRun | None:
    """The run to show, chosen among the published runs, newest first."""
    if not runs:
        return None
    by_id = {run.run_id: run for run in runs}
    if st.session_state.get(RUN_KEY) not in by_id:
        st.session_state[RUN_KEY] = runs[0].run_id  # newest; also after a tenant change
    current = lang()  # read now: the label function may be called outside a script run

    def label(run_id: str) -> str:
        return f"{by_id[run_id].name} · {day(by_id[run_id].started.date(), current)}"

    with st.sidebar:
        chosen = st.selectbox(
            t("sidebar.run", current), list(by_id), format_func=label, key=RUN_KEY
        )
    return by_id[str(chosen)]


def main() -> None:
    """One rerun: sidebar, the view for the pages, navigation."""
    st.set_page_config(page_title=t("app.title", lang()), layout="wide")
    st.html(METRIC_CSS)  # style only: takes no room on the page
    settings = load_settings()
    st.sidebar.markdown(f"**{t('app.title', lang())}**")
    access = sidebar_access(settings)
    runs = data.published_validations(settings.tracking_uri, access.tenants)
    # No validation yet (a small demo, a twin no model has run on): its twin's evaluation.
    runs = runs or data.published_twin_evaluations(settings.tracking_uri, access.tenants)
    run = sidebar_run(runs)
    with st.sidebar:
        if access.tenants:
            st.caption(f"{t('common.tenant', lang())}: {', '.join(access.tenants)}")
        st.caption(t("app.published_only", lang()))
    if run is None:
        st.session_state.pop(VIEW_KEY, None)
        reason = "access.no_runs" if access.tenants else "access.no_access"
        st.session_state[REASON_KEY] = reason
    else:
        st.session_state[VIEW_KEY] = View(
            lang=lang(),
            tracking_uri=settings.tracking_uri,
            run=run,
            evidence=data.evidence(settings.tracking_uri, run.run_id),
        )
    pages = [
        st.Page(path, title=t(key, lang()), url_path=url, default=i == 0)
        for i, (path, url, key) in enumerate(PAGES)
    ]
    st.navigation(pages).run()


main()
