"""Ingesting a real extract (CSV or Parquet) into a tenant's lake.

>>> report = ingest_file(lake, tenant.derived_key("pseudonym"), Path("lab.csv"), "lab",
...                      contract="lab")

The steps, each in its own module:

1. fingerprint the file and, when this very file was ingested the same way and
   nothing it depends on changed since, stop: nothing changes
   (:mod:`~testbench.lake.load`, :mod:`~testbench.lake.ingest_log`);
2. read the rows as text (:mod:`~testbench.lake.load`); an unreadable file,
   an empty one, one with a header and no rows, or one none of whose rows fits
   the header is refused with one line saying why, before anything is written;
3. plan the checks: the source's contract, or inferred types and declared keys
   (:mod:`~testbench.lake.plan`, :mod:`~testbench.lake.contracts`);
4. in one transaction: check the rows batch by batch, replacing CPR numbers by
   keyed pseudonyms, while the rows that passed are written as the table
   (:mod:`~testbench.lake.stream`, :mod:`~testbench.lake.checks`,
   :mod:`~testbench.lake.verdicts`); declare the table's keys, append the rows that
   failed to its quarantine and record the ingestion (here);
5. append an entry to the tenant's audit log, if the lake has one.

Every row of the file is either ingested or quarantined, never dropped.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from generators.relations import Relation
from testbench.lake.checks import REASON, SOURCE_ROW, TableChecker
from testbench.lake.contracts import Contract, ForeignKey, get_contract
from testbench.lake.hashing import HASH_METHOD, quote_ident
from testbench.lake.ingest_errors import IngestError, UnknownParentTable, UnreadableFile
from testbench.lake.ingest_log import (
    INGEST_ID,
    INGEST_LOG,
    INGESTED_AT,
    QUARANTINE_PREFIX,
    SOURCE_FILE,
    IngestReport,
    forget_ingests,
    forget_same_file,
    log_row,
    quarantined_rows,
    unchanged_report,
)
from testbench.lake.lake import INTERNAL_PREFIX, Lake
from testbench.lake.load import Fingerprint, LoadedExtract, fingerprint, load_extract
from testbench.lake.plan import parse_foreign_key, plan_columns
from testbench.lake.pseudonym import safe_name
from testbench.lake.stream import BATCH_ROWS, CheckedTotals, checked_batches, prefetched

Progress = Callable[[str], None]


def ingest_file(
    lake: Lake,
    pseudonym_key: str,
    path: Path,
    table: str,
    contract: str | None = None,
    primary_key: str | None = None,
    foreign_keys: Sequence[str] = (),
    progress: Progress | None = None,
    today: date | None = None,
) -> IngestReport:
    """Check an extract row by row and write it to the lake as table ``table``.

    Ingesting into a table replaces it: its rows, primary key and the foreign keys it
    declares. Its quarantine is appended to, each row marked with the ingestion's id,
    so refused rows of earlier files stay for inspection; the rows an earlier
    ingestion of the same file left there are replaced, never doubled. Ingesting the
    same file again the same way changes nothing, unless the table or a parent table
    it is checked against has changed since. (``today`` is not part of that: a date
    refused as "in the future" stays refused until something else changes.)

    Args:
        lake: the tenant's lake (with its audit log attached, the ingestion is logged).
        pseudonym_key: ``tenant.derived_key("pseudonym")``; keys the CPR pseudonyms.
        path: a ``.csv`` (``;``, ``,``, tab or ``|`` separated, header row) or ``.parquet`` file.
        table: the lake table to write (any name not starting with ``_tb_``).
        contract: the Danish source the file is an extract of (see
            :data:`~testbench.lake.contracts.CONTRACTS`), or None for any table.
        primary_key: a column that must be unique and non-empty.
        foreign_keys: ``"COLUMN:PARENT_TABLE.PARENT_COLUMN"`` references, checked against
            the parent table in the lake and declared as relations.
        progress: called with short messages as the steps go.
        today: the day that counts as today for "in the future" (tests fix it).

    Returns:
        The report: rows in the file, ingested and quarantined (always adding up),
        reasons, pseudonymised columns, keys, hashes; ``unchanged`` when nothing was done.

    Raises:
        UnknownContract: ``contract`` is not a known source.
        UnreadableFile: the file is missing, of another type, empty, has no rows, is
            not valid CSV/Parquet, or none of its rows has the header's width.
        MissingColumn: a column the contract requires, or a declared key, is not in the file.
        UnknownParentTable: a declared foreign key's parent table or column is not in the lake,
            or a contract's parent table lacks the column.
        IngestError: the table name or a key declaration is invalid.
    """
    say = progress or (lambda _message: None)
    _check_table_name(table)
    source = get_contract(contract) if contract is not None else None
    path = Path(path)
    file_name = safe_name(path.name)  # shown and logged; never a CPR number
    say(f"reading {file_name}")
    fp = fingerprint(path)
    tables = lake.tables()
    content_key = _content_key(lake, fp, table, source, primary_key, foreign_keys, tables)
    earlier = unchanged_report(lake, table, content_key)
    if earlier is not None:
        say(f"{file_name} is in {table} already, checked the same way; nothing changed")
        lake.log("lake.ingest.unchanged", **_audit_details(earlier, file_name, fp))
        return earlier

    extract = load_extract(path, fp)
    _refuse_malformed(extract, file_name)
    requested = [parse_foreign_key(spec, extract.names, tables) for spec in foreign_keys]
    plan, renames, declared = plan_columns(
        extract.names, extract.sample, source, primary_key, requested, file_name, today
    )
    checked_fks, unchecked = _parents_present(plan.foreign_keys, set(declared), tables, table)
    parent_keys = _parent_keys(lake, checked_fks)
    plan = replace(plan, foreign_keys=tuple(checked_fks))
    checker = TableChecker(plan, pseudonym_key, parent_keys, today)
    batches = (batch.renamed(renames) for batch in extract.batches(BATCH_ROWS))
    relations = [
        Relation(table, fk.column, fk.parent_table, fk.parent_column) for fk in checked_fks
    ]
    ingest_id = uuid.uuid4().hex[:12]
    at = datetime.now(UTC).replace(tzinfo=None)
    say(f"checking {extract.rows:,} rows and writing them to {table}")
    totals = CheckedTotals()
    # The checker starts on the first batch while the transaction opens the lake.
    with (
        prefetched(checked_batches(batches, checker, totals)) as ready,
        lake.transaction() as tx,
    ):
        tx.replace_table_batches(table, ready, plan.primary_key)
        say(f"recording {table}'s keys, quarantine and hash")
        report = IngestReport(
            table=table,
            rows_in_file=extract.rows,
            ingested=extract.rows - totals.failed,
            quarantined=totals.failed,
            reasons=totals.reasons(),
            pseudonymised_columns=plan.cpr_columns,
            contract=contract,
            primary_key=plan.primary_key,
            relations=[str(r) for r in relations],
            unchecked_foreign_keys=[str(fk) for fk in unchecked],
            ingest_id=ingest_id,
            file_sha256=fp.sha256,
        )
        tx.drop_relations(table)
        tx.add_relations(relations)
        forget_same_file(tx, table, fp.sha256)
        quarantine = totals.quarantine()
        if quarantine is not None:
            tx.append_internal(
                QUARANTINE_PREFIX + table, _stamped(quarantine, ingest_id, at, file_name)
            )
        report = replace(report, table_hash=tx.table_hash(table))
        tx.append_internal(
            INGEST_LOG, log_row(report, file_name, extract.file_format, at, content_key)
        )
    lake.log("lake.ingest", **_audit_details(report, file_name, fp))
    if report.quarantined:
        say(f"{report.quarantined:,} rows quarantined; see the reasons")
    return report


def _check_table_name(table: str) -> None:
    if not table or not table.strip() or table.startswith(INTERNAL_PREFIX):
        raise IngestError(
            f"invalid table name {table!r}: give a name that is not empty and does not start "
            f"with {INTERNAL_PREFIX!r} (kept for the lake's catalogue)"
        )


def _stamped(quarantine: pa.Table, ingest_id: str, at: datetime, file_name: str) -> pa.Table:
    """Refused rows marked with the ingestion that refused them: its id, time and file."""
    rows = quarantine.num_rows
    quarantine = quarantine.add_column(0, SOURCE_FILE, pa.repeat(file_name, rows))
    stamp = np.full(rows, np.datetime64(at, "ns"))
    quarantine = quarantine.add_column(0, INGESTED_AT, pa.array(stamp, pa.timestamp("ns")))
    return quarantine.add_column(0, INGEST_ID, pa.repeat(ingest_id, rows))


def _refuse_malformed(extract: LoadedExtract, file_name: str) -> None:
    """Refuse a file that has nothing to ingest, or whose every row misfits the header."""
    rows, width = extract.rows, len(extract.names)
    if rows == 0:
        raise UnreadableFile(
            f"{file_name} has a header but no rows; check that the export finished"
        )
    if extract.ragged.all():
        raise UnreadableFile(
            f"none of the {rows:,} rows of {file_name} has the header's {width} fields; "
            f"check the delimiter (read as {extract.delimiter!r}) and the quoting, and export again"
        )


def _content_key(
    lake: Lake,
    fp: Fingerprint,
    table: str,
    source: Contract | None,
    primary_key: str | None,
    foreign_keys: Sequence[str],
    tables: Sequence[str],
) -> str:
    """What decides an ingestion's result: the file, the table, the checks, and the
    contents of the parent tables its references may be checked against."""
    parents = {fk.parent_table for fk in source.foreign_keys} if source else set()
    parents |= {t for t in tables for spec in foreign_keys if f":{t}." in spec}
    present = sorted(t for t in parents & set(tables) if t != table)
    body = {
        "file": fp.sha256,
        "table": table,
        "contract": source.source if source else None,
        "primary_key": primary_key,
        "foreign_keys": list(foreign_keys),
        "parents": lake.table_hashes(present) if present else {},
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _audit_details(report: IngestReport, file_name: str, fp: Fingerprint) -> dict[str, object]:
    return {
        "table": report.table,
        "contract": report.contract,
        "file": file_name,
        "file_sha256": fp.sha256,
        "file_bytes": fp.size,
        "rows_in_file": report.rows_in_file,
        "ingested": report.ingested,
        "quarantined": report.quarantined,
        "ingest_id": report.ingest_id,
        "table_hash": report.table_hash,
        "hash_method": HASH_METHOD,
    }


def _parents_present(
    fks: Sequence[ForeignKey], declared: set[ForeignKey], tables: Sequence[str], table: str
) -> tuple[list[ForeignKey], list[ForeignKey]]:
    """Foreign keys whose parent is in the lake, and contract ones whose parent is not yet.

    Raises:
        UnknownParentTable: a declared foreign key's parent table is not in the lake.
    """
    checked, unchecked = [], []
    for fk in fks:
        if fk.parent_table == table:
            raise IngestError(
                f"foreign key {fk} points at the table being ingested; ingestion checks "
                "references against another table already in the lake"
            )
        if fk.parent_table in tables:
            checked.append(fk)
        elif fk in declared:
            raise UnknownParentTable(
                f"foreign key {fk}: no table {fk.parent_table!r} in the lake "
                f"(tables: {', '.join(tables) or 'none'}); ingest {fk.parent_table!r} first"
            )
        else:  # a contract's reference: checked once the parent has been ingested
            unchecked.append(fk)
    return checked, unchecked


def _parent_keys(lake: Lake, fks: Sequence[ForeignKey]) -> dict[str, pd.Series]:
    """Each foreign-key column's parent values, read in one connection.

    Raises:
        UnknownParentTable: the parent table has no such column.
    """
    if not fks:
        return {}
    out = {}
    with lake.connect(read_only=True) as con:
        for fk in fks:
            columns = [
                row[0]
                for row in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_catalog = 'lake' AND table_name = ? ORDER BY ordinal_position",
                    [fk.parent_table],
                ).fetchall()
            ]
            if fk.parent_column not in columns:
                raise UnknownParentTable(
                    f"foreign key {fk}: table {fk.parent_table!r} has no column "
                    f"{fk.parent_column!r}; its columns are: {', '.join(map(repr, columns))}"
                )
            out[fk.column] = con.execute(
                f"SELECT DISTINCT {quote_ident(fk.parent_column)} "
                f"FROM {quote_ident(fk.parent_table)}"
            ).df()[fk.parent_column]
    return out


__all__ = [
    "REASON",
    "SOURCE_ROW",
    "IngestReport",
    "forget_ingests",
    "ingest_file",
    "quarantined_rows",
]
