"""`testbench audit ...`: check a tenant's hash-chained audit log."""

from __future__ import annotations

from typing import Annotated

import typer

from testbench.cli.shared import cli_settings

audit_app = typer.Typer(help="Check a tenant's audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(tenant: Annotated[str, typer.Argument(help="Tenant name.")]) -> None:
    """Check that a tenant's audit log is unbroken (if not: non-zero exit, first bad line)."""
    from testbench.audit import AuditLog
    from testbench.tenants import TenantRegistry

    owner = TenantRegistry(cli_settings()).get(tenant)
    count = AuditLog(owner.audit_path).verify()
    typer.echo(f"audit log of {tenant}: {count} entries, chain intact")
