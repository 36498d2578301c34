"""`testbench access` and `catalogue` as a user runs them; --request on lake ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testbench.config import Settings
from testbench.evidence.reader import find_access_request, list_catalogues

pytestmark = [pytest.mark.cli, pytest.mark.mlflow]


def test_request_approve_and_use_from_the_command_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    cli("tenant", "create", "acme", home=home)
    asked = cli(
        "access", "request", "acme", "--sources", "own", "--period", "2020..2021",
        "--purpose", "model", "--requester", "ann", "--json", home=home,
    )  # fmt: skip
    request_id = json.loads(asked.stdout)["id"]
    same = cli("access", "approve", request_id, "--reviewer", "ann", "--reason", "ok",
               home=home, check=False)  # fmt: skip
    assert same.returncode != 0 and "cannot also decide" in same.stderr
    assert "Traceback" not in same.stderr
    extract = tmp_path / "own.csv"
    extract.write_text("score\n1\n2\n")
    pending = cli("lake", "ingest", "acme", str(extract), "--table", "own", "--request",
                  request_id, home=home, check=False)  # fmt: skip
    assert pending.returncode != 0 and "pending" in pending.stderr
    cli("access", "approve", request_id, "--reviewer", "bo", "--reason", "lawful", home=home)
    cli("lake", "ingest", "acme", str(extract), "--table", "own", "--request", request_id,
        home=home)  # fmt: skip
    listed = json.loads(cli("access", "list", "--json", home=home).stdout)["requests"]
    assert [r["status"] for r in listed] == ["approved"]
    audit = (home / "tenants" / "acme" / "audit.jsonl").read_text()
    assert '"access.use"' in audit and request_id in audit

    status = find_access_request(Settings(home=home).tracking_uri, request_id)
    assert status is not None and status["access_status"] == "approved"
    assert status["access_delete_by"] == listed[0]["delete_by"]


def test_catalogue_export_and_publish_through_the_airlock(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    cli("tenant", "create", "acme", home=home)
    cli("lake", "simulate", "acme", "--persons", "200", home=home)
    out = tmp_path / "acme.jsonld"
    cli("catalogue", "export", "acme", "--format", "jsonld", "--out", str(out), home=home)
    assert "healthdataportal.eu/ns/health#numberOfUniqueIndividuals" in out.read_text()
    published = json.loads(
        cli("catalogue", "publish", "acme", "--requester", "ann", "--json", home=home).stdout
    )
    uri = Settings(home=home).tracking_uri
    assert list_catalogues(uri) == []  # a draft until approved
    cli("approve", published["run_id"], "--reviewer", "bo", home=home)
    assert [r.tenant for r in list_catalogues(uri)] == ["acme"]


def test_a_validation_names_its_approved_request_and_is_refused_without_one(  # type: ignore[no-untyped-def]
    story_home, cli
) -> None:
    from mlflow.tracking import MlflowClient

    home, story = story_home
    spec = str(story["spec"])
    asked = cli(
        "access", "request", "acme", "--sources", "bef,lpr_a_kontakt", "--period", "2015..2024",
        "--purpose", "validate a model", "--requester", "sme-dev", "--json", home=home,
    )  # fmt: skip
    request_id = json.loads(asked.stdout)["id"]

    pending = cli("validate", spec, "--tenant", "acme", "--request", request_id, home=home,
                  check=False)  # fmt: skip
    assert pending.returncode != 0 and "Traceback" not in pending.stderr
    assert len(pending.stderr.strip().splitlines()[-1]) < 300  # one line says why

    cli("access", "approve", request_id, "--reviewer", "bo", "--reason", "lawful", home=home)
    done = cli("validate", spec, "--tenant", "acme", "--request", request_id,
               "--requester", "sme-dev", "--json", home=home)  # fmt: skip
    evidence = json.loads(done.stdout)
    assert evidence["access_request"] == request_id
    run = MlflowClient(Settings(home=home).tracking_uri).get_run(evidence["run_id"])
    assert run.data.tags["testbench.access_request"] == request_id
    runs = [json.loads(line) for line in (home / "tenants" / "acme" / "audit.jsonl").open()]
    assert any(r.get("action") == "validation.run" and request_id in json.dumps(r) for r in runs)
