"""`testbench tenant ...`: create and list tenants (one per SME)."""

from __future__ import annotations

from typing import Annotated

import typer

from testbench.cli.shared import JsonFlag, cli_settings, emit, say

tenant_app = typer.Typer(help="Create and list tenants (one per SME).", no_args_is_help=True)


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Argument(help="Lowercase letters, digits, -.")],
) -> None:
    """Create a tenant with its own lake directory and secret key."""
    from testbench.audit import AuditLog
    from testbench.tenants import TenantRegistry

    tenant = TenantRegistry(cli_settings()).create(name)
    AuditLog(tenant.audit_path).append("tenant.create")
    say(f"created tenant {tenant.name} at {tenant.root}")


@tenant_app.command("list")
def tenant_list(as_json: JsonFlag = False) -> None:
    """List tenants."""
    from testbench.tenants import TenantRegistry

    tenants = TenantRegistry(cli_settings()).list()
    if as_json:
        emit({"tenants": [{"name": t.name, "lake": str(t.lake_path)} for t in tenants]})
        return
    for tenant in tenants:
        typer.echo(tenant.name)
    if not tenants:
        say("no tenants yet; create one with `testbench tenant create <name>`")
