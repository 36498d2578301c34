"""Validation jobs on a real local Ray: same results as serial, and worker deaths handled."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from common.executor import RayExecutor, SerialExecutor, TaskFailed
from testbench.config import Settings
from testbench.jobs.run import validate_in_lake
from testkit.specs import MODEL, write_contact_spec

pytestmark = pytest.mark.ray  # story_home adds cli and mlflow

# The light spec's model, with a classifier whose fit kills its own worker process: once
# (the marker file then exists) or every time. These tests are about Ray replacing dead
# workers, so they run the model code in the worker itself (an operator's --unsandboxed): in
# the sandbox the model can neither kill the worker nor leave a marker on disk.
FRAGILE = (
    MODEL.replace("LogisticRegression(max_iter=500)", "Fragile(max_iter=500)")
    + """

import os
from pathlib import Path


class Fragile(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        marker = Path(MARKER)
        if ALWAYS or not marker.exists():
            marker.touch()
            os._exit(1)  # the worker dies mid-task, as if killed
        return super().fit(X, y, sample_weight)
"""
)


def _spec(folder: Path, always: bool) -> Path:
    marker = folder / "died-once"
    model = f"MARKER = {str(marker)!r}\nALWAYS = {always}\n" + FRAGILE
    return write_contact_spec(folder, folds=2, bootstrap=20, model=model)


def _settings(home: Path) -> Settings:
    return Settings(home=home)


def test_ray_gives_the_same_evidence_as_serial(story_home, tmp_path: Path) -> None:
    home, _ = story_home
    settings = _settings(home)
    spec = write_contact_spec(tmp_path / "spec", folds=2, bootstrap=30)
    executor = RayExecutor(num_cpus=2)
    try:
        on_ray = validate_in_lake(settings, spec, "acme", executor=executor, requester="t")
    finally:
        executor.shutdown()
    serial = validate_in_lake(settings, spec, "acme", executor=SerialExecutor(), requester="t")
    assert on_ray.evidence["regimes"] == serial.evidence["regimes"]


def test_a_worker_that_dies_is_replaced_and_the_run_completes(story_home, tmp_path: Path) -> None:
    home, _ = story_home
    spec = _spec(tmp_path / "once", always=False)
    executor = RayExecutor(num_cpus=2, max_retries=3)
    try:
        outcome = validate_in_lake(
            _settings(home), spec, "acme", executor=executor, requester="t", unsandboxed=True
        )
    finally:
        executor.shutdown()
    assert (tmp_path / "once" / "died-once").exists()  # a worker really died
    run = MlflowClient(f"sqlite:///{home / 'mlflow.db'}").get_run(str(outcome.run_id))
    assert run.info.status == "FINISHED"
    assert list(outcome.evidence["regimes"]) == ["TRTR", "TSTR", "TSTS"]  # nothing partial


def test_a_task_whose_worker_keeps_dying_ends_the_run_failed(story_home, tmp_path: Path) -> None:
    home, _ = story_home
    spec = _spec(tmp_path / "always", always=True)
    client = MlflowClient(f"sqlite:///{home / 'mlflow.db'}")
    before = {r.info.run_id for r in client.search_runs(_experiments(client))}
    executor = RayExecutor(num_cpus=2, max_retries=1)
    try:
        with pytest.raises(TaskFailed, match="after 1 retries"):
            validate_in_lake(
                _settings(home), spec, "acme", executor=executor, requester="t", unsandboxed=True
            )
    finally:
        executor.shutdown()
    new = [r for r in client.search_runs(_experiments(client)) if r.info.run_id not in before]
    assert len(new) == 1 and new[0].info.status == "FAILED"
    assert new[0].data.tags["testbench.failure"].startswith("TaskFailed")
    logged = {f.path for f in client.list_artifacts(new[0].info.run_id)}
    assert "evidence.json" not in logged  # no partial evidence


def _experiments(client: MlflowClient) -> list[str]:
    return [e.experiment_id for e in client.search_experiments()]
