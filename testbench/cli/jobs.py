"""Commands for validation jobs: ``validate``, ``submit`` (Ray Jobs) and ``approve`` (airlock)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from testbench.cli.shared import JsonFlag, cli_settings, emit, say
from testbench.errors import TestbenchError

SpecArg = Annotated[Path, typer.Argument(help="The validation spec (YAML; model file beside it).")]
RequestOption = Annotated[
    str | None,
    typer.Option(
        "--request", help="The approved access request the run rests on (named on the run)."
    ),
]
UnsandboxedFlag = Annotated[
    bool,
    typer.Option(
        "--unsandboxed",
        help="Operator only, where no sandbox can be set up: run the model code without "
        "one (recorded in the audit log and on the run).",
    ),
]


def validate(
    spec: SpecArg,
    tenant: Annotated[
        str | None, typer.Option(help="Run inside this tenant's lake (real data).")
    ] = None,
    data: Annotated[
        str, typer.Option(help="real: TRTR, TSTR and TSTS; twin: the twin only (TSTS).")
    ] = "real",
    bundle: Annotated[
        Path | None, typer.Option(help="Run on a twin bundle instead (no lake, no key).")
    ] = None,
    twin: Annotated[str | None, typer.Option(help="Twin id (default: the newest).")] = None,
    requester: Annotated[
        str | None, typer.Option(help="Who asks for the run (default: spec or OS user).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Also write the evidence JSON to this file.")
    ] = None,
    unsandboxed: UnsandboxedFlag = False,
    request: RequestOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Train and evaluate a spec's model: on the real lake beside its twin, or on a bundle.

    Inside the lake the model code runs in a sandbox (no key, lake, network or disk; its
    output goes to the operator's job log) and the disclosure-checked evidence is logged to
    MLflow as a draft run; `testbench approve` publishes it.
    """
    from common.executor import RayExecutor
    from testbench.jobs.run import validate_bundle, validate_in_lake

    if (tenant is None) == (bundle is None):
        raise TestbenchError("give either --tenant (inside the lake) or --bundle DIR (outside)")
    config = cli_settings()
    executor = RayExecutor(config.ray_address)
    try:
        if bundle is not None:
            outcome = validate_bundle(config, spec, bundle, executor=executor, progress=say)
        else:
            assert tenant is not None
            outcome = validate_in_lake(
                config,
                spec,
                tenant,
                data,
                twin,
                executor,
                say,
                requester=requester,
                unsandboxed=unsandboxed,
                access_request=request,
            )
    finally:
        executor.shutdown()
    if out is not None:
        out.write_text(json.dumps(outcome.evidence, indent=2, default=str))
    if as_json:
        emit({"run_id": outcome.run_id, **outcome.evidence})
        return
    for line in summary_lines(outcome.evidence):
        typer.echo(line)
    if outcome.run_id:
        typer.echo(f"draft run {outcome.run_id}; publish with `testbench approve {outcome.run_id}`")


def summary_lines(evidence: dict[str, Any]) -> list[str]:
    """One line per regime with the headline metric and its interval."""
    headline = "auroc" if evidence.get("task") == "binary_classification" else "rmse"
    lines = [f"{evidence['name']}: cohort {evidence['cohort']['n']} persons"]
    for regime, block in evidence["regimes"].items():
        metric = block["metrics"].get(headline, {})
        value, low, high = metric.get("value"), metric.get("low"), metric.get("high")
        shown = "n/a" if value is None else f"{value:.3f}"
        if low is not None and high is not None:
            shown += f" ({low:.3f}-{high:.3f})"
        lines.append(f"  {regime}: {headline.upper()} {shown}, {block['n_test']} test rows")
    for regime, why in (evidence.get("regimes_skipped") or {}).items():
        lines.append(f"  {regime}: not estimated ({why})")
    return lines


def approve(
    run_id: Annotated[str, typer.Argument(help="The MLflow run id of a draft run.")],
    reviewer: Annotated[str, typer.Option(help="Your name; not the run's requester.")],
    as_json: JsonFlag = False,
) -> None:
    """Publish a draft run (airlock): refused when the reviewer requested the run."""
    from testbench.audit import AuditLog
    from testbench.evidence.airlock import approve as publish
    from testbench.tenants import TenantRegistry

    config = cli_settings()
    approval = publish(config.tracking_uri, run_id, reviewer)
    if approval.tenant:
        tenant = TenantRegistry(config).get(approval.tenant)
        AuditLog(tenant.audit_path).append(
            "evidence.approve",
            actor=approval.reviewer,
            run_id=run_id,
            requester=approval.requester,
        )
    if as_json:
        emit(vars(approval))
        return
    typer.echo(f"run {run_id} ({approval.name}) published by {approval.reviewer}")


def submit(
    spec: SpecArg,
    tenant: Annotated[str, typer.Option(help="Tenant whose lake the job reads.")],
    address: Annotated[
        str | None,
        typer.Option(help="Ray dashboard address, e.g. http://head:8265 (default RAY_ADDRESS)."),
    ] = None,
    data: Annotated[str, typer.Option(help="real or twin.")] = "real",
    requester: Annotated[str | None, typer.Option(help="Who asks for the run.")] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Follow the job's logs until it ends.")
    ] = False,
    unsandboxed: UnsandboxedFlag = False,
    request: RequestOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Send a spec and its model file to a Ray cluster as a Ray Job; print the job id."""
    from testbench.jobs.submit import follow, submit_validation

    config = cli_settings()
    target = address or config.ray_address
    if not target:
        raise TestbenchError("give --address http://HEAD:8265 or set RAY_ADDRESS")
    if request is not None:  # refused here already, before anything is sent
        from testbench.catalogue import AccessRegister

        AccessRegister(config).require_approved(request, tenant)
    job_id = submit_validation(
        config, target, spec, tenant, data, requester, unsandboxed, access_request=request
    )
    say(f"submitted Ray job {job_id} to {target}")
    status = None
    if wait:
        status = follow(target, job_id, lambda text: sys.stderr.write(text))
    if as_json:
        emit({"job_id": job_id, "address": target, "status": status})
    else:
        typer.echo(job_id)
    if status is not None and status != "SUCCEEDED":
        raise TestbenchError(f"Ray job {job_id} ended {status}; its logs are above")
