"""`testbench access ...`: ask for access to a tenant's lake, and decide such requests."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from testbench.cli.shared import JsonFlag, cli_settings, emit

if TYPE_CHECKING:  # imported when a command runs: `testbench --help` stays quick
    from testbench.catalogue import AccessRegister, AccessRequest

access_app = typer.Typer(
    help="Access requests: ask, list, approve or reject.", no_args_is_help=True
)


def _register() -> AccessRegister:
    from testbench.catalogue import AccessRegister

    return AccessRegister(cli_settings())


def _mirror(request: AccessRequest) -> None:
    """The request's status to MLflow, where the dashboard looks it up by id."""
    from testbench.catalogue import log_request_status

    log_request_status(cli_settings(), request)


@access_app.command("request")
def access_request(
    tenant: Annotated[str, typer.Argument(help="Tenant whose lake you ask for.")],
    sources: Annotated[
        list[str],
        typer.Option("--sources", help="Tables asked for: bef,lpr_a_kontakt (repeatable)."),
    ],
    period: Annotated[
        str, typer.Option(help="FIRST..LAST, e.g. 2019-01-01..2023-12-31 or 2019..2023.")
    ],
    purpose: Annotated[str, typer.Option(help="What the data is for.")],
    requester: Annotated[str, typer.Option(help="Your name.")],
    as_json: JsonFlag = False,
) -> None:
    """Ask for access; prints the request id (your receipt; the dashboard shows its status)."""
    found = _register().request(tenant, sources, period, purpose, requester)
    _mirror(found)
    if as_json:
        emit(found.public())
        return
    typer.echo(found.id)


@access_app.command("list")
def access_list(as_json: JsonFlag = False) -> None:
    """Every request with its status, oldest first."""
    requests = _register().all()
    if as_json:
        emit({"requests": [r.public() for r in requests]})
        return
    if not requests:
        typer.echo("no access requests")
    for r in requests:
        decided = f" by {r.reviewer}" if r.reviewer else ""
        deadline = f", delete by {r.delete_by}" if r.delete_by else ""
        typer.echo(
            f"{r.id}  {r.tenant}  {r.status}{decided}{deadline}  "
            f"{','.join(r.sources)}  {r.period[0]}..{r.period[1]}  ({r.requester})"
        )


ReviewerOption = Annotated[str, typer.Option(help="Your name; not the requester.")]
ReasonOption = Annotated[str, typer.Option(help="Why (required).")]


@access_app.command("approve")
def access_approve(
    request_id: Annotated[str, typer.Argument(help="The request id, AR-....")],
    reviewer: ReviewerOption,
    reason: ReasonOption,
    delete_by: Annotated[
        str | None,
        typer.Option("--delete-by", help="Deletion deadline, YYYY-MM-DD (default: a year)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Approve a pending request (four eyes: not its requester); records the deletion deadline."""
    from testbench.catalogue import AccessError

    try:
        deadline = date.fromisoformat(delete_by) if delete_by else None
    except ValueError:
        raise AccessError(f"--delete-by must be YYYY-MM-DD; got {delete_by!r}") from None
    found = _register().decide(request_id, True, reviewer, reason, deadline)
    _mirror(found)
    if as_json:
        emit(found.public())
        return
    typer.echo(f"{found.id} approved by {found.reviewer}; delete by {found.delete_by}")


@access_app.command("reject")
def access_reject(
    request_id: Annotated[str, typer.Argument(help="The request id, AR-....")],
    reviewer: ReviewerOption,
    reason: ReasonOption,
    as_json: JsonFlag = False,
) -> None:
    """Reject a pending request (four eyes: not its requester)."""
    found = _register().decide(request_id, False, reviewer, reason)
    _mirror(found)
    if as_json:
        emit(found.public())
        return
    typer.echo(f"{found.id} rejected by {found.reviewer}")
