"""What of the catalogue reaches MLflow, the dashboard's only source.

- :func:`log_catalogue`: a lake's disclosure-checked description as a draft ``catalogue``
  run (``evidence.json`` plus the Turtle export); ``testbench approve`` publishes it like
  any evidence, and the dashboard's Catalogue page lists the published ones.
- :func:`log_request_status`: an access request's status as tags of an ``access-request``
  run in the tenant's experiment, updated at each decision, so a requester can look it up
  on the dashboard by its id. Never the purpose text; the reviewer's reason is checked for
  CPR numbers and pseudonyms like any evidence.
"""

from __future__ import annotations

from typing import Any

from testbench.catalogue.access import AccessRequest
from testbench.config import Settings
from testbench.disclosure import DisclosureChecker, DisclosurePolicy
from testbench.evidence.reader import TAG_ACCESS_REQUEST, TAG_ACCESS_STATUS
from testbench.evidence.writer import TAG_KIND, TAG_REQUESTER, EvidenceWriter

CATALOGUE_FILE = "catalogue.ttl"  # the HealthDCAT-AP export beside evidence.json


def log_catalogue(
    settings: Settings, description: dict[str, Any], turtle: str, requester: str
) -> str:
    """Log a checked description as a draft catalogue run; returns its run id."""
    writer = EvidenceWriter(settings.tracking_uri, settings.artifact_root)
    rows, persons = description.get("rows"), description.get("persons")
    metrics = {
        name: float(value)
        for name, value in (
            ("rows", rows),
            ("persons", persons),
            ("tables", len(description["tables"])),
        )
        if isinstance(value, int)
    }
    return writer.log_run(
        description["tenant"],
        f"catalogue-{description['tenant']}",
        "catalogue",
        params={"schema": description["schema"]},
        metrics=metrics,
        evidence=description,
        tags={TAG_REQUESTER: requester},
        artifacts={CATALOGUE_FILE: turtle},
    )


def log_request_status(settings: Settings, request: AccessRequest) -> str:
    """Create or update the access-request run of ``request``; returns its run id."""
    from mlflow.tracking import MlflowClient

    checked = DisclosureChecker(DisclosurePolicy.from_settings(settings), 1).check_evidence(
        {
            "request": request.id,
            "status": request.status,
            "sources": ",".join(request.sources),
            "period": f"{request.period[0]}..{request.period[1]}",
            "requested_at": request.requested_at,
            "decided_at": request.decided_at or "",
            "delete_by": request.delete_by or "",
            "reason": request.reason or "",
        }
    )
    tags = {f"testbench.access_{k}": str(v) for k, v in checked.items() if k != "disclosure"}
    tags[TAG_ACCESS_REQUEST] = request.id
    tags[TAG_ACCESS_STATUS] = request.status
    writer = EvidenceWriter(settings.tracking_uri, settings.artifact_root)
    client = MlflowClient(tracking_uri=settings.tracking_uri)
    experiment = client.get_experiment_by_name(f"testbench/{request.tenant}")
    existing = (
        client.search_runs(
            [experiment.experiment_id],
            filter_string=(
                f"tags.`{TAG_KIND}` = 'access-request' and "
                f"tags.`{TAG_ACCESS_REQUEST}` = '{request.id}'"
            ),
        )
        if experiment is not None
        else []
    )
    if existing:
        run_id = str(existing[0].info.run_id)
        for key, value in tags.items():
            client.set_tag(run_id, key, value)
        return run_id
    run_id = writer.start_run(
        request.tenant, request.id, "access-request", {TAG_REQUESTER: request.requester, **tags}
    )
    client.set_terminated(run_id, status="FINISHED")
    return run_id
