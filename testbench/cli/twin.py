"""`testbench twin ...`: build a twin, evaluate it (fidelity, privacy, gate), export its bundle."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from testbench.cli.shared import JsonFlag, cli_settings, emit, lake_of, say
from testbench.errors import TestbenchError
from testbench.twins.errors import GateFailed

twin_app = typer.Typer(help="Build synthetic twins of a tenant's lake.", no_args_is_help=True)


@twin_app.command("build")
def twin_build(
    tenant: Annotated[str, typer.Argument(help="Tenant name.")],
    synthesizer: Annotated[
        str, typer.Option(help="gaussian_copula, ctgan or tvae.")
    ] = "gaussian_copula",
    seed: Annotated[int, typer.Option(help="Seed for holdout, fit and sample.")] = 0,
    table: Annotated[
        list[str] | None, typer.Option("--table", help="Only these tables (repeatable).")
    ] = None,
    latent: Annotated[
        bool,
        typer.Option(
            "--latent",
            help="Gaussian copula with empirical marginals and latent correlations "
            "(truer ages and deaths; see the README before releasing such a twin).",
        ),
    ] = False,
    profiles: Annotated[
        bool,
        typer.Option(
            "--profiles",
            help="Hidden person profiles: a person's tables and visits drawn as one kind of "
            "person (closer to the lake; see the README before releasing such a twin).",
        ),
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Fit and sample a synthetic twin of a tenant's lake; store it inside the lake boundary."""
    from generators.twin import SYNTHESIZERS
    from testbench.audit import AuditLog
    from testbench.twins.store import build_twin

    if synthesizer not in SYNTHESIZERS:
        raise TestbenchError(f"unknown synthesizer {synthesizer!r}; use {', '.join(SYNTHESIZERS)}")
    from common.executor import RayExecutor

    owner, lake = lake_of(tenant)
    settings = cli_settings()
    executor = RayExecutor(settings.ray_address)
    try:
        manifest = build_twin(
            settings,
            owner,
            lake,
            synthesizer,
            seed,
            table or None,
            latent=latent,
            profiles=profiles,
            executor=executor,
            progress=say,
        )
    finally:
        executor.shutdown()
    AuditLog(owner.audit_path).append("twin.build", twin_id=manifest.twin_id, rows=manifest.rows)
    if as_json:
        emit({**asdict(manifest), "tables": list(manifest.rows)})
    else:
        typer.echo(f"twin {manifest.twin_id}: quality {manifest.quality:.3f}")


@twin_app.command("evaluate")
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
    from testbench.twins.evaluation import evaluate_twin, record_evaluation
    from testbench.twins.gate import GatePolicy

    if twin and candidate:
        raise TestbenchError("give --twin or --candidate, not both")
    config = cli_settings()
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
                "utility": evidence.get("utility"),
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
            limit = check["threshold"]
            limit_text = "report only" if limit is None else f"threshold {limit}"
            typer.echo(f"  {mark} {check['name']}: {check['value']} ({limit_text})")
        typer.echo(f"report: {result.folder / 'report.html'}")
    if not result.decision.passed:
        raise typer.Exit(1)


@twin_app.command("export")
def export(
    tenant: Annotated[str, typer.Argument(help="Tenant name.")],
    out: Annotated[Path, typer.Option(help="Folder for the bundle (new, or an older bundle).")],
    twin: Annotated[str | None, typer.Option(help="Twin id (default: the newest).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Write the twin bundle for the SME: refused unless the twin's last evaluation passed."""
    from testbench.audit import AuditLog
    from testbench.twins.bundle.export import export_bundle
    from testbench.twins.bundle.guard import pseudonyms_in_lake, tenant_secrets
    from testbench.twins.evaluation import load_evaluation
    from testbench.twins.store import TwinStore

    owner, lake = lake_of(tenant)
    store = TwinStore(cli_settings(), owner)
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
