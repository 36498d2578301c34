"""Who sees which runs: the access rules and the published-only, tenant-scoped reads."""

from __future__ import annotations

from dashboards.access import resolve_access
from testbench.evidence.reader import find_twin_evaluation, list_published
from testbench.viewers import verify
from testkit.evidence_factory import EvidenceStore


def test_access_rules() -> None:
    tokens = {"token-a": "acme"}
    lookup = tokens.get
    assert resolve_access("", demo_mode=True, lookup=lookup).tenants == ("demo",)
    assert resolve_access("", demo_mode=False, lookup=lookup).tenants == ()
    opened = resolve_access(" token-a ", demo_mode=True, lookup=lookup)
    assert (opened.tenants, opened.viewer_of, opened.token_rejected) == (("acme",), "acme", False)
    rejected = resolve_access("guess", demo_mode=False, lookup=lookup)
    assert (rejected.tenants, rejected.token_rejected) == ((), True)


def test_reads_are_published_only_and_scoped_to_the_tenants_asked_for(
    store: EvidenceStore,
) -> None:
    uri = store.tracking_uri
    assert [r.run_id for r in list_published(uri, ["demo"])] == [store.demo_run]  # no draft
    acme = list_published(uri, [verify(uri, store.acme_token) or ""])
    assert [r.run_id for r in acme] == [store.acme_run]
    assert {r.tenant for r in list_published(uri, ["demo", "acme"])} == {"demo", "acme"}
    assert list_published(uri, []) == []
    assert list_published(uri, ["nobody", "acme' or '1'='1"]) == []

    twin_id = store.evidence.validation["twin_id"]  # the same twin id in every tenant
    found = find_twin_evaluation(uri, "acme", twin_id)
    assert found is not None and found.tenant == "acme" and found.status == "published"
    assert find_twin_evaluation(uri, "lonely", twin_id) is None  # its evaluation is a draft
    assert find_twin_evaluation(uri, "acme", "x' or tags.x = 'y") is None
