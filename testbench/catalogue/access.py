"""Access requests: who asks for which sources of a tenant's lake, for what, and the decision.

The register is an append-only JSON-lines file, ``TESTBENCH_HOME/access/requests.jsonl``:
one line per event (a request, then at most one decision), written under an exclusive lock.
A request's state is the fold of its events, so nothing is ever rewritten. Rules:

- a decision needs a reviewer who is not the requester (four eyes) and a reason;
- only a pending request can be decided;
- an approval records a deletion deadline (default: one year after approval); after it the
  request can no longer be used, and data fetched under it is to be deleted;
- :func:`require_approved` is what ``lake ingest --request`` and ``validate --request``
  call: refused unless the request is approved, for that tenant (and source), and within
  its deadline.

Every event also goes to the tenant's hash-chained audit log (ids, names and hashes only).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from testbench.audit import AuditLog
from testbench.catalogue.errors import AccessError, AccessRefused, RequestNotFound
from testbench.config import Settings
from testbench.tenants import TenantRegistry

DEFAULT_RETENTION = timedelta(days=365)  # deletion deadline after approval, unless given
_SOURCE = re.compile(r"[a-z][a-z0-9_]{0,62}")
_ID = re.compile(r"AR-\d{8}-[a-z0-9]{8}")


@dataclass(frozen=True)
class AccessRequest:
    """One request and its decision, as the register's events fold into it."""

    id: str  # "AR-YYYYMMDD-xxxxxxxx": the requester's receipt, also for the dashboard
    tenant: str  # whose lake
    sources: tuple[str, ...]  # tables or contract sources asked for
    period: tuple[str, str]  # first and last day asked for, ISO dates
    purpose: str  # what for, in the requester's words
    requester: str  # who asks
    requested_at: str  # ISO time, UTC
    status: str = "pending"  # "pending", "approved" or "rejected"
    reviewer: str | None = None  # who decided
    reason: str | None = None  # why, in the reviewer's words
    decided_at: str | None = None  # ISO time, UTC
    delete_by: str | None = None  # approved only: the deletion deadline, ISO date

    def expired(self, today: date | None = None) -> bool:
        """Past its deletion deadline (only an approved request has one)."""
        if self.delete_by is None:
            return False
        return (today or datetime.now(UTC).date()) > date.fromisoformat(self.delete_by)

    def public(self) -> dict[str, Any]:
        """The request as JSON (what ``access list --json`` prints and the dashboard shows)."""
        out = asdict(self)
        out["sources"] = list(self.sources)
        out["period"] = {"start": self.period[0], "end": self.period[1]}
        return out


def parse_period(text: str) -> tuple[str, str]:
    """``2019-01-01..2023-12-31`` or ``2019..2023`` as (first day, last day).

    Raises:
        AccessError: another form, or an end before the start.
    """
    parts = text.split("..")
    try:
        if len(parts) != 2:
            raise ValueError
        start, end = (p.strip() for p in parts)
        first = date(int(start), 1, 1) if start.isdigit() else date.fromisoformat(start)
        last = date(int(end), 12, 31) if end.isdigit() else date.fromisoformat(end)
    except ValueError:
        raise AccessError(
            f"--period must be FIRST..LAST, e.g. 2019-01-01..2023-12-31 or 2019..2023; got {text!r}"
        ) from None
    if last < first:
        raise AccessError(f"--period ends before it starts: {text!r}")
    return first.isoformat(), last.isoformat()


class AccessRegister:
    """The access requests of every tenant under ``settings.home``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.path = settings.home / "access" / "requests.jsonl"

    # -- writing -------------------------------------------------------------------------

    def request(
        self, tenant: str, sources: list[str], period: str, purpose: str, requester: str
    ) -> AccessRequest:
        """Record a new, pending request.

        Raises:
            TenantNotFound: no such tenant.
            AccessError: no sources, a malformed source or period, no purpose or requester.
        """
        owner = TenantRegistry(self.settings).get(tenant)
        names = [s.strip() for item in sources for s in item.split(",") if s.strip()]
        if not names:
            raise AccessError("give the sources asked for with --sources, e.g. bef,lpr_a_kontakt")
        for name in names:
            if not _SOURCE.fullmatch(name):
                raise AccessError(f"source {name!r} is not a table name (lowercase, digits, _)")
        if not purpose.strip():
            raise AccessError("say what the data is for with --purpose")
        if not requester.strip():
            raise AccessError("give your name with --requester")
        now = datetime.now(UTC)
        found = AccessRequest(
            id=f"AR-{now:%Y%m%d}-{secrets.token_hex(4)}",
            tenant=owner.name,
            sources=tuple(dict.fromkeys(names)),
            period=parse_period(period),
            purpose=purpose.strip(),
            requester=requester.strip(),
            requested_at=now.isoformat(timespec="seconds"),
        )
        self._append({"event": "request", **found.public()})
        AuditLog(owner.audit_path).append(
            "access.request",
            actor=found.requester,
            request=found.id,
            sources=list(found.sources),
            period=list(found.period),
            purpose_sha256=hashlib.sha256(found.purpose.encode()).hexdigest(),
        )
        return found

    def decide(
        self,
        request_id: str,
        approve: bool,
        reviewer: str,
        reason: str,
        delete_by: date | None = None,
    ) -> AccessRequest:
        """Approve or reject a pending request.

        Raises:
            RequestNotFound: no such request.
            AccessRefused: no reviewer or reason, the reviewer is the requester, the request
                was decided already, or the deadline is not after today.
        """
        found = self.get(request_id)
        reviewer, reason = reviewer.strip(), reason.strip()
        if not reviewer:
            raise AccessRefused("give the reviewer's name with --reviewer")
        if not reason:
            raise AccessRefused("give the reason for the decision with --reason")
        if reviewer.casefold() == found.requester.casefold():
            raise AccessRefused(
                f"{reviewer} made request {found.id} and cannot also decide it; "
                "ask another reviewer"
            )
        if found.status != "pending":
            raise AccessRefused(
                f"request {found.id} was {found.status} already by {found.reviewer}"
            )
        now = datetime.now(UTC)
        deadline = None
        if approve:
            deadline = delete_by or (now + DEFAULT_RETENTION).date()
            if deadline <= now.date():
                raise AccessRefused(f"--delete-by must be after today; got {deadline}")
        decided = replace(
            found,
            status="approved" if approve else "rejected",
            reviewer=reviewer,
            reason=reason,
            decided_at=now.isoformat(timespec="seconds"),
            delete_by=deadline.isoformat() if deadline else None,
        )
        self._append(
            {
                "event": "decision",
                "id": decided.id,
                "status": decided.status,
                "reviewer": reviewer,
                "reason": reason,
                "decided_at": decided.decided_at,
                "delete_by": decided.delete_by,
            }
        )
        AuditLog(TenantRegistry(self.settings).get(found.tenant).audit_path).append(
            f"access.{'approve' if approve else 'reject'}",
            actor=reviewer,
            request=decided.id,
            requester=decided.requester,
            delete_by=decided.delete_by,
        )
        return decided

    # -- reading -------------------------------------------------------------------------

    def all(self) -> list[AccessRequest]:
        """Every request, oldest first."""
        found: dict[str, AccessRequest] = {}
        for event in self._events():
            if event["event"] == "request":
                fields = {k: v for k, v in event.items() if k in AccessRequest.__dataclass_fields__}
                fields["sources"] = tuple(event["sources"])
                fields["period"] = (event["period"]["start"], event["period"]["end"])
                found[event["id"]] = AccessRequest(**fields)
            elif event["event"] == "decision" and event["id"] in found:
                decision = {
                    k: event[k] for k in ("status", "reviewer", "reason", "decided_at", "delete_by")
                }
                found[event["id"]] = replace(found[event["id"]], **decision)
        return list(found.values())

    def get(self, request_id: str) -> AccessRequest:
        """One request.

        Raises:
            RequestNotFound: no request with that id.
        """
        for found in self.all():
            if found.id == request_id.strip():
                return found
        raise RequestNotFound(
            f"no access request {request_id!r}; `testbench access list` shows them"
        )

    def require_approved(
        self, request_id: str, tenant: str, source: str | None = None, today: date | None = None
    ) -> AccessRequest:
        """The request, if it lets its holder use ``tenant``'s lake (and ``source``) now.

        Raises:
            RequestNotFound: no such request.
            AccessRefused: not approved, for another tenant, not covering ``source``, or past
                its deletion deadline.
        """
        found = self.get(request_id)
        if found.status != "approved":
            raise AccessRefused(f"access request {found.id} is {found.status}, not approved")
        if found.tenant != tenant:
            raise AccessRefused(
                f"access request {found.id} is for tenant {found.tenant}, not {tenant}"
            )
        if source is not None and source not in found.sources:
            raise AccessRefused(
                f"access request {found.id} does not cover {source!r} "
                f"(it covers {', '.join(found.sources)}); make a new request"
            )
        if found.expired(today):
            raise AccessRefused(
                f"access request {found.id} passed its deletion deadline {found.delete_by}; "
                "make a new request"
            )
        return found

    # -- the file ------------------------------------------------------------------------

    def _append(self, event: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
            handle.write(json.dumps(event, sort_keys=True) + "\n")

    def _events(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def valid_request_id(text: str) -> bool:
    """Whether ``text`` has the shape of a request id (safe in an MLflow filter)."""
    return bool(_ID.fullmatch(text.strip()))


def register_path(settings: Settings) -> Path:
    """Where the register lives."""
    return AccessRegister(settings).path
