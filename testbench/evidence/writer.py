"""Log evidence runs to MLflow: one experiment per tenant, one run per job."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from testbench.evidence.errors import EvidenceError

EXPERIMENT_PREFIX = "testbench/"
TAG_TENANT = "testbench.tenant"  # tenant the run belongs to
TAG_KIND = "testbench.kind"  # "validation" or "twin-evaluation"
TAG_STATUS = "testbench.status"  # "draft" until an airlock reviewer publishes it
TAG_FAILURE = "testbench.failure"  # why a FAILED run failed (one line, no data)
TAG_REQUESTER = "testbench.requester"  # who asked for the run; may not approve it
TAG_REVIEWER = "testbench.reviewer"  # who published it
TAG_SANDBOX = "testbench.sandbox"  # "on", or "off" when an operator ran the model unsandboxed
MODEL_FILE = "model.skops"  # the released model, as the sandbox handed it back
EVIDENCE_FILE = "evidence.json"  # the run's summary, read by the dashboard


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


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

    def start_run(self, tenant: str, run_name: str, kind: str, tags: dict[str, str]) -> str:
        """Open a run (RUNNING, status draft) before the work starts, so a crash leaves a trace.

        Raises:
            EvidenceError: the store cannot be reached or written.
        """
        all_tags = {TAG_TENANT: tenant, TAG_KIND: kind, TAG_STATUS: "draft", **tags}
        try:
            run = self.client.create_run(
                self._experiment_id(tenant), run_name=run_name, tags=all_tags
            )
        except Exception as exc:  # MLflow raises many types; the user needs one message
            raise EvidenceError(f"cannot write to MLflow at {self.tracking_uri}: {exc}") from exc
        return str(run.info.run_id)

    def finish_run(
        self,
        run_id: str,
        params: dict[str, Any],
        metrics: dict[str, float],
        evidence: dict[str, Any],
        artifacts: dict[str, str | bytes] | None = None,
        model_file: bytes | None = None,
    ) -> None:
        """Log a run's results and mark it FINISHED; on any error mark it FAILED and raise.

        Args:
            run_id: from :meth:`start_run`.
            params: settings of the run.
            metrics: aggregate numbers; NaN values are left out.
            evidence: the disclosure-checked summary, stored as ``evidence.json``.
            artifacts: more files by artifact path (text or bytes), e.g. figures, model card.
            model_file: a fitted model cleared for release, as a skops file, logged under
                ``model/`` as an MLflow sklearn model. It is never loaded here.

        Raises:
            EvidenceError: logging failed; the run is marked FAILED.
        """
        try:
            for key, value in params.items():
                self.client.log_param(run_id, key, value)
            for key, value in metrics.items():
                if value is not None and math.isfinite(value):
                    self.client.log_metric(run_id, key, float(value))
            self.client.log_dict(run_id, evidence, EVIDENCE_FILE)
            self._log_files(run_id, artifacts or {}, model_file)
        except Exception as exc:
            self.fail_run(run_id, f"logging failed: {type(exc).__name__}")
            raise EvidenceError(
                f"logging run {run_id} failed and it is marked FAILED: {exc}"
            ) from exc
        self.client.set_terminated(run_id, status="FINISHED")

    def fail_run(self, run_id: str, reason: str) -> None:
        """Mark a run FAILED with a one-line reason (never data)."""
        self.client.set_tag(run_id, TAG_FAILURE, reason[:500])
        self.client.set_terminated(run_id, status="FAILED")

    def _log_files(
        self, run_id: str, artifacts: dict[str, str | bytes], model_file: bytes | None
    ) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "files"
            for name, content in artifacts.items():
                path = root / name
                path.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    path.write_bytes(content)
                else:
                    path.write_text(content, encoding="utf-8")
            if artifacts:
                self.client.log_artifacts(run_id, str(root))
            if model_file is not None:
                folder = Path(tmp) / "model"
                save_skops_model(model_file, folder)
                self.client.log_artifacts(run_id, str(folder), "model")

    def log_run(
        self,
        tenant: str,
        run_name: str,
        kind: str,
        params: dict[str, Any],
        metrics: dict[str, float],
        evidence: dict[str, Any],
        tags: dict[str, str] | None = None,
        artifacts: dict[str, str | bytes] | None = None,
    ) -> str:
        """Log one finished run in one call and return its id.

        Args:
            tenant: owner of the run (its experiment).
            run_name: human-readable name, e.g. the spec name.
            kind: "validation" or "twin-evaluation".
            params: settings of the run (seed, model, persons, ...).
            metrics: aggregate numbers; NaN values are left out (MLflow shows them badly).
            evidence: JSON summary, stored as ``evidence.json``.
            tags: extra tags.
            artifacts: more files by artifact path.

        Raises:
            EvidenceError: the store could not be written; the run is marked FAILED.
        """
        run_id = self.start_run(tenant, run_name, kind, tags or {})
        self.finish_run(run_id, params, metrics, evidence, artifacts)
        return run_id


def save_skops_model(model_file: bytes, folder: Path) -> None:
    """Write a skops file as an MLflow sklearn model (``mlflow.sklearn.load_model`` reads it).

    The model is not loaded to do so (it was fitted by the SME's code in the sandbox): the
    MLmodel file is written from the file's inspected type names, which the release check
    has already limited to known libraries.
    """
    import warnings

    from skops.io import get_untrusted_types

    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(model_file)
    trusted = get_untrusted_types(data=model_file) or None
    with warnings.catch_warnings():  # MLflow's notes on type hints it cannot check
        warnings.simplefilter("ignore", UserWarning)
        from mlflow.models import Model
        from mlflow.pyfunc import add_to_model

        model = Model()
        add_to_model(model, loader_module="mlflow.sklearn", model_path=MODEL_FILE)
    model.add_flavor(
        "sklearn",
        pickled_model=MODEL_FILE,
        sklearn_version=_sklearn_version(),
        serialization_format="skops",
        code=None,
        skops_trusted_types=trusted,
    )
    model.model_size_bytes = len(model_file)
    model.save(str(folder / "MLmodel"))
    (folder / "requirements.txt").write_text(f"scikit-learn=={_sklearn_version()}\nskops\n")
