"""Read evidence runs back from MLflow (the dashboard's only data source)."""

from __future__ import annotations

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
    return [
        EvidenceRun(
            run_id=r.info.run_id,
            tenant=r.data.tags.get(TAG_TENANT, ""),
            name=r.info.run_name or "",
            kind=r.data.tags.get(TAG_KIND, ""),
            status=r.data.tags.get(TAG_STATUS, "draft"),
            started=datetime.fromtimestamp(r.info.start_time / 1000, tz=UTC),
            metrics=dict(r.data.metrics),
            params=dict(r.data.params),
        )
        for r in runs
    ]


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
