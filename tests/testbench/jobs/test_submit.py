"""`testbench submit`: a validation as a Ray Job on a real local Ray head (its own ports)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from testbench.config import Settings
from testbench.jobs.submit import SubmitError, follow, submit_validation
from testkit.network import free_port
from testkit.specs import write_contact_spec


def test_submit_runs_the_validation_as_a_ray_job(story_home, ray_head: str, tmp_path: Path) -> None:
    home, _ = story_home
    settings = Settings(home=home, job_python=sys.executable)
    spec = write_contact_spec(tmp_path / "spec", folds=2, bootstrap=20)
    job_id = submit_validation(settings, ray_head, spec, "acme", requester="sme-dev")
    assert job_id.startswith("raysubmit_")
    lines: list[str] = []
    status = follow(ray_head, job_id, lines.append, poll_s=1.0, timeout_s=400)
    logs = "".join(lines)
    assert status == "SUCCEEDED", logs[-3000:]
    runs = MlflowClient(f"sqlite:///{home / 'mlflow.db'}").search_runs(
        [
            e.experiment_id
            for e in MlflowClient(f"sqlite:///{home / 'mlflow.db'}").search_experiments()
        ],
        filter_string="tags.`testbench.requester` = 'sme-dev' and attributes.status = 'FINISHED'",
    )
    assert any(run.info.run_id in logs for run in runs)  # the job printed its run id


def test_submit_refuses_a_missing_spec_and_an_unreachable_cluster(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    with pytest.raises(SubmitError, match="does not exist"):
        submit_validation(settings, "http://127.0.0.1:9", tmp_path / "nope.yaml", "acme")
    spec = write_contact_spec(tmp_path / "spec")
    with pytest.raises(SubmitError, match=r"cannot reach|refused"):
        submit_validation(settings, f"http://127.0.0.1:{free_port()}", spec, "acme")
