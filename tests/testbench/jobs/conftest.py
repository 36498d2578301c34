"""Fixtures of the job tests: a real Ray head with the Jobs API."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.network import free_port

RAY = Path(sys.executable).with_name("ray")


@pytest.fixture
def ray_head(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Ray head with a dashboard (the Jobs API) on free ports, stopped afterwards.

    Stopped by killing its own process group: `ray stop` would stop every Ray on the host.
    """
    monkeypatch.setenv("RAY_AUTH_MODE", "token")  # Ray 2.60 heads require the local token
    temp = tempfile.mkdtemp(prefix="rayh", dir="/tmp")  # short: Ray's socket paths are limited
    dashboard = free_port()
    command = [
        str(RAY), "start", "--head", "--block", f"--port={free_port()}",
        f"--dashboard-port={dashboard}", f"--dashboard-agent-listen-port={free_port()}",
        "--include-dashboard=true", "--num-cpus=2", "--disable-usage-stats", f"--temp-dir={temp}",
    ]  # fmt: skip
    log = Path(temp) / "head.log"
    with log.open("w") as out:
        head = subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)
    address = f"http://127.0.0.1:{dashboard}"
    try:
        _wait_for_jobs_api(address, head, log)
        yield address
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:  # `ray start --block` rarely stops on SIGTERM alone: 10 s of every test went here
            head.wait(timeout=2)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
        subprocess.run(["pkill", "-9", "-f", temp], check=False)  # any stray of this head only
        shutil.rmtree(temp, ignore_errors=True)


def _wait_for_jobs_api(address: str, head: subprocess.Popen[bytes], log: Path) -> None:
    from ray.job_submission import JobSubmissionClient

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if head.poll() is not None:
            raise AssertionError(f"ray head exited: {log.read_text()[-2000:]}")
        try:
            JobSubmissionClient(address).list_jobs()
            return
        except Exception:
            time.sleep(1)
    raise AssertionError("the Ray Jobs API did not come up in 120 s")
