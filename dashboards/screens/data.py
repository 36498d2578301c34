"""Data: the lake tables behind the run, the periods they cover, and rounded counts.

Sources come from the lake catalogue as the evidence recorded them (rows already rounded to
tens there); cohort counts are rounded to tens here too, so no page shows an exact count of
persons beyond what the disclosure check published.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.i18n import MISSING, count, day, t, tf
from dashboards.view import View, require_validation
from dashboards.widgets import header, table

ROUND_TO = 10


def rounded(value: object, lang: str) -> str:
    """A count rounded to tens ('≈ 1.230'); "<5" and withheld counts as published."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= ROUND_TO:
        return "≈ " + count(int(round(value, -1)), lang)
    return count(value, lang)


def render(view: View) -> None:
    """Sources with periods, cohort size, and what the disclosure check suppressed."""
    lang, ev = view.lang, view.evidence
    header(view, "data.title", "data.intro")
    sources = ev.get("sources") or []
    if sources:
        table(
            pd.DataFrame(
                {
                    t("data.table", lang): [s.get("table") for s in sources],
                    t("data.rows", lang): [rounded(s.get("rows"), lang) for s in sources],
                    t("data.first", lang): [_day(s.get("first"), lang) for s in sources],
                    t("data.last", lang): [_day(s.get("last"), lang) for s in sources],
                }
            )
        )
    else:
        st.info(t("data.no_sources", lang))
    cohort = ev.get("cohort") or {}
    st.markdown(f"### {t('data.cohort', lang)}")
    columns = st.columns(4)
    for column, (key, label) in zip(
        columns,
        (
            ("n", "data.cohort_n"),
            ("events", "data.cohort_events"),
            ("n_train", "data.cohort_train"),
            ("n_test", "data.cohort_test"),
        ),
        strict=True,
    ):
        column.metric(t(label, lang), rounded(cohort.get(key), lang))
    st.caption(t("data.rounded", lang))
    disclosure = ev.get("disclosure") or {}
    policy = disclosure.get("policy") or {}
    st.markdown(f"### {t('data.disclosure', lang)}")
    st.write(
        tf(
            "data.disclosure_summary",
            lang,
            min_count=policy.get("min_count", 5),
            checked=count(disclosure.get("checked"), lang),
            suppressed=count(len(disclosure.get("suppressed") or []), lang),
        )
    )


def _day(value: object, lang: str) -> str:
    return day(str(value), lang) if value else MISSING


if __name__ == "__main__":
    render(require_validation())
