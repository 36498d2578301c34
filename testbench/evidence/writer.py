"""Log evidence runs to MLflow: one experiment per tenant, one run per job."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from testbench.errors import EvidenceError

EXPERIMENT_PREFIX = "testbench/"
TAG_TENANT = "testbench.tenant"  # tenant the run belongs to
TAG_KIND = "testbench.kind"  # "validation" or "twin-evaluation"
TAG_STATUS = "testbench.status"  # "draft" until an airlock reviewer publishes it
EVIDENCE_FILE = "evidence.json"  # the run's summary, read by the dashboard


def experiment_name(tenant: str) -> str:
    """The MLflow experiment that holds one tenant's runs."""
    return EXPERIMENT_PREFIX + tenant


class EvidenceWriter:
    """Writes runs to the MLflow store at ``tracking_uri``.

    Args:
        tracking_uri: e.g. ``sqlite:///.testbench/mlflow.db`` or ``http://host:5000``.
        artifact_root: where a local store keeps artifacts (ignored by a server,
            which has its own).
    """

    def __init__(self, tracking_uri: str, artifact_root: Path | None = None) -> None:
        from mlflow.tracking import MlflowClient

        self.tracking_uri = tracking_uri
        self.artifact_root = artifact_root
        self.client = MlflowClient(tracking_uri=tracking_uri)

    def _experiment_id(self, tenant: str) -> str:
        name = experiment_name(tenant)
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return str(found.experiment_id)
        location = None
        if self.artifact_root is not None and not self.tracking_uri.startswith("http"):
            location = (self.artifact_root / tenant).resolve().as_uri()
        return str(self.client.create_experiment(name, artifact_location=location))

    def log_run(
        self,
        tenant: str,
        run_name: str,
        kind: str,
        params: dict[str, Any],
        metrics: dict[str, float],
        evidence: dict[str, Any],
        tags: dict[str, str] | None = None,
    ) -> str:
        """Log one finished run and return its id.

        Args:
            tenant: owner of the run (its experiment).
            run_name: human-readable name, e.g. the spec name.
            kind: "validation" or "twin-evaluation".
            params: settings of the run (seed, model, persons, ...).
            metrics: aggregate numbers; NaN values are left out (MLflow shows them badly).
            evidence: JSON summary, stored as ``evidence.json``.
            tags: extra tags.

        Raises:
            EvidenceError: the store could not be written; the run is marked FAILED.
        """
        all_tags = {TAG_TENANT: tenant, TAG_KIND: kind, TAG_STATUS: "draft", **(tags or {})}
        try:
            run = self.client.create_run(
                self._experiment_id(tenant), run_name=run_name, tags=all_tags
            )
        except Exception as exc:  # MLflow raises many types; the user needs one message
            raise EvidenceError(f"cannot write to MLflow at {self.tracking_uri}: {exc}") from exc
        run_id = str(run.info.run_id)
        try:
            for key, value in params.items():
                self.client.log_param(run_id, key, value)
            for key, value in metrics.items():
                if value is not None and math.isfinite(value):
                    self.client.log_metric(run_id, key, float(value))
            self.client.log_dict(run_id, evidence, EVIDENCE_FILE)
        except Exception as exc:
            self.client.set_terminated(run_id, status="FAILED")
            raise EvidenceError(
                f"logging run {run_id} failed and it is marked FAILED: {exc}"
            ) from exc
        self.client.set_terminated(run_id, status="FINISHED")
        return run_id
