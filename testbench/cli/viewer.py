"""`testbench viewer ...`: viewer tokens that open one tenant's evidence on the dashboard.

Mounted in :mod:`testbench.cli` as ``app.add_typer(viewer_app, name="viewer")``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from testbench.cli.shared import JsonFlag, cli_settings, emit, say

viewer_app = typer.Typer(
    help="Viewer tokens: a buyer's access to one tenant's published evidence.",
    no_args_is_help=True,
)

TenantArg = Annotated[str, typer.Argument(help="Tenant name.")]


@viewer_app.command("add")
def viewer_add(
    tenant: TenantArg,
    name: Annotated[str, typer.Option("--name", help="Viewer name, e.g. region-sjaelland.")] = "",
) -> None:
    """Make a viewer token for TENANT and print it once on stdout (only its hash is kept)."""
    import secrets

    from testbench.audit import AuditLog
    from testbench.tenants import TenantRegistry
    from testbench.viewers import create_token

    config = cli_settings()
    found = TenantRegistry(config).get(tenant)
    name = name or f"viewer-{secrets.token_hex(3)}"
    token = create_token(config.tracking_uri, found.name, name, config.artifact_root)
    AuditLog(found.audit_path).append("viewer.add", viewer=name)
    say(
        f"viewer {name!r} of tenant {found.name!r}: the token below is shown once; give it to "
        "the buyer, e.g. as http://<dashboard>/?token=<token>"
    )
    typer.echo(token)


@viewer_app.command("list")
def viewer_list(tenant: TenantArg, as_json: JsonFlag = False) -> None:
    """List the names of TENANT's viewers."""
    from testbench.viewers import list_viewers

    names = list_viewers(cli_settings().tracking_uri, tenant)
    if as_json:
        emit({"tenant": tenant, "viewers": names})
        return
    for name in names:
        typer.echo(name)
    if not names:
        say(f"tenant {tenant!r} has no viewers; add one with `testbench viewer add {tenant}`")


@viewer_app.command("revoke")
def viewer_revoke(
    tenant: TenantArg,
    name: Annotated[str, typer.Argument(help="Viewer name (see `testbench viewer list`).")],
) -> None:
    """Revoke a viewer: its token no longer opens the dashboard."""
    from testbench.audit import AuditLog
    from testbench.tenants import TenantRegistry
    from testbench.viewers import revoke

    config = cli_settings()
    found = TenantRegistry(config).get(tenant)
    revoke(config.tracking_uri, found.name, name)
    AuditLog(found.audit_path).append("viewer.revoke", viewer=name)
    say(f"revoked viewer {name!r} of tenant {found.name!r}")
