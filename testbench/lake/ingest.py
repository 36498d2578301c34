"""Ingesting a real extract (CSV or Parquet) into a tenant's lake.

>>> report = ingest_file(lake, tenant.derived_key("pseudonym"), Path("lab.csv"), "lab",
...                      contract="lab")

The steps, each in its own module:

1. read the file as text (:mod:`~testbench.lake.extract`);
2. plan the checks: the source's contract, or inferred types and declared keys
   (:mod:`~testbench.lake.plan`, :mod:`~testbench.lake.contracts`);
3. check every row, replace CPR numbers by keyed pseudonyms
   (:mod:`~testbench.lake.checks`, :mod:`~testbench.lake.pseudonym`);
4. write the rows that passed as the table, declare its keys, and append the rows
   that failed to the table's quarantine (here).

Every row of the file is either ingested or quarantined, never dropped.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from generators.relations import Relation
from testbench.lake.checks import REASON, SOURCE_ROW, check_rows
from testbench.lake.contracts import ForeignKey, get_contract
from testbench.lake.extract import read_extract
from testbench.lake.ingest_errors import IngestError, UnknownParentTable
from testbench.lake.lake import INTERNAL_PREFIX, Lake, quote_ident
from testbench.lake.plan import parse_foreign_key, plan_table
from testbench.lake.pseudonym import safe_name

QUARANTINE_PREFIX = "quarantine_"  # quarantine of table T: internal table _tb_quarantine_T
INGEST_LOG = "ingests"  # internal table _tb_ingests: one row per ingestion
INGEST_ID = "tb_ingest_id"  # quarantine column: which ingestion refused the row
INGESTED_AT = "tb_ingested_at"  # quarantine column: when (UTC)
SOURCE_FILE = "tb_source_file"  # quarantine column: the file's name (not its path)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class IngestReport:
    """What one ingestion did. Holds counts and names only, never a value."""

    table: str  # the lake table written
    rows_in_file: int  # data rows in the file (blank lines not counted)
    ingested: int  # rows now in the table
    quarantined: int  # rows refused, appended to the table's quarantine
    reasons: dict[str, int]  # reason -> rows failing it; a row may fail several checks
    pseudonymised_columns: list[str]  # columns whose CPR numbers were replaced by pseudonyms
    contract: str | None = None  # the contract checked, if any
    primary_key: str | None = None  # the table's primary key, if any
    relations: list[str] = field(default_factory=list)  # foreign keys checked and declared
    # Contract foreign keys not checked because the parent is not in the lake yet: ingest
    # the parent, then this table again.
    unchecked_foreign_keys: list[str] = field(default_factory=list)
    ingest_id: str = ""  # identifies this ingestion in the quarantine and the ingest log


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

    Re-ingesting a table replaces it: its rows, primary key and the foreign keys it
    declares. Its quarantine is appended to, not replaced, each row marked with the
    ingestion's id, so refused rows of earlier files stay for inspection.

    Args:
        lake: the tenant's lake.
        pseudonym_key: ``tenant.derived_key("pseudonym")``; keys the CPR pseudonyms.
        path: a ``.csv`` (``;`` or ``,`` separated, header row) or ``.parquet`` file.
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
        reasons, pseudonymised columns, keys.

    Raises:
        UnknownContract: ``contract`` is not a known source.
        UnreadableFile: the file is missing, of another type, or not valid CSV/Parquet.
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
    extract = read_extract(path)
    needs_parents = bool(foreign_keys) or bool(source and source.foreign_keys)
    tables = lake.tables() if needs_parents else []
    requested = [
        parse_foreign_key(spec, list(extract.frame.columns), tables) for spec in foreign_keys
    ]
    plan, frame, declared = plan_table(
        extract.frame,
        source,
        primary_key,
        requested,
        file_name,
        today,
        ragged_rows=list(extract.field_counts.index),
    )

    checked_fks, unchecked = _parents_present(plan.foreign_keys, set(declared), tables, table)
    parent_keys = _parent_keys(lake, checked_fks)
    plan = replace(plan, foreign_keys=tuple(checked_fks))
    say(f"checking {extract.rows:,} rows")
    checked = check_rows(frame, plan, pseudonym_key, parent_keys, extract.field_counts, today)

    ingest_id = uuid.uuid4().hex[:12]
    say(f"writing {len(checked.table):,} rows to {table}")
    lake.write_table(table, checked.table, plan.primary_key)
    relations = [
        Relation(table, fk.column, fk.parent_table, fk.parent_column) for fk in checked_fks
    ]
    report = IngestReport(
        table=table,
        rows_in_file=extract.rows,
        ingested=len(checked.table),
        quarantined=len(checked.quarantine),
        reasons=checked.reasons,
        pseudonymised_columns=plan.cpr_columns,
        contract=contract,
        primary_key=plan.primary_key,
        relations=[str(r) for r in relations],
        unchecked_foreign_keys=[str(fk) for fk in unchecked],
        ingest_id=ingest_id,
    )
    at = datetime.now(UTC).replace(tzinfo=None)
    quarantine = checked.quarantine
    quarantine.insert(0, SOURCE_FILE, file_name)
    quarantine.insert(0, INGESTED_AT, pd.Timestamp(at))
    quarantine.insert(0, INGEST_ID, ingest_id)
    _record(lake, table, quarantine, _log_row(report, file_name, extract.file_format, at))
    if relations:
        lake.add_relations(relations)
    if report.quarantined:
        say(f"{report.quarantined:,} rows quarantined; see the reasons")
    return report


def _check_table_name(table: str) -> None:
    if not table or not table.strip() or table.startswith(INTERNAL_PREFIX):
        raise IngestError(
            f"invalid table name {table!r}: give a name that is not empty and does not start "
            f"with {INTERNAL_PREFIX!r} (kept for the lake's catalogue)"
        )


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


def _log_row(report: IngestReport, file_name: str, file_format: str, at: datetime) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ingest_id": [report.ingest_id],
            "table_name": [report.table],
            "source_file": [file_name],
            "file_format": [file_format],
            "contract": pd.Series([report.contract], dtype="string"),
            "rows_in_file": [report.rows_in_file],
            "ingested": [report.ingested],
            "quarantined": [report.quarantined],
            "ingested_at": [pd.Timestamp(at)],
        }
    )


def _append(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Append ``frame`` to internal table ``name``, adding columns it does not have yet."""
    target = quote_ident(INTERNAL_PREFIX + name)
    con.register("_incoming", frame)
    con.execute(f"CREATE TABLE IF NOT EXISTS {target} AS SELECT * FROM _incoming LIMIT 0")
    have = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_catalog = 'lake' AND table_name = ?",
            [INTERNAL_PREFIX + name],
        ).fetchall()
    }
    for column in frame.columns:
        if column not in have:
            con.execute(f"ALTER TABLE {target} ADD COLUMN {quote_ident(column)} VARCHAR")
    con.execute(f"INSERT INTO {target} BY NAME SELECT * FROM _incoming")
    con.unregister("_incoming")


def _record(lake: Lake, table: str, quarantine: pd.DataFrame, log_row: pd.DataFrame) -> None:
    """In one transaction: forget the table's old relations, append quarantine and log."""
    with lake.connect() as con:
        con.execute("BEGIN TRANSACTION")
        relations = INTERNAL_PREFIX + "relations"
        exists = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_catalog = 'lake' AND table_name = ?",
            [relations],
        ).fetchone()
        if exists and exists[0]:
            con.execute(f"DELETE FROM {quote_ident(relations)} WHERE child_table = ?", [table])
        if len(quarantine):
            _append(con, QUARANTINE_PREFIX + table, quarantine)
        _append(con, INGEST_LOG, log_row)
        con.execute("COMMIT")


def quarantined_rows(lake: Lake) -> dict[str, int]:
    """Rows refused by the latest ingestion of each table (for ``lake status``)."""
    log = lake.read_internal(INGEST_LOG)
    if log is None or log.empty:
        return {}
    latest = log.sort_values("ingested_at", kind="stable").groupby("table_name").tail(1)
    return {
        str(t): int(q) for t, q in zip(latest["table_name"], latest["quarantined"], strict=True)
    }


def forget_ingests(lake: Lake, tables: Sequence[str]) -> None:
    """Drop the ingest-log entries of tables that were replaced by other means (simulation),
    so ``lake status`` does not report an old quarantine count for them."""
    log = lake.read_internal(INGEST_LOG)
    if log is not None and len(log):
        lake.write_internal(INGEST_LOG, log[~log["table_name"].isin(list(tables))])


__all__ = [
    "REASON",
    "SOURCE_ROW",
    "IngestReport",
    "forget_ingests",
    "ingest_file",
    "quarantined_rows",
]
