"""Access requests: four eyes, a reason, a deletion deadline, and use only while approved."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from testbench.audit import AuditLog
from testbench.catalogue import AccessError, AccessRefused, AccessRegister, RequestNotFound
from testbench.config import Settings
from testbench.tenants import TenantRegistry


@pytest.fixture
def register(settings: Settings) -> AccessRegister:
    registry = TenantRegistry(settings)
    registry.create("acme")
    registry.create("other")
    return AccessRegister(settings)


def _ask(register: AccessRegister, requester: str = "sme-dev") -> str:
    return register.request(
        "acme", ["bef,lpr_a_kontakt"], "2019..2023", "hip fracture model", requester
    ).id


def test_a_request_is_pending_until_a_second_person_approves_it_with_a_reason(
    register: AccessRegister, settings: Settings
) -> None:
    request_id = _ask(register)
    found = register.get(request_id)
    assert found.status == "pending"
    assert found.sources == ("bef", "lpr_a_kontakt")
    assert found.period == ("2019-01-01", "2023-12-31")
    with pytest.raises(AccessRefused, match="cannot also decide"):
        register.decide(request_id, True, "SME-Dev", "fine")
    with pytest.raises(AccessRefused, match="--reason"):
        register.decide(request_id, True, "hdab-reviewer", "  ")
    approved = register.decide(request_id, True, "hdab-reviewer", "purpose is lawful")
    assert approved.status == "approved"
    assert approved.delete_by == (date.today() + timedelta(days=365)).isoformat()
    assert register.get(request_id).status == "approved"
    with pytest.raises(AccessRefused, match="already"):
        register.decide(request_id, False, "someone-else", "changed my mind")
    actions = [
        json.loads(line)["action"]
        for line in (settings.tenants_dir / "acme" / "audit.jsonl").read_text().splitlines()
    ]
    assert actions[-2:] == ["access.request", "access.approve"]
    assert AuditLog(settings.tenants_dir / "acme" / "audit.jsonl").verify() >= 2


def test_only_an_approved_request_for_that_tenant_and_source_within_its_deadline_is_usable(
    register: AccessRegister,
) -> None:
    pending = _ask(register)
    with pytest.raises(AccessRefused, match="pending"):
        register.require_approved(pending, "acme")
    rejected = _ask(register)
    register.decide(rejected, False, "hdab-reviewer", "purpose unclear")
    with pytest.raises(AccessRefused, match="rejected"):
        register.require_approved(rejected, "acme")
    approved = _ask(register)
    register.decide(approved, True, "hdab-reviewer", "ok", date.today() + timedelta(days=30))
    assert register.require_approved(approved, "acme", "bef").id == approved
    with pytest.raises(AccessRefused, match="tenant acme"):
        register.require_approved(approved, "other")
    with pytest.raises(AccessRefused, match="does not cover"):
        register.require_approved(approved, "acme", "lmdb")
    with pytest.raises(AccessRefused, match="deadline"):
        register.require_approved(approved, "acme", today=date.today() + timedelta(days=31))
    with pytest.raises(RequestNotFound):
        register.require_approved("AR-20200101-deadbeef", "acme")


def test_malformed_requests_are_refused_with_what_to_do(register: AccessRegister) -> None:
    with pytest.raises(AccessError, match="--period"):
        register.request("acme", ["bef"], "2019-2023", "x", "me")
    with pytest.raises(AccessError, match="ends before"):
        register.request("acme", ["bef"], "2023..2019", "x", "me")
    with pytest.raises(AccessError, match="--purpose"):
        register.request("acme", ["bef"], "2019..2020", " ", "me")
    with pytest.raises(AccessError, match="table name"):
        register.request("acme", ["bef; drop"], "2019..2020", "x", "me")
