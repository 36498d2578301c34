"""Catalogue: what each tenant's lake holds, for anyone, before asking for access.

A prospective SME or buyer browses the newest published catalogue run of every tenant
(:func:`testbench.evidence.reader.list_catalogues`): tables, columns with their meaning and
code system, periods, counts, binned distributions, and the released twin's fidelity and
privacy. No viewer token is needed, because a catalogue run holds nothing but published
descriptions: its ``evidence.json`` is the description that
:func:`testbench.catalogue.describe_lake` passed through the disclosure checker (counts of 1
to 4 as ``"<5"``, typical ages on 5-year bounds, whole calendar years as periods, shares of
bins with at least five rows each, no distribution of a key or identifier column), its
``catalogue.ttl`` is the HealthDCAT-AP rendering of that same description, and the run was
approved in the airlock (``testbench approve``) like any evidence. No row, no key, no
pseudonym is in it. The twin's summary comes from the twin's published evaluation run where
there is one, otherwise from the catalogue's own (checked and approved) twin block.

The request lookup takes an access-request id (``AR-...``, the requester's receipt) and shows
where the request stands: its status, the tenant, the day it was decided and the deletion
deadline. The id is all a visitor gives, and an id can be seen by others (on a shared
screen, in a forwarded mail), so nothing more is shown: not who asked, not who decided or
why, not the sources or the period asked for; the purpose text never leaves the register.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from dashboards import data
from dashboards.figures import column_figure
from dashboards.i18n import MISSING, count, day, estimate, number, t, tf
from dashboards.screens.privacy import CHECK_KEYS
from dashboards.view import lang as session_lang
from dashboards.widgets import chart, table
from testbench.config import load_settings

STATUS_KEYS = {
    "pending": "catalogue.status.pending",
    "approved": "catalogue.status.approved",
    "rejected": "catalogue.status.rejected",
    "expired": "catalogue.status.expired",
}
TENANT_KEY = "catalogue_tenant"  # the tenant chosen on this page
REQUEST_KEY = "catalogue_request"  # the request id typed in


def render(lang: str, tracking_uri: str) -> None:
    """The chosen tenant's catalogue, its twin, and the request lookup."""
    st.title(t("catalogue.title", lang))
    st.write(t("catalogue.intro", lang))
    runs = {run.tenant: run for run in data.catalogues(tracking_uri)}
    if not runs:
        st.info(t("catalogue.none", lang))
    else:
        tenant = st.selectbox(t("catalogue.tenant", lang), list(runs), key=TENANT_KEY)
        run = runs[str(tenant)]
        description = data.evidence(tracking_uri, run.run_id)
        st.caption(f"{t('common.run_on', lang)} {day(run.started.date(), lang)}")
        _dataset(description, lang)
        _tables(description, lang)
        _twin(description, run.tenant, tracking_uri, lang)
    _request_lookup(tracking_uri, lang)


def _dataset(description: dict[str, Any], lang: str) -> None:
    st.subheader(_text(description.get("title"), lang))
    st.write(_text(description.get("description"), lang))
    ages = description.get("typical_age") or {}
    # Two rows of three: a period or an age range stays on one line at projector width.
    columns = st.columns(3)
    columns[0].metric(t("catalogue.persons", lang), count(description.get("persons"), lang))
    columns[1].metric(t("catalogue.rows", lang), count(description.get("rows"), lang))
    columns[2].metric(
        t("catalogue.tables", lang), count(len(description.get("tables") or []), lang)
    )
    columns = st.columns(3)
    columns[0].metric(t("catalogue.period", lang), _years(description.get("period")))
    columns[1].metric(
        t("catalogue.ages", lang),
        tf("catalogue.ages_value", lang, low=ages["min"], high=ages["max"]) if ages else MISSING,
    )
    st.caption(t("catalogue.counts_explain", lang))
    categories = [_text(c, lang) for c in description.get("health_categories") or []]
    systems = [_text(c, lang) for c in description.get("code_systems") or []]
    st.markdown(
        f"- {t('catalogue.coverage', lang)}: {_text(description.get('population_coverage'), lang)}"
        f"\n- {t('catalogue.categories', lang)}: {', '.join(categories) or MISSING}"
        f"\n- {t('catalogue.code_systems', lang)}: {', '.join(systems) or MISSING}"
    )


def _tables(description: dict[str, Any], lang: str) -> None:
    tables = description.get("tables") or []
    if not tables:
        return
    st.markdown(f"### {t('catalogue.tables', lang)}")
    table(
        pd.DataFrame(
            {
                t("catalogue.table", lang): [x["name"] for x in tables],
                t("catalogue.table_description", lang): [
                    _text(x.get("description"), lang) for x in tables
                ],
                t("catalogue.rows", lang): [count(x.get("rows"), lang) for x in tables],
                t("catalogue.persons", lang): [count(x.get("persons"), lang) for x in tables],
                t("catalogue.period", lang): [_years(x.get("period")) for x in tables],
            }
        )
    )
    names = [x["name"] for x in tables]
    picked = tables[names.index(str(st.selectbox(t("catalogue.pick_table", lang), names)))]
    systems = {s["key"]: _text(s, lang) for s in description.get("code_systems") or []}
    columns = picked.get("columns") or []
    table(
        pd.DataFrame(
            {
                t("catalogue.column", lang): [c["name"] for c in columns],
                t("catalogue.meaning", lang): [c.get("meaning") or MISSING for c in columns],
                t("catalogue.type", lang): [c.get("type") or MISSING for c in columns],
                t("catalogue.code_system", lang): [
                    systems.get(c.get("code_system") or "", MISSING) for c in columns
                ],
                t("catalogue.key", lang): [
                    t("common.yes" if c.get("identifier") else "common.no", lang) for c in columns
                ],
            }
        )
    )
    distributions = picked.get("distributions") or []
    if not distributions:
        st.info(t("catalogue.no_distributions", lang))
        return
    labels = [d["column"] for d in distributions]
    chosen = distributions[
        labels.index(str(st.selectbox(t("catalogue.pick_column", lang), labels)))
    ]
    # The twin report's figure, with the catalogue's shares as its real data and no twin.
    chart(
        column_figure(
            {
                "table": picked["name"],
                "column": chosen["column"],
                "labels": chosen.get("labels") or [],
                "real": chosen.get("shares") or [],
            },
            lang,
        )
    )
    st.caption(t("catalogue.distributions_explain", lang))


def _twin(description: dict[str, Any], tenant: str, tracking_uri: str, lang: str) -> None:
    st.markdown(f"### {t('catalogue.twin', lang)}")
    twin = description.get("twin")
    if not twin:
        st.info(t("catalogue.no_twin", lang))
        return
    found = data.twin_evaluation(tracking_uri, tenant, str(twin.get("id")))
    if found is not None:
        evaluation = found[1]
        fidelity = evaluation.get("fidelity") or {}
        gate = evaluation.get("gate") or {}
        checks, passed = gate.get("checks") or [], bool(gate.get("passed"))
        st.caption(tf("catalogue.twin_published", lang, twin=twin.get("id")))
    else:
        fidelity = {"quality": twin.get("quality"), "diagnostic": twin.get("diagnostic")}
        checks, passed = twin.get("checks") or [], bool(twin.get("passed"))
        st.caption(tf("catalogue.twin_from_catalogue", lang, twin=twin.get("id")))
    left, right = st.columns(2)
    left.metric(t("twin.quality", lang), estimate({"value": fidelity.get("quality")}, lang))
    right.metric(t("twin.diagnostic", lang), estimate({"value": fidelity.get("diagnostic")}, lang))
    (st.success if passed else st.error)(
        t("privacy.gate_passed" if passed else "privacy.gate_failed", lang)
    )
    table(
        pd.DataFrame(
            {
                t("privacy.check", lang): [
                    t(CHECK_KEYS[n], lang) if (n := str(c.get("name"))) in CHECK_KEYS else n
                    for c in checks
                ],
                t("privacy.value", lang): [_value(c.get("value"), lang) for c in checks],
                t("privacy.decision", lang): [
                    t("privacy.passed" if c.get("passed") else "privacy.failed", lang)
                    for c in checks
                ],
            }
        )
    )


def _request_lookup(tracking_uri: str, lang: str) -> None:
    st.markdown(f"### {t('catalogue.request.title', lang)}")
    request_id = st.text_input(
        t("catalogue.request.id", lang),
        key=REQUEST_KEY,
        placeholder="AR-20261207-1a2b3c4d",
        help=t("catalogue.request.help", lang),
    ).strip()
    if not request_id:
        return
    found = data.access_request(tracking_uri, request_id)
    if found is None:
        st.warning(t("catalogue.request.not_found", lang))
        return
    table(
        pd.DataFrame(
            {
                t("catalogue.request.status", lang): [request_status(found, lang)],
                t("catalogue.tenant", lang): [found.get("tenant") or MISSING],
                t("catalogue.request.decided", lang): [_day(found.get("access_decided_at"), lang)],
                t("catalogue.request.delete_by", lang): [_day(found.get("access_delete_by"), lang)],
            }
        )
    )
    st.caption(t("catalogue.request.explain", lang))


def request_status(tags: dict[str, str], lang: str, today: date | None = None) -> str:
    """An access request's status in words; an approved one past its deadline is expired.

    Args:
        tags: the request's status tags (:func:`testbench.evidence.reader.find_access_request`).
        lang: language.
        today: the day to judge the deadline on (default: today, UTC).
    """
    status = tags.get("access_status", "")
    deadline = tags.get("access_delete_by")
    today = today or datetime.now(UTC).date()
    if status == "approved" and deadline and today > date.fromisoformat(deadline[:10]):
        status = "expired"
    key = STATUS_KEYS.get(status)
    return t(key, lang) if key else status or MISSING


def _text(value: Any, lang: str) -> str:
    """A {da, en} text of the description in the session's language."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("en") or MISSING)
    return str(value) if value else MISSING


def _years(period: dict[str, str] | None) -> str:
    """A period of whole calendar years, e.g. '2012–2025'."""
    if not period:
        return MISSING
    first, last = str(period.get("start", ""))[:4], str(period.get("end", ""))[:4]
    return first if first == last else f"{first}–{last}"


def _value(value: object, lang: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value, lang, 3)
    return MISSING


def _day(value: str | None, lang: str) -> str:
    return day(value, lang) if value else MISSING


if __name__ == "__main__":
    render(session_lang(), load_settings().tracking_uri)
