"""Read evidence runs back from MLflow (the dashboard's only data source)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from testbench.evidence.writer import (
    EVIDENCE_FILE,
    EXPERIMENT_PREFIX,
    TAG_KIND,
    TAG_STATUS,
    TAG_TENANT,
)

TAG_TWIN_ID = "testbench.twin_id"  # the twin a run used (validation) or evaluated
TAG_ACCESS_REQUEST = "testbench.access_request"  # the access request a run or lake use rests on
TAG_ACCESS_STATUS = "testbench.access_status"  # an access-request run: pending/approved/rejected
_KINDS = ("validation", "twin-evaluation", "catalogue")
# Tenant names and twin ids go into MLflow filter strings only when they match this.
_SAFE_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


@dataclass(frozen=True)
class EvidenceRun:
    """One finished run as the dashboard sees it."""

    run_id: str  # MLflow run id
    tenant: str  # owner
    name: str  # run name (spec name)
    kind: str  # "validation" or "twin-evaluation"
    status: str  # "draft" or "published"
    started: datetime  # start time, UTC
    metrics: dict[str, float] = field(default_factory=dict)  # latest value per metric
    params: dict[str, str] = field(default_factory=dict)  # run parameters
    tags: dict[str, str] = field(default_factory=dict)  # all run tags (twin id, reviewer, ...)


def list_runs(tracking_uri: str, tenant: str | None = None) -> list[EvidenceRun]:
    """Finished runs of one tenant (or all tenants), newest first."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiments = [
        e
        for e in client.search_experiments()
        if e.name.startswith(EXPERIMENT_PREFIX)
        and (tenant is None or e.name == EXPERIMENT_PREFIX + tenant)
    ]
    if not experiments:
        return []
    runs = client.search_runs(
        [e.experiment_id for e in experiments],
        filter_string="attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
    )
    return [_evidence_run(r) for r in runs]


def list_published(
    tracking_uri: str, tenants: Sequence[str], kind: str = "validation"
) -> list[EvidenceRun]:
    """Published, finished runs of one kind, of the named tenants only, newest first.

    The query itself is limited to those tenants' experiments and to runs tagged
    ``testbench.status = published``, so a draft or another tenant's run is never read.

    Args:
        tracking_uri: the MLflow store.
        tenants: tenant names; an empty sequence gives no runs.
        kind: "validation" or "twin-evaluation".
    """
    if kind not in _KINDS:
        raise ValueError(f"kind must be one of {_KINDS}; got {kind!r}")
    return _search_published(tracking_uri, tenants, f"tags.`{TAG_KIND}` = '{kind}'")


def list_catalogues(tracking_uri: str) -> list[EvidenceRun]:
    """The newest published catalogue run of every tenant, by tenant name.

    Catalogues are what anyone may browse before asking for access, so no viewer token
    limits them; each run is disclosure-checked and was approved in the airlock.
    """
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    tenants = [
        e.name.removeprefix(EXPERIMENT_PREFIX)
        for e in client.search_experiments()
        if e.name.startswith(EXPERIMENT_PREFIX)
    ]
    newest: dict[str, EvidenceRun] = {}
    for run in list_published(tracking_uri, tenants, "catalogue"):
        newest.setdefault(run.tenant, run)
    return [newest[name] for name in sorted(newest)]


def find_access_request(tracking_uri: str, request_id: str) -> dict[str, str] | None:
    """The status of one access request by its id (the requester's receipt), or None.

    Returns the request's status tags (tenant, status, sources, period, reviewer's reason,
    deletion deadline); an id of the wrong shape is never pasted into a filter string.
    """
    from mlflow.tracking import MlflowClient

    if not re.fullmatch(r"AR-\d{8}-[a-z0-9]{8}", request_id or ""):
        return None
    client = MlflowClient(tracking_uri=tracking_uri)
    ids = [
        e.experiment_id for e in client.search_experiments() if e.name.startswith(EXPERIMENT_PREFIX)
    ]
    if not ids:
        return None
    runs = client.search_runs(
        ids,
        filter_string=(
            f"tags.`{TAG_KIND}` = 'access-request' and tags.`{TAG_ACCESS_REQUEST}` = '{request_id}'"
        ),
        order_by=["attributes.start_time DESC"],
    )
    if not runs:
        return None
    return {
        k.removeprefix("testbench."): v
        for k, v in runs[0].data.tags.items()
        if k.startswith("testbench.")
    }


def find_twin_evaluation(tracking_uri: str, tenant: str, twin_id: str) -> EvidenceRun | None:
    """The newest published twin-evaluation run of ``twin_id`` in ``tenant``'s experiment.

    Returns:
        The run, or None when that twin has no published evaluation (or the id is malformed).
    """
    if not _SAFE_VALUE.fullmatch(twin_id or ""):
        return None  # never pasted into a filter string
    found = _search_published(
        tracking_uri,
        [tenant],
        f"tags.`{TAG_KIND}` = 'twin-evaluation' and tags.`{TAG_TWIN_ID}` = '{twin_id}'",
    )
    return found[0] if found else None


def _search_published(
    tracking_uri: str, tenants: Sequence[str], condition: str
) -> list[EvidenceRun]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    ids = []
    for tenant in tenants:
        if not _SAFE_VALUE.fullmatch(tenant or ""):
            continue
        experiment = client.get_experiment_by_name(EXPERIMENT_PREFIX + tenant)
        if experiment is not None:
            ids.append(experiment.experiment_id)
    if not ids:
        return []
    runs = client.search_runs(
        ids,
        filter_string=(
            f"attributes.status = 'FINISHED' and tags.`{TAG_STATUS}` = 'published' and {condition}"
        ),
        order_by=["attributes.start_time DESC"],
    )
    # The tenant tag must agree with the experiment: a run is never shown to another tenant.
    return [run for run in map(_evidence_run, runs) if run.tenant in tenants]


def _evidence_run(r: Any) -> EvidenceRun:
    return EvidenceRun(
        run_id=r.info.run_id,
        tenant=r.data.tags.get(TAG_TENANT, ""),
        name=r.info.run_name or "",
        kind=r.data.tags.get(TAG_KIND, ""),
        status=r.data.tags.get(TAG_STATUS, "draft"),
        started=datetime.fromtimestamp(r.info.start_time / 1000, tz=UTC),
        metrics=dict(r.data.metrics),
        params=dict(r.data.params),
        tags=dict(r.data.tags),
    )


def load_evidence(tracking_uri: str, run_id: str) -> dict[str, Any]:
    """The ``evidence.json`` summary of one run."""
    import json
    import tempfile
    from pathlib import Path

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    with tempfile.TemporaryDirectory() as tmp:
        path = client.download_artifacts(run_id, EVIDENCE_FILE, tmp)
        return dict(json.loads(Path(path).read_text()))
