from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from testbench.config import Settings
from testbench.evidence import EvidenceWriter, list_runs
from testbench.evidence.reader import load_evidence
from testkit.network import free_port

pytestmark = pytest.mark.mlflow

REPO = Path(__file__).resolve().parents[3]


def _log(writer: EvidenceWriter, tenant: str, auroc: float) -> str:
    return writer.log_run(
        tenant=tenant,
        run_name="spec-a",
        kind="validation",
        params={"seed": 1},
        metrics={"auroc_trtr": auroc, "undefined": float("nan")},
        evidence={"regimes": {"TRTR": {"auroc": auroc}}},
    )


def test_runs_round_trip_per_tenant(settings: Settings) -> None:
    writer = EvidenceWriter(settings.tracking_uri, settings.artifact_root)
    first = _log(writer, "acme", 0.71)
    second = _log(writer, "acme", 0.74)
    _log(writer, "other", 0.9)
    runs = list_runs(settings.tracking_uri, tenant="acme")
    assert [r.run_id for r in runs] == [second, first]  # newest first
    assert runs[0].metrics == {"auroc_trtr": pytest.approx(0.74)}  # NaN left out
    assert runs[0].status == "draft"
    assert load_evidence(settings.tracking_uri, first) == {"regimes": {"TRTR": {"auroc": 0.71}}}
    assert {r.tenant for r in list_runs(settings.tracking_uri)} == {"acme", "other"}
    assert settings.artifact_root.is_dir()  # artifacts under TESTBENCH_HOME, not ./mlruns


def test_client_logs_to_a_real_mlflow_server(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "TESTBENCH_HOME": str(tmp_path),
        "MLFLOW_PORT": str(port),
        "MLFLOW_WORKERS": "1",
        "MLFLOW_BIN": str(Path(sys.executable).parent / "mlflow"),
    }
    server = subprocess.Popen(
        [str(REPO / "mlflow" / "start.sh")], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{uri}/health", timeout=2)
                break
            except OSError:
                assert server.poll() is None, "mlflow server exited"
                assert time.monotonic() < deadline, "mlflow server did not start in 90 s"
                time.sleep(0.5)
        run_id = _log(EvidenceWriter(uri), "acme", 0.8)
        assert [r.run_id for r in list_runs(uri, "acme")] == [run_id]
        assert load_evidence(uri, run_id)["regimes"]["TRTR"]["auroc"] == 0.8
        assert (tmp_path / "mlflow-server.db").exists()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
