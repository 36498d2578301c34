"""Overview: the model, its intended use, where the data came from, and headline metrics.

TRTR (trained on real data) stands beside TSTR (trained on the synthetic twin), both tested
on the same real persons: the buyer sees what the model does and how far the twin carries.
"""

from __future__ import annotations

import streamlit as st

from dashboards import data
from dashboards.i18n import MISSING, count, estimate, t, tf
from dashboards.labels import metric_name, regime_name
from dashboards.screens.catalogue import request_status
from dashboards.view import View, require_validation
from dashboards.widgets import BINARY_HEADLINE, REGRESSION_HEADLINE, header, metric_table, table
from testbench.evidence.reader import TAG_ACCESS_REQUEST

DATA_KEYS = {"real": "data.kind.real", "twin": "data.kind.twin", "bundle": "data.kind.bundle"}
TASK_KEYS = {"binary_classification": "task.binary", "regression": "task.regression"}


def render(view: View) -> None:
    """Draw the overview of ``view``'s run."""
    lang, ev = view.lang, view.evidence
    header(view, "overview.title")
    st.subheader(ev.get("name") or view.run.name)
    if ev.get("description"):
        st.write(ev["description"])

    model, cohort = ev.get("model") or {}, ev.get("cohort") or {}
    left, middle, right = st.columns(3)
    with left:
        st.markdown(f"#### {t('overview.model', lang)}")
        st.markdown(
            f"- {t('overview.estimator', lang)}: {model.get('estimator', '–')}\n"
            f"- {t('overview.reference', lang)}: `{model.get('reference', '–')}`\n"
            f"- {t('overview.released', lang)}: "
            f"{t('common.yes' if model.get('released') else 'common.no', lang)}"
        )
    with middle:
        st.markdown(f"#### {t('overview.intended_use', lang)}")
        task = TASK_KEYS.get(str(ev.get("task")))
        st.markdown(
            f"- {t('overview.task', lang)}: {t(task, lang) if task else ev.get('task', '–')}\n"
            f"- {t('overview.target', lang)}: `{ev.get('target', '–')}`\n"
            f"- {t('overview.features', lang)}: {len(ev.get('features') or [])}"
        )
    with right:
        st.markdown(f"#### {t('overview.provenance', lang)}")
        kind = DATA_KEYS.get(str(ev.get("data")))
        st.markdown(
            f"- {t('overview.data', lang)}: {t(kind, lang) if kind else ev.get('data', '–')}\n"
            f"- {t('overview.persons', lang)}: {count(cohort.get('n'), lang)} "
            f"({t('overview.test_persons', lang)}: {count(cohort.get('n_test'), lang)})\n"
            f"- {t('overview.twin', lang)}: `{ev.get('twin_id') or '–'}`\n"
            f"- {t('overview.reviewer', lang)}: {view.run.tags.get('testbench.reviewer', '–')}"
            + _access_request(view)
        )

    st.markdown(f"### {t('overview.headline', lang)}")
    headline = BINARY_HEADLINE[:1] if view.binary else REGRESSION_HEADLINE[:1]
    regimes = view.regimes("TRTR", "TSTR")
    columns = st.columns(max(len(regimes), 1) + 1)
    for column, (regime, block) in zip(columns, regimes.items(), strict=False):
        metric = headline[0]
        column.metric(
            f"{metric_name(metric, lang)}, {regime_name(regime, lang)}",
            estimate((block.get("metrics") or {}).get(metric), lang),
        )
    fidelity = (ev.get("fidelity") or {}).get("quality")
    if fidelity is not None:
        columns[-1].metric(t("overview.twin_quality", lang), estimate({"value": fidelity}, lang))
    table(metric_table(view, BINARY_HEADLINE if view.binary else REGRESSION_HEADLINE))
    for regime in ev.get("regimes_skipped") or {}:
        message = tf("overview.regime_skipped", lang, regime=regime_name(regime, lang))
        st.warning(message[:1].upper() + message[1:])
    st.caption(t("overview.explain", lang))


def _access_request(view: View) -> str:
    """The access request the run names, with its status, as one more list line ("" if none)."""
    request = view.run.tags.get(TAG_ACCESS_REQUEST)
    if not request:
        return ""
    found = data.access_request(view.tracking_uri, request)
    status = request_status(found, view.lang) if found else MISSING
    return f"\n- {t('overview.access_request', view.lang)}: `{request}` ({status})"


if __name__ == "__main__":
    render(require_validation())
