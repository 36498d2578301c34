"""The `testbench` command: a thin shell over the library, one module per command group.

Conventions (DESIGN.md): ``--json`` prints one JSON object on stdout and
nothing else there; progress goes to stderr; an error is one line on stderr
and a non-zero exit, with a traceback only under ``--debug``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from common.executor import TaskFailed
from testbench.cli import demo, jobs
from testbench.cli.access import access_app
from testbench.cli.audit import audit_app
from testbench.cli.catalogue import catalogue_app
from testbench.cli.lake import lake_app
from testbench.cli.shared import err
from testbench.cli.tenant import tenant_app
from testbench.cli.twin import twin_app
from testbench.cli.viewer import viewer_app
from testbench.errors import TestbenchError

app = typer.Typer(
    help="OSCAR HOST test-bench: tenant lakes, synthetic twins, validation evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(tenant_app, name="tenant")
app.add_typer(lake_app, name="lake")
app.add_typer(twin_app, name="twin")
app.add_typer(audit_app, name="audit")
app.add_typer(viewer_app, name="viewer")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(access_app, name="access")
app.command("validate")(jobs.validate)
app.command("submit")(jobs.submit)
app.command("approve")(jobs.approve)
app.command("dashboard")(demo.dashboard)
app.command("demo")(demo.demo)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """OSCAR HOST test-bench."""


def main() -> None:
    """Entry point of the `testbench` console script."""
    debug = "--debug" in sys.argv
    try:
        app(prog_name="testbench")
    except (TestbenchError, TaskFailed) as exc:
        if debug:
            raise
        err.print(f"error: {exc}", markup=False)
        sys.exit(2)
