"""`testbench catalogue ...`: a lake's HealthDCAT-AP catalogue, exported and published."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from testbench.cli.shared import JsonFlag, cli_settings, emit, lake_of, say

if TYPE_CHECKING:
    from testbench.tenants import Tenant

catalogue_app = typer.Typer(
    help="A lake's HealthDCAT-AP catalogue: export it, publish it.", no_args_is_help=True
)
FormatOption = Annotated[str, typer.Option("--format", help="turtle or jsonld.")]
BaseOption = Annotated[str, typer.Option("--base-uri", help="Where the catalogue's own IRIs live.")]


def _describe(tenant: str) -> tuple[dict[str, Any], Tenant]:
    from testbench.audit import AuditLog
    from testbench.catalogue import describe_lake
    from testbench.twins.store import TwinStore

    owner, lake = lake_of(tenant)
    settings = cli_settings()
    description = describe_lake(
        settings,
        owner.name,
        lake.with_audit(AuditLog(owner.audit_path), actor="catalogue"),
        TwinStore(settings, owner),
        say,
    )
    return description, owner


@catalogue_app.command("export")
def catalogue_export(
    tenant: Annotated[str, typer.Argument(help="Tenant name.")],
    fmt: FormatOption = "turtle",
    out: Annotated[Path | None, typer.Option("--out", help="Write here (default: stdout).")] = None,
    base_uri: BaseOption = "https://catalogue.oscar-host.example/",
) -> None:
    """Write the lake's HealthDCAT-AP catalogue: one dataset, a distribution per table.

    Every count and age bound has passed the disclosure checker (counts under 5 left out,
    ages on 5-year bounds); the twin is a public distribution once its gate passed.
    """
    from testbench.audit import AuditLog
    from testbench.catalogue import build_graph, serialize

    description, owner = _describe(tenant)
    text = serialize(build_graph(description, base_uri), fmt)
    AuditLog(owner.audit_path).append(
        "catalogue.export", format=fmt, sha256=hashlib.sha256(text.encode()).hexdigest()
    )
    if out is None:
        typer.echo(text)
        return
    out.write_text(text, encoding="utf-8")
    say(f"catalogue of {tenant} written to {out} ({fmt})")


@catalogue_app.command("publish")
def catalogue_publish(
    tenant: Annotated[str, typer.Argument(help="Tenant name.")],
    requester: Annotated[str, typer.Option(help="Who asks for publication (not its approver).")],
    base_uri: BaseOption = "https://catalogue.oscar-host.example/",
    as_json: JsonFlag = False,
) -> None:
    """Log the checked catalogue to MLflow as a draft run; `testbench approve` publishes it.

    The dashboard's Catalogue page shows published catalogues to anyone, before access.
    """
    from testbench.audit import AuditLog
    from testbench.catalogue import build_graph, log_catalogue, serialize

    description, owner = _describe(tenant)
    turtle = serialize(build_graph(description, base_uri), "turtle")
    run_id = log_catalogue(cli_settings(), description, turtle, requester)
    AuditLog(owner.audit_path).append("catalogue.publish", actor=requester, run_id=run_id)
    if as_json:
        emit({"run_id": run_id, "tenant": tenant, "tables": len(description["tables"])})
        return
    typer.echo(f"draft catalogue run {run_id}; publish with `testbench approve {run_id}`")
