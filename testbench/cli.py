"""The `testbench` command: a thin shell over the library.

Conventions (DESIGN.md): ``--json`` prints one JSON object on stdout and
nothing else there; progress goes to stderr; an error is one line on stderr
and a non-zero exit, with a traceback only under ``--debug``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from testbench import cli_jobs, cli_twin
from testbench.cli_common import JsonFlag, emit, err, lake_of, say
from testbench.cli_common import settings as load_cli_settings
from testbench.cli_viewer import viewer_app
from testbench.config import Settings
from testbench.errors import TestbenchError

app = typer.Typer(
    help="OSCAR HOST test-bench: tenant lakes, synthetic twins, validation evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
tenant_app = typer.Typer(help="Create and list tenants (one per SME).", no_args_is_help=True)
lake_app = typer.Typer(help="Fill and inspect a tenant's lake.", no_args_is_help=True)
twin_app = typer.Typer(help="Build synthetic twins of a tenant's lake.", no_args_is_help=True)
audit_app = typer.Typer(help="Check a tenant's audit log.", no_args_is_help=True)
app.add_typer(tenant_app, name="tenant")
app.add_typer(lake_app, name="lake")
app.add_typer(twin_app, name="twin")
app.add_typer(audit_app, name="audit")
app.add_typer(viewer_app, name="viewer")


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    """OSCAR HOST test-bench."""


# -- tenants -----------------------------------------------------------------------------------


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Argument(help="Lowercase letters, digits, -.")],
) -> None:
    """Create a tenant with its own lake directory and secret key."""
    from testbench.audit import AuditLog
    from testbench.tenants import TenantRegistry

    tenant = TenantRegistry(load_cli_settings()).create(name)
    AuditLog(tenant.audit_path).append("tenant.create")
    say(f"created tenant {tenant.name} at {tenant.root}")


@tenant_app.command("list")
def tenant_list(as_json: JsonFlag = False) -> None:
    """List tenants."""
    from testbench.tenants import TenantRegistry

    tenants = TenantRegistry(load_cli_settings()).list()
    if as_json:
        emit({"tenants": [{"name": t.name, "lake": str(t.lake_path)} for t in tenants]})
        return
    for tenant in tenants:
        typer.echo(tenant.name)
    if not tenants:
        say("no tenants yet; create one with `testbench tenant create <name>`")


# -- lake --------------------------------------------------------------------------------------


@lake_app.command("simulate")
def lake_simulate(
    tenant: Annotated[str, typer.Argument(help="Tenant name.")],
    persons: Annotated[int, typer.Option(min=10, help="Persons to simulate.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same lake).")] = 0,
) -> None:
    """Fill a tenant's lake with simulated Danish registers (replaces those tables)."""
    from testbench.lake.simulated import fill_simulated

    _, lake = lake_of(tenant)
    rows = fill_simulated(lake, persons, seed, say)
    say(f"lake of {tenant}: {len(rows)} tables, {sum(rows.values()):,} rows")


@lake_app.command("ingest")
def lake_ingest(
    tenant: Annotated[str, typer.Argument(help="Tenant name.")],
    file: Annotated[Path, typer.Argument(help="CSV (, or ; separated) or Parquet file.")],
    table: Annotated[str, typer.Option("--table", help="Lake table to create or replace.")],
    contract: Annotated[
        str | None,
        typer.Option(help="Danish source contract: bef, dod, lpr_a_kontakt, lmdb, lab, fsiii_...."),
    ] = None,
    primary_key: Annotated[
        str | None, typer.Option("--primary-key", help="Unique, non-null key column.")
    ] = None,
    foreign_key: Annotated[
        list[str] | None,
        typer.Option("--foreign-key", help="COL:PARENT_TABLE.COL (repeatable)."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ingest a real extract: checks, CPR pseudonyms, quarantine of failing rows.

    Ingesting the same file the same way again changes nothing.
    """
    from testbench.audit import AuditLog
    from testbench.lake.ingest import ingest_file

    owner, lake = lake_of(tenant)
    report = ingest_file(
        lake.with_audit(AuditLog(owner.audit_path)),
        owner.derived_key("pseudonym"),
        file,
        table,
        contract=contract,
        primary_key=primary_key,
        foreign_keys=foreign_key or (),
        progress=say,
    )
    if as_json:
        emit(asdict(report))
        return
    if report.unchanged:
        typer.echo(f"{table}: unchanged, this file was ingested the same way already")
    typer.echo(
        f"{table}: {report.ingested:,} rows ingested, {report.quarantined:,} quarantined "
        f"(of {report.rows_in_file:,} in the file)"
    )
    for reason, count in sorted(report.reasons.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  {count:,} x {reason}")
    for fk in report.unchecked_foreign_keys:
        typer.echo(f"  not checked yet (parent table missing): {fk}")


@lake_app.command("status")
def lake_status(
    tenant: Annotated[str, typer.Argument(help="Tenant name.")], as_json: JsonFlag = False
) -> None:
    """Tables, columns and types, rows, quarantine by reason, date ranges and key relations.

    Counts from 1 to 4 show as "<5" (the threshold is TESTBENCH_MIN_CELL_COUNT).
    """
    from testbench.lake.catalogue import catalogue, catalogue_lines

    _, lake = lake_of(tenant)
    cat = catalogue(lake, load_cli_settings().min_cell_count)
    if as_json:
        emit({"tenant": tenant, **cat})
        return
    if not cat["tables"]:
        say(f"the lake of {tenant} is empty; fill it with `testbench lake simulate {tenant}`")
    for line in catalogue_lines(cat):
        typer.echo(line)


# -- twin --------------------------------------------------------------------------------------


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
    as_json: JsonFlag = False,
) -> None:
    """Fit and sample a synthetic twin of a tenant's lake; store it inside the lake boundary."""
    from generators.twin import SYNTHESIZERS
    from testbench.audit import AuditLog
    from testbench.twins import build_twin

    if synthesizer not in SYNTHESIZERS:
        raise TestbenchError(f"unknown synthesizer {synthesizer!r}; use {', '.join(SYNTHESIZERS)}")
    from testbench.jobs import RayExecutor

    owner, lake = lake_of(tenant)
    settings = load_cli_settings()
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


twin_app.command("evaluate")(cli_twin.evaluate)
twin_app.command("export")(cli_twin.export)


# -- audit -------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(tenant: Annotated[str, typer.Argument(help="Tenant name.")]) -> None:
    """Check that a tenant's audit log is unbroken (if not: non-zero exit, first bad line)."""
    from testbench.audit import AuditLog
    from testbench.tenants import TenantRegistry

    owner = TenantRegistry(load_cli_settings()).get(tenant)
    count = AuditLog(owner.audit_path).verify()
    typer.echo(f"audit log of {tenant}: {count} entries, chain intact")


# -- validation jobs, airlock -----------------------------------------------------------------

app.command("validate")(cli_jobs.validate)
app.command("submit")(cli_jobs.submit)
app.command("approve")(cli_jobs.approve)


# -- demo and dashboard ------------------------------------------------------------------------


def serve_dashboard(settings: Settings, port: int, demo_mode: bool | None = None) -> None:
    """Serve the Streamlit dashboard on localhost until interrupted."""
    app_path = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"
    env = dict(os.environ)
    env["TESTBENCH_HOME"] = str(settings.home.resolve())
    env["MLFLOW_TRACKING_URI"] = settings.tracking_uri
    env["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    if demo_mode if demo_mode is not None else settings.demo_mode:
        env["TESTBENCH_DEMO_MODE"] = "1"
    command = [
        sys.executable, "-m", "streamlit", "run", str(app_path),
        "--server.port", str(port), "--server.headless", "true",
        "--server.address", "localhost", "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip
    say(f"dashboard: http://localhost:{port}  (Ctrl-C stops it)")
    try:
        subprocess.run(command, env=env, check=True)
    except KeyboardInterrupt:
        say("dashboard stopped")


@app.command()
def dashboard(
    port: Annotated[int, typer.Option(help="Port on localhost.")] = 8501,
) -> None:
    """Serve the buyers' dashboard (reads MLflow only, never a lake)."""
    serve_dashboard(load_cli_settings(), port)


@app.command()
def demo(
    persons: Annotated[int, typer.Option(min=500, help="Persons in the simulated lake.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    no_dashboard: Annotated[
        bool, typer.Option("--no-dashboard", help="Stop after logging the evidence.")
    ] = False,
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8501,
    as_json: JsonFlag = False,
) -> None:
    """Run the whole chain on a simulated lake for tenant `demo`, then serve the dashboard."""
    from testbench.demo import run_demo
    from testbench.jobs import RayExecutor

    settings = load_cli_settings()
    executor = RayExecutor(settings.ray_address)
    try:
        result = run_demo(settings, persons=persons, seed=seed, executor=executor, progress=say)
    finally:
        executor.shutdown()
    if as_json:
        emit(asdict(result))
    if not no_dashboard:
        serve_dashboard(settings, port, demo_mode=True)


def main() -> None:
    """Entry point of the `testbench` console script."""
    debug = "--debug" in sys.argv
    try:
        app(prog_name="testbench")
    except TestbenchError as exc:
        if debug:
            raise
        err.print(f"error: {exc}", markup=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
