"""The `testbench` command as a user runs it: a real subprocess, a temporary TESTBENCH_HOME."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from testbench.audit import AuditLog


def _client(home: Path) -> MlflowClient:
    return MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")


def test_validate_logs_a_draft_run_with_every_regime_and_its_provenance(story_home) -> None:
    home, story = story_home
    evidence = story["validation"]
    assert list(evidence["regimes"]) == ["TRTR", "TSTR", "TSTS"]
    trtr = evidence["regimes"]["TRTR"]["metrics"]["auroc"]
    assert 0.5 < trtr["value"] <= 1.0  # earlier contacts and age carry a real signal
    assert trtr["low"] <= trtr["value"] <= trtr["high"]
    run = _client(home).get_run(evidence["run_id"])
    assert run.info.status == "FINISHED"
    tags = run.data.tags
    assert tags["testbench.status"] == "draft"
    assert tags["testbench.tenant"] == "acme" and tags["testbench.requester"] == "sme-dev"
    assert tags["testbench.twin_id"] == story["twin"]["twin_id"]
    assert len(tags["testbench.spec_hash"]) == 64 and len(tags["testbench.lake_snapshot"]) > 10
    assert tags["testbench.data"] == "real" and tags["testbench.code_version"]
    files = {f.path for f in _client(home).list_artifacts(run.info.run_id)}
    assert {"evidence.json", "model_card.md", "disclosure_manifest.json", "figures"} <= files
    assert "## Intended use" in evidence["model_card"]
    assert evidence["disclosure"]["checked"] > 100


def test_validation_evidence_holds_no_person_identifier(story_home, cli) -> None:
    home, story = story_home
    text = json.dumps(story["validation"])
    status = json.loads(cli("lake", "status", "acme", "--json", home=home).stdout)
    assert status["tables"]  # the lake is there ...
    twin_dir = home / "twins" / "acme" / story["twin"]["twin_id"] / "tables"
    import pandas as pd

    fake_ids = pd.read_parquet(twin_dir / "bef.parquet")["pnr"].astype(str)
    assert not any(pnr in text for pnr in fake_ids)  # ... and no twin id leaks either
    assert all(len(word) != 16 for word in text.replace('"', " ").split() if word.isalnum())


def test_approve_enforces_four_eyes_and_publishes(story_home, cli) -> None:
    home, story = story_home
    run_id = story["validation"]["run_id"]
    same = cli("approve", run_id, "--reviewer", "sme-dev", home=home, check=False)
    assert same.returncode != 0 and "cannot also approve" in same.stderr
    assert _client(home).get_run(run_id).data.tags["testbench.status"] == "draft"
    cli("approve", run_id, "--reviewer", "region-reviewer", home=home)
    tags = _client(home).get_run(run_id).data.tags
    assert (
        tags["testbench.status"] == "published" and tags["testbench.reviewer"] == "region-reviewer"
    )
    again = cli("approve", run_id, "--reviewer", "someone-else", home=home, check=False)
    assert again.returncode != 0 and "already published" in again.stderr
    log = AuditLog(home / "tenants" / "acme" / "audit.jsonl").entries()
    assert any(e["action"] == "evidence.approve" and e["actor"] == "region-reviewer" for e in log)
    assert "chain intact" in cli("audit", "verify", "acme", home=home).stdout


def test_twin_evaluate_prints_the_gate_and_records_it(story_home) -> None:
    home, story = story_home
    evaluation = story["evaluation"]
    names = {c["name"] for c in evaluation["gate"]["checks"]}
    assert {"quality", "dcr_baseline_protection", "singling_out", "inference"} <= names
    assert all(
        {"name", "value", "threshold", "passed"} <= set(c) for c in evaluation["gate"]["checks"]
    )
    assert evaluation["gate"]["passed"] == all(c["passed"] for c in evaluation["gate"]["checks"])
    assert Path(evaluation["report"]).exists()
    log = AuditLog(home / "tenants" / "acme" / "audit.jsonl").entries()
    decided = [e for e in log if e["action"] == "twin.evaluate"]
    assert decided and decided[-1]["details"]["passed"] == evaluation["gate"]["passed"]
    run = _client(home).get_run(evaluation["run_id"])
    assert run.data.tags["testbench.kind"] == "twin-evaluation"


def test_tenant_commands_and_json_output(tmp_path: Path, cli) -> None:
    home = tmp_path / "home"
    cli("tenant", "create", "acme-health", home=home)
    listed = cli("tenant", "list", "--json", home=home)
    assert json.loads(listed.stdout)["tenants"][0]["name"] == "acme-health"
    assert listed.stderr == ""


def test_errors_are_one_clear_line_without_traceback(tmp_path: Path, cli) -> None:
    home = tmp_path / "home"
    bad = cli("tenant", "create", "../x", home=home, check=False)
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0
    assert "lowercase letters, digits and hyphens" in bad.stderr
    missing = cli("lake", "status", "nobody", home=home, check=False)
    assert missing.returncode != 0 and "testbench tenant create nobody" in missing.stderr
    empty = cli("tenant", "create", "empty", home=home)
    assert empty.returncode == 0
    no_twin = cli("twin", "build", "empty", home=home, check=False)
    assert no_twin.returncode != 0 and "lake simulate" in no_twin.stderr
    unknown = cli("lake", "public", "mimic", "--out", str(tmp_path / "csv"), home=home, check=False)
    assert unknown.returncode != 0 and unknown.stderr.strip().splitlines() == [
        "error: unknown public data set 'mimic'; there is: nafld"
    ]


def _command_paths(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under ``group`` (a click group), as argument paths."""
    paths = [path]
    for name, command in getattr(group, "commands", {}).items():
        paths += _command_paths(command, (*path, name))
    return paths


def test_every_command_has_help(tmp_path: Path, cli, monkeypatch) -> None:
    import typer
    from typer.testing import CliRunner

    from testbench.cli.app import app

    # The installed entry point answers --help in a process of its own ...
    out = cli("--help", home=tmp_path / "home")
    assert "Usage:" in out.stdout and "catalogue" in out.stdout
    # ... and every command and group of the tree, walked from the app itself so a new
    # command is covered, answers with a usage line and a description (in-process: one
    # interpreter start per command took half a minute).
    monkeypatch.setenv("TESTBENCH_HOME", str(tmp_path / "home"))
    paths = _command_paths(typer.main.get_command(app))
    assert {("validate",), ("catalogue", "export"), ("access", "request")} <= set(paths)
    runner = CliRunner()
    for path in paths:
        result = runner.invoke(app, [*path, "--help"], prog_name="testbench")
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output and len(result.output) > 100, path


def test_ingest_reports_quarantine_in_status_and_audit(tmp_path: Path, cli) -> None:
    home = tmp_path / "home"
    cli("tenant", "create", "acme", home=home)
    # Made-up CPR numbers; one row has a municipality code that does not exist.
    extract = tmp_path / "bef.csv"
    extract.write_text(
        "PNR;KOEN;FOED_DAG;KOM;REG;CIVST\n"
        "010190-1234;1;1990-01-01;101;84;U\n"
        "020290-2345;2;1990-02-02;999;84;G\n"
        "030390-3456;2;1990-03-03;751;82;G\n"
    )
    report = json.loads(
        cli("lake", "ingest", "acme", str(extract), "--table", "bef", "--contract", "bef",
            "--json", home=home).stdout
    )  # fmt: skip
    assert (report["rows_in_file"], report["ingested"], report["quarantined"]) == (3, 2, 1)
    assert report["pseudonymised_columns"] == ["pnr"]
    status = json.loads(cli("lake", "status", "acme", "--json", home=home).stdout)
    # Counts under 5 are not shown (disclosure rule), not even to the operator.
    assert [(t["name"], t["rows"], t["quarantined"]) for t in status["tables"]] == [
        ("bef", "<5", "<5")
    ]
    assert "chain intact" in cli("audit", "verify", "acme", home=home).stdout
    bad = cli("lake", "ingest", "acme", str(extract), "--table", "bef", "--contract", "nope",
              home=home, check=False)  # fmt: skip
    assert bad.returncode != 0 and "known contracts: bef" in bad.stderr


def test_audit_verify_exits_non_zero_naming_the_tampered_line(tmp_path: Path, cli) -> None:
    home = tmp_path / "home"
    cli("tenant", "create", "acme", home=home)
    log = AuditLog(home / "tenants" / "acme" / "audit.jsonl")
    for i in range(3):
        log.append("lake.query", actor="job", result_rows=i)
    lines = log.path.read_text().splitlines()
    assert "4 entries, chain intact" in cli("audit", "verify", "acme", home=home).stdout
    for tampered, line in [
        ([lines[0], lines[1], lines[3], lines[2]], 3),  # reordered
        (lines[:2] + lines[3:], 3),  # removed
        (lines[:3], 4),  # the last one removed
        ([lines[0], lines[1].replace('"result_rows": 0', '"result_rows": 9'), *lines[2:]], 2),
    ]:
        log.path.write_text("\n".join(tampered) + "\n")
        bad = cli("audit", "verify", "acme", home=home, check=False)
        assert bad.returncode != 0
        assert f"broken at line {line}:" in bad.stderr
        assert bad.stderr.strip().count("\n") == 0 and "Traceback" not in bad.stderr


def test_reingesting_through_the_cli_changes_nothing(tmp_path: Path, cli) -> None:
    home = tmp_path / "home"
    cli("tenant", "create", "acme", home=home)
    extract = tmp_path / "own.csv"
    extract.write_text("id;score\n1;0.5\n2;0.7\n2;0.9\n")
    args = ("lake", "ingest", "acme", str(extract), "--table", "own", "--primary-key", "id")
    first = json.loads(cli(*args, "--json", home=home).stdout)
    again = cli(*args, home=home)
    assert "unchanged" in again.stdout and "1 quarantined" in again.stdout
    actions = [e["action"] for e in AuditLog(home / "tenants" / "acme" / "audit.jsonl").entries()]
    assert actions == ["tenant.create", "lake.ingest", "lake.ingest.unchanged"]
    status = cli("lake", "status", "acme", home=home).stdout
    assert "own: <5 rows, 2 columns, key id, <5 quarantined" in status
    assert first["file_sha256"] and first["table_hash"]


def test_twin_build_json_names_tables_rows_and_seconds(story_home) -> None:  # type: ignore[no-untyped-def]
    # The shared story built its twin through the CLI with --json (bef, lpr_a_kontakt).
    home, story = story_home
    built = story["twin"]
    assert built["tables"] == ["bef", "lpr_a_kontakt"]
    assert (
        set(built["rows"]) == set(built["fit_s"]) == set(built["sample_s"]) == set(built["tables"])
    )
    assert (home / "twins" / "acme" / built["twin_id"] / "twin.json").exists()
    actions = [
        json.loads(line)["action"] for line in (home / "tenants" / "acme" / "audit.jsonl").open()
    ]
    assert "twin.build" in actions


@pytest.mark.slow  # 18 s for an opt-in flag; the JSON build test covers twin build
def test_twin_build_latent_is_recorded_in_the_manifest(tmp_path: Path, cli) -> None:
    home = tmp_path / "home"
    cli("tenant", "create", "small", home=home)
    cli("lake", "simulate", "small", "--persons", "300", "--seed", "1", home=home)
    built = json.loads(
        cli("twin", "build", "small", "--table", "bef", "--table", "dod", "--latent", "--json",
            home=home).stdout
    )  # fmt: skip
    assert built["latent"] is True and built["rows"]["bef"] > 0
    stored = json.loads((home / "twins" / "small" / built["twin_id"] / "twin.json").read_text())
    assert stored["latent"] is True
