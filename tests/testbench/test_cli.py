"""The `testbench` command as a user runs it: a real subprocess, a temporary TESTBENCH_HOME."""

from __future__ import annotations

import json
from pathlib import Path

from mlflow.tracking import MlflowClient

from testbench.audit import AuditLog


def test_demo_logs_a_run_with_auroc_for_real_and_twin(demo_home: tuple[Path, dict], cli) -> None:
    home, result = demo_home
    client = MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("testbench/demo")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert [r.info.run_id for r in runs] == [result["run_id"]]
    metrics = runs[0].data.metrics
    assert 0.5 < metrics["auroc_trtr"] <= 1.0  # the simulated outcome carries a real signal
    assert 0.0 <= metrics["auroc_tstr"] <= 1.0
    assert 0.0 < metrics["twin_quality"] <= 1.0
    assert runs[0].info.status == "FINISHED"


def test_demo_leaves_an_encrypted_lake_a_twin_and_an_intact_audit_log(
    demo_home: tuple[Path, dict],
    cli,
) -> None:
    home, result = demo_home
    assert (home / "tenants" / "demo" / "lake.duckdb").exists()
    twin_dir = home / "twins" / "demo" / str(result["twin_id"])
    assert sorted(p.name for p in (twin_dir / "tables").iterdir()) == [
        "bef.parquet",
        "lpr_a_kontakt.parquet",
    ]
    verify = cli("audit", "verify", "demo", home=home)
    assert "chain intact" in verify.stdout
    status = json.loads(cli("lake", "status", "demo", "--json", home=home).stdout)
    assert {"bef", "lpr_a_kontakt"} <= {t["name"] for t in status["tables"]}
    assert any(r["child_table"] == "lpr_a_kontakt" for r in status["relations"])


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


def test_every_command_has_help(tmp_path: Path, cli) -> None:
    for command in (
        [], ["tenant"], ["tenant", "create"], ["tenant", "list"], ["lake", "simulate"],
        ["lake", "ingest"], ["lake", "status"], ["twin", "build"], ["audit", "verify"], ["demo"],
        ["dashboard"],
    ):  # fmt: skip
        out = cli(*command, "--help", home=tmp_path / "home")
        assert "Usage:" in out.stdout and len(out.stdout) > 100


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


def test_twin_build_json_names_tables_rows_and_seconds(tmp_path: Path, cli) -> None:
    home = tmp_path / "home"
    cli("tenant", "create", "small", home=home)
    cli("lake", "simulate", "small", "--persons", "300", "--seed", "1", home=home)
    built = json.loads(
        cli("twin", "build", "small", "--table", "bef", "--table", "lpr_a_kontakt", "--json",
            home=home).stdout
    )  # fmt: skip
    assert built["tables"] == ["bef", "lpr_a_kontakt"]
    assert (
        set(built["rows"]) == set(built["fit_s"]) == set(built["sample_s"]) == set(built["tables"])
    )
    assert (home / "twins" / "small" / built["twin_id"] / "twin.json").exists()
    actions = [
        json.loads(line)["action"] for line in (home / "tenants" / "small" / "audit.jsonl").open()
    ]
    assert "twin.build" in actions
