"""The airlock: a run is a draft until a second person publishes it.

Only published runs reach buyers (the dashboard filters on the status tag). The reviewer
must not be the person who requested the run (four-eyes rule), and every approval goes to
the tenant's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from testbench.evidence.errors import ApprovalRefused, EvidenceError
from testbench.evidence.writer import TAG_REQUESTER, TAG_REVIEWER, TAG_STATUS, TAG_TENANT

TAG_APPROVED = "testbench.approved_at"  # ISO time of publication, UTC


@dataclass(frozen=True)
class Approval:
    """A published run."""

    run_id: str  # MLflow run id
    tenant: str  # owner of the run
    name: str  # run name (spec name)
    requester: str  # who asked for the run
    reviewer: str  # who published it
    approved_at: str  # ISO time, UTC


def approve(tracking_uri: str, run_id: str, reviewer: str) -> Approval:
    """Publish a finished draft run.

    Args:
        tracking_uri: the MLflow store.
        run_id: the run to publish.
        reviewer: the person publishing it; must differ from the requester.

    Raises:
        ApprovalRefused: the reviewer requested the run, the run did not finish, or it is
            already published.
        EvidenceError: no such run.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    reviewer = reviewer.strip()
    if not reviewer:
        raise ApprovalRefused("give the reviewer's name with --reviewer")
    client = MlflowClient(tracking_uri=tracking_uri)
    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise EvidenceError(f"no run {run_id!r} in the evidence store {tracking_uri}") from None
    tags = run.data.tags
    requester = tags.get(TAG_REQUESTER, "")
    if run.info.status != "FINISHED":
        raise ApprovalRefused(
            f"run {run_id} is {run.info.status}, not FINISHED; only finished runs can be published"
        )
    if tags.get(TAG_STATUS) == "published":
        raise ApprovalRefused(
            f"run {run_id} is already published (by {tags.get(TAG_REVIEWER, '?')})"
        )
    if requester and requester.casefold() == reviewer.casefold():
        raise ApprovalRefused(
            f"{reviewer} requested run {run_id} and cannot also approve it; ask another reviewer"
        )
    approved_at = datetime.now(UTC).isoformat(timespec="seconds")
    client.set_tag(run_id, TAG_REVIEWER, reviewer)
    client.set_tag(run_id, TAG_APPROVED, approved_at)
    client.set_tag(run_id, TAG_STATUS, "published")
    return Approval(
        run_id=run_id,
        tenant=tags.get(TAG_TENANT, ""),
        name=run.info.run_name or "",
        requester=requester,
        reviewer=reviewer,
        approved_at=approved_at,
    )
