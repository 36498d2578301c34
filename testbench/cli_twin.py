"""Commands ``twin evaluate`` (fidelity, privacy, gate) and ``twin export`` (the SME's bundle)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from testbench.cli_common import JsonFlag, emit, lake_of, say, settings
from testbench.errors import GateFailed, TestbenchError


def evaluate(
    tenant: Annotated[str, typer.Argument(help="Tenant name.")],
    twin: Annotated[str | None, typer.Option(help="Twin id (default: the newest).")] = None,
    candidate: Annotated[
        Path | None,
        typer.Option(help="Evaluate a directory of <table>.parquet files made by any tool."),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="Gate policy YAML (default: the documented defaults).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the attacks and samples.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Score a twin's fidelity and privacy, decide the gate, log it to MLflow and the audit log.

    Exits 0 when the gate passed and 1 when it failed (the reports are written either way).
    """
    from testbench.gate import GatePolicy
    from testbench.twin_evaluation import evaluate_twin, record_evaluation

    if twin and candidate:
        raise TestbenchError("give --twin or --candidate, not both")
    config = settings()
    owner, lake = lake_of(tenant)
    gate_policy = GatePolicy.from_yaml(policy) if policy else None
    result = evaluate_twin(config, owner, lake, twin, candidate, gate_policy, say, seed)
    evidence = result.evidence
    run_id = record_evaluation(config, owner, result, str(policy or "default"), seed)
    if as_json:
        emit(
            {
                "twin": evidence["twin"],
                "fidelity": evidence["fidelity"],
                "privacy": evidence["privacy"],
                "gate": evidence["gate"],
                "run_id": run_id,
                "report": str(result.folder / "report.html"),
            }
        )
    else:
        verdict = "passed" if result.decision.passed else "FAILED"
        typer.echo(f"twin {evidence['twin']}: gate {verdict}")
        for check in evidence["gate"]["checks"]:
            mark = "ok  " if check["passed"] else "FAIL"
            typer.echo(
                f"  {mark} {check['name']}: {check['value']} (threshold {check['threshold']})"
            )
        typer.echo(f"report: {result.folder / 'report.html'}")
    if not result.decision.passed:
        raise typer.Exit(1)


def export(
    tenant: Annotated[str, typer.Argument(help="Tenant name.")],
    out: Annotated[Path, typer.Option(help="Folder for the bundle (new, or an older bundle).")],
    twin: Annotated[str | None, typer.Option(help="Twin id (default: the newest).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write the twin bundle for the SME: refused unless the twin's last evaluation passed."""
    from testbench.audit import AuditLog
    from testbench.bundle import export_bundle
    from testbench.bundle_guard import pseudonyms_in_lake, tenant_secrets
    from testbench.twin_evaluation import load_evaluation
    from testbench.twins import TwinStore

    owner, lake = lake_of(tenant)
    store = TwinStore(settings(), owner)
    twin_id = store.resolve(twin)
    stored = load_evaluation(store, twin_id)
    if stored is None:
        raise GateFailed(
            f"twin {twin_id} has not been evaluated; run `testbench twin evaluate {tenant} "
            f"--twin {twin_id}` first"
        )
    evaluation, report = stored
    folder = export_bundle(
        store,
        twin_id,
        out,
        evaluation,
        report,
        lake_pseudonyms=lambda: pseudonyms_in_lake(lake),
        secrets=tenant_secrets(owner),
    )
    AuditLog(owner.audit_path).append("twin.export", twin=twin_id, out=str(folder.resolve()))
    if as_json:
        emit({"twin": twin_id, "bundle": str(folder)})
    else:
        typer.echo(f"bundle of twin {twin_id} written to {folder}")
