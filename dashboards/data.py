"""The dashboard's reads of MLflow, cached so a page renders in well under two seconds.

Only published runs are ever read (``testbench.evidence.reader.list_published``), and
only those of the tenants the viewer may see; published catalogues are open to everyone
(``list_catalogues``), and an access request's status is read by its id alone. Run lists
and token checks are cached for 30 seconds, so a newly published run or a revoked token
takes effect within that time; evidence documents do not change once logged and are kept
longer.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from testbench.evidence.reader import (
    EvidenceRun,
    find_access_request,
    find_twin_evaluation,
    list_catalogues,
    list_published,
    load_evidence,
)

LIST_TTL_S = 30  # run lists and viewer tokens
EVIDENCE_TTL_S = 3600  # one run's evidence.json (immutable once logged)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def published_validations(tracking_uri: str, tenants: tuple[str, ...]) -> list[EvidenceRun]:
    """Published validation runs of ``tenants``, newest first."""
    return list_published(tracking_uri, tenants, "validation")


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def published_twin_evaluations(tracking_uri: str, tenants: tuple[str, ...]) -> list[EvidenceRun]:
    """Published twin evaluations of ``tenants``, newest first (shown when a tenant has no
    published validation: its twin's pages still have something to show)."""
    return list_published(tracking_uri, tenants, "twin-evaluation")


@st.cache_data(ttl=EVIDENCE_TTL_S, show_spinner=False, max_entries=64)
def evidence(tracking_uri: str, run_id: str) -> dict[str, Any]:
    """The ``evidence.json`` of one run (the caller got the id from a published list)."""
    return load_evidence(tracking_uri, run_id)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def twin_evaluation(
    tracking_uri: str, tenant: str, twin_id: str
) -> tuple[EvidenceRun, dict[str, Any]] | None:
    """The published evaluation of ``twin_id`` in ``tenant``'s store, or None."""
    run = find_twin_evaluation(tracking_uri, tenant, twin_id)
    if run is None:
        return None
    return run, load_evidence(tracking_uri, run.run_id)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def catalogues(tracking_uri: str) -> list[EvidenceRun]:
    """The newest published catalogue run of every tenant, by tenant name."""
    return list_catalogues(tracking_uri)


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False, max_entries=64)
def access_request(tracking_uri: str, request_id: str) -> dict[str, str] | None:
    """The status tags of one access request, or None (the id is checked by the reader)."""
    return find_access_request(tracking_uri, request_id.strip())


@st.cache_data(ttl=LIST_TTL_S, show_spinner=False)
def viewer_tenant(tracking_uri: str, digest: str) -> str | None:
    """The tenant whose viewer token has this SHA-256 digest (the token is never a key)."""
    from testbench.viewers import tenant_for_digest

    return tenant_for_digest(tracking_uri, digest)


@st.cache_data(show_spinner=False, max_entries=16)
def model_card_pdf(markdown: str) -> bytes:
    """The model card as PDF bytes (rendered once per card)."""
    from dashboards.pdf import markdown_pdf

    return markdown_pdf(markdown)
