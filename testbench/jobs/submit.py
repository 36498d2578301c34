"""`testbench submit`: a validation as a Ray Job on a cluster (Ray's JobSubmissionClient).

The spec's folder (spec and model file) travels as the job's ``working_dir``; the job runs
``testbench validate`` on the cluster, where the lake and the evidence store are, so the
run is the same as a local ``testbench validate --tenant``.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from pathlib import Path

from testbench.config import Settings
from testbench.jobs.errors import SubmitError

TERMINAL = {"SUCCEEDED", "FAILED", "STOPPED"}
WORKING_DIR_LIMIT = 50 * 1024 * 1024  # bytes; a spec folder is small, a data folder is not


def _client(address: str):
    from ray.job_submission import JobSubmissionClient

    try:
        return JobSubmissionClient(address)
    except Exception as exc:  # connection errors come in many types
        raise SubmitError(
            f"cannot reach the Ray cluster at {address}: {str(exc).splitlines()[0]}"
        ) from None


def submit_validation(
    settings: Settings,
    address: str,
    spec_path: Path,
    tenant: str,
    data: str = "real",
    requester: str | None = None,
    unsandboxed: bool = False,
    access_request: str | None = None,
) -> str:
    """Submit ``testbench validate`` for a spec as a Ray Job and return its id.

    The job runs the model code in the sandbox on the cluster's nodes, or refuses there when
    a node cannot set one up; ``unsandboxed`` passes the operator's ``--unsandboxed`` on,
    ``access_request`` the ``--request`` the run rests on (checked again by the job).

    Raises:
        SubmitError: the spec folder is missing or too big, or the cluster refused the job.
    """
    spec_path = spec_path.resolve()
    if not spec_path.is_file():
        raise SubmitError(f"spec {spec_path} does not exist")
    folder = spec_path.parent
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    if size > WORKING_DIR_LIMIT:
        raise SubmitError(
            f"the spec folder {folder} holds {size / 1e6:.0f} MB; keep only the spec and its "
            "model code there (data stays in the lake)"
        )
    command = [
        settings.job_python, "-m", "testbench.cli", "validate", spec_path.name,
        "--tenant", tenant, "--data", data, "--json",
    ]  # fmt: skip
    if requester:
        command += ["--requester", requester]
    if unsandboxed:
        command += ["--unsandboxed"]
    if access_request:
        command += ["--request", access_request]
    env = {
        "TESTBENCH_HOME": str(settings.home.resolve()),
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
    }
    try:
        return str(
            _client(address).submit_job(
                entrypoint=shlex.join(command),
                runtime_env={"working_dir": str(folder), "env_vars": env},
            )
        )
    except SubmitError:
        raise
    except Exception as exc:
        raise SubmitError(f"the Ray cluster refused the job: {str(exc).splitlines()[0]}") from None


def follow(
    address: str,
    job_id: str,
    write: Callable[[str], object],
    poll_s: float = 1.0,
    timeout_s: float | None = None,
) -> str:
    """Stream a job's new log text to ``write`` until it ends; return its final status."""
    client = _client(address)
    shown = 0
    started = time.monotonic()
    while True:
        status = str(client.get_job_status(job_id)).rsplit(".", 1)[-1]
        logs = client.get_job_logs(job_id)
        if len(logs) > shown:
            write(logs[shown:])
            shown = len(logs)
        if status in TERMINAL:
            return status
        if timeout_s is not None and time.monotonic() - started > timeout_s:
            raise SubmitError(f"Ray job {job_id} still {status} after {timeout_s:.0f} s")
        time.sleep(poll_s)
