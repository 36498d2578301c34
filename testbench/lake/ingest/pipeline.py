"""Ingesting a real extract (CSV or Parquet) into a tenant's lake.

>>> report = ingest_file(lake, tenant.derived_key("pseudonym"), Path("lab.csv"), "lab",
...                      contract="lab")

The steps, each in its own module:

1. fingerprint the file and, when this very file was ingested the same way and
   nothing it depends on changed since, stop: nothing changes
   (:mod:`~testbench.lake.ingest.readers`, :mod:`~testbench.lake.ingest.quarantine`);
2. read the rows as text (:mod:`~testbench.lake.ingest.readers`); an unreadable file,
   an empty one, one with a header and no rows, or one none of whose rows fits
   the header is refused with one line saying why, before anything is written;
3. plan the checks: the source's contract, or inferred types and declared keys
   (:mod:`~testbench.lake.ingest.planning`, :mod:`~testbench.lake.ingest.contracts`);
4. in one transaction: check the rows batch by batch, replacing CPR numbers by
   keyed pseudonyms, while the rows that passed are written as the table
   (:mod:`~testbench.lake.ingest.batch_checking`, :mod:`~testbench.lake.ingest.row_checks`,
   :mod:`~testbench.lake.ingest.value_checks`); declare the table's keys, append the rows that
   failed to its quarantine and record the ingestion (here);
5. append an entry to the tenant's audit log, if the lake has one.

Every row of the file is either ingested or quarantined, never dropped.

How the steps overlap on a large CSV file whose contract names every column: while
the file is fingerprinted (step 1), it is already read block by block, on the guess
that it is UTF-8, and the first batches are read and coded on one worker thread and
checked on another; nothing is written until the fingerprint says the file is new and
the guess was right (else the work done is dropped and the file read again). Then the
rows that passed are written batch by batch, in file order, while the workers read,
code and check the next batches; the table's content hash is summed from the batches
on the checking worker as they go by. CPR pseudonym columns are stored uncompressed
(see :meth:`~testbench.lake.writer.LakeWriter.replace_table_batches`). A file
whose column types must be inferred is read whole first (types come from all its
values); one the fast reader refuses half-way is read again by the careful reader.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from itertools import chain
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from generators.relations import Relation
from testbench.lake.hashing import HASH_METHOD, hash_of, quote_ident, table_columns, table_hash
from testbench.lake.ingest.batch_checking import (
    BATCH_ROWS,
    CheckedTotals,
    RowHashes,
    checked_batches,
    prefetched,
)
from testbench.lake.ingest.coded_columns import CodedTable, ColumnSample
from testbench.lake.ingest.contracts import Contract, ForeignKey, get_contract
from testbench.lake.ingest.errors import IngestError, UnknownParentTable, UnreadableFile
from testbench.lake.ingest.key_checks import ParentKeys
from testbench.lake.ingest.planning import parse_foreign_key, plan_columns
from testbench.lake.ingest.pseudonyms import safe_name
from testbench.lake.ingest.quarantine import (
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
from testbench.lake.ingest.readers import (
    CSV_SUFFIXES,
    GUESSED_ENCODING,
    CsvStream,
    FastReaderRefused,
    Fingerprint,
    LoadedExtract,
    fingerprint,
    load_extract,
    open_csv_stream,
)
from testbench.lake.ingest.row_checks import REASON, SOURCE_ROW, TableChecker, TablePlan
from testbench.lake.lake import INTERNAL_PREFIX, Lake

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
            :data:`~testbench.lake.ingest.contracts.CONTRACTS`), or None for any table.
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
    early: _Streamed | None = None

    def stop_reading_ahead() -> None:  # the file is most likely in the lake already
        nonlocal early
        if early is not None:
            early.close()
            early = None

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:  # the file is hashed while the lake is read
            hashing = pool.submit(fingerprint, path)
            try:
                with _reading(lake) as con:
                    tables = _tenant_tables(con)
                    # Reading and checking start now, on the guess that a CSV file is UTF-8;
                    # the fingerprint decides whether the guess stands and anything is written.
                    request = _Request(
                        path, pseudonym_key, table, source, primary_key, foreign_keys, tables,
                        today,
                    )  # fmt: skip
                    early = _guessed(request)
                    parents = _parent_hashes(con, table, source, foreign_keys, tables)
                    fp = hashing.result()
                    content_key = _content_key(
                        fp, table, source, primary_key, foreign_keys, parents
                    )
                    earlier = (
                        unchanged_report(lake, table, content_key, con, stop_reading_ahead)
                        if con is not None
                        else None
                    )
                    if earlier is None and early is not None and con is not None:
                        try:  # what the checker needs first
                            early.checking.read_parent_keys(con)
                        except Exception:  # the ordinary way reports it, in order
                            stop_reading_ahead()
            except BaseException:
                hashing.result()  # a file that cannot be read is the error to report first
                raise
        if earlier is not None:
            say(f"{file_name} is in {table} already, checked the same way; nothing changed")
            lake.log("lake.ingest.unchanged", **_audit_details(earlier, file_name, fp))
            return earlier

        if early is not None and early.stream.encoding != fp.encoding:
            early.close()
            early = None
        fast_reader = True
        try:
            streamed = early or _streamed(request, fp.encoding)
        except FastReaderRefused:  # the fast reader does not take the file's first rows
            streamed, fast_reader = None, False
        except _WholeColumnsNeeded:  # types to infer: read the file whole
            streamed = None
        early = streamed
        if streamed is not None:
            say(f"checking the rows of {file_name} and writing them to {table}")
            try:
                report = _write(
                    lake, streamed.checking, table, contract, content_key, fp, file_name,
                    streamed.stream.file_format, say,
                )  # fmt: skip
                return _finished(lake, report, file_name, fp, say)
            except FastReaderRefused:  # a row half-way the fast reader does not take
                fast_reader = False
            finally:
                streamed.close()
                early = None
    finally:
        if early is not None:
            early.close()

    extract = load_extract(path, fp, fast_reader)
    _refuse_malformed(extract, file_name)
    requested = [parse_foreign_key(spec, extract.names, tables) for spec in foreign_keys]
    plan, renames, declared = plan_columns(
        extract.names, extract.sample, source, primary_key, requested, file_name, today
    )
    batches = (batch.renamed(renames) for batch in extract.batches(BATCH_ROWS))
    say(f"checking {extract.rows:,} rows and writing them to {table}")
    with closing(
        _Checking(batches, plan, declared, tables, table, pseudonym_key, today)
    ) as checking:
        report = _write(
            lake, checking, table, contract, content_key, fp, file_name, extract.file_format, say
        )
    return _finished(lake, report, file_name, fp, say)


class _WholeColumnsNeeded(Exception):
    """Planning needs a column's distinct values (its type is inferred): read the file whole."""


def _unsampled(name: str) -> ColumnSample:
    raise _WholeColumnsNeeded(name)


class _Checking:
    """Batches being read and coded on one worker thread and checked on another, in file
    order, ready to be written. (Early in a file, checking is the slow step: each new
    person's CPR number is checked and pseudonymised once. Later, writing is.)

    The workers start at once; the checking one waits for the parent keys
    (:attr:`parents`, handed over by :meth:`read_parent_keys` once it is known the file is
    to be written) where it first checks a foreign key. :meth:`close` stops both.
    """

    def __init__(
        self,
        batches: Iterator[CodedTable],
        plan: TablePlan,
        declared: Sequence[ForeignKey],
        tables: Sequence[str],
        table: str,
        pseudonym_key: str,
        today: date | None,
    ) -> None:
        checked, self.unchecked = _parents_present(plan.foreign_keys, set(declared), tables, table)
        self.plan = replace(plan, foreign_keys=tuple(checked))
        self.parents: Future[dict[str, ParentKeys]] = Future()
        self.totals, self.hashes = CheckedTotals(), RowHashes()
        checker = TableChecker(self.plan, pseudonym_key, _Awaited(self.parents), today)
        self._stack = ExitStack()
        coded = self._stack.enter_context(prefetched(batches))  # read and coded on one worker,
        self.ready = self._stack.enter_context(  # checked on another
            prefetched(checked_batches(coded, checker, self.totals, self.hashes))
        )
        self._stack.callback(self._settle)  # runs first on close, so the worker can stop

    def read_parent_keys(self, con: duckdb.DuckDBPyConnection) -> None:
        """Hand the worker the parent keys, read on ``con``, unless it has them already."""
        if self.parents.done():
            return
        try:
            keys = {
                column: ParentKeys(values).prepared()
                for column, values in _parent_keys_in(con, self.plan.foreign_keys).items()
            }
        except BaseException as exc:
            self.parents.set_exception(exc)
            raise
        self.parents.set_result(keys)

    def _settle(self) -> None:
        if not self.parents.done():
            self.parents.set_exception(IngestError("ingestion stopped before writing"))

    def close(self) -> None:
        """Stop the worker (once the batch it is on is done)."""
        self._stack.close()


@dataclass
class _Streamed:
    """A CSV file read block by block and checked on a worker thread (see :class:`_Checking`)."""

    stream: CsvStream
    texts: Generator[pa.Table, None, None]
    checking: _Checking

    def close(self) -> None:
        """Stop checking and reading."""
        self.checking.close()
        self.texts.close()


@dataclass(frozen=True)
class _Request:
    """What one ingestion was asked to do, as the streaming readers need it."""

    path: Path
    pseudonym_key: str
    table: str
    source: Contract | None
    primary_key: str | None
    foreign_keys: Sequence[str]
    tables: Sequence[str]  # the tenant's lake tables (parents for foreign keys)
    today: date | None


def _streamed(request: _Request, encoding: str) -> _Streamed | None:
    """Start reading and checking a CSV file block by block; None for a file the streaming
    reader leaves to the others (not CSV, a header the careful reader must read).

    Raises:
        FastReaderRefused: the fast reader does not take the first rows.
        _WholeColumnsNeeded: the plan infers a column's type.
        UnreadableFile, MissingColumn, IngestError: as :func:`ingest_file`.
    """
    stream = open_csv_stream(request.path, encoding)
    if stream is None:
        return None
    file_name = safe_name(request.path.name)
    texts = stream.texts(BATCH_ROWS)
    try:
        first = next(texts, None)
        if first is None:
            raise UnreadableFile(
                f"{file_name} has a header but no rows; check that the export finished"
            )
        requested = [
            parse_foreign_key(spec, stream.names, request.tables) for spec in request.foreign_keys
        ]
        plan, renames, declared = plan_columns(
            stream.names,
            _unsampled,
            request.source,
            request.primary_key,
            requested,
            file_name,
            request.today,
        )
        batches = (batch.renamed(renames) for batch in stream.coded(chain([first], texts)))
        checking = _Checking(
            batches,
            plan,
            declared,
            request.tables,
            request.table,
            request.pseudonym_key,
            request.today,
        )
    except BaseException:
        texts.close()
        raise
    return _Streamed(stream, texts, checking)


def _guessed(request: _Request) -> _Streamed | None:
    """:func:`_streamed` on the guess that the file is UTF-8, before it is fingerprinted;
    None where that does not work out (the file then goes the ordinary way, which reports
    whatever went wrong, in order)."""
    if request.path.suffix.lower() not in CSV_SUFFIXES or not request.path.is_file():
        return None
    try:
        return _streamed(request, GUESSED_ENCODING)
    except Exception:
        return None


def _write(
    lake: Lake,
    checking: _Checking,
    table: str,
    contract: str | None,
    content_key: str,
    fp: Fingerprint,
    file_name: str,
    file_format: str,
    say: Progress,
) -> IngestReport:
    """Write the checked rows as ``table``, with its keys, quarantine and ingest-log row,
    in one transaction."""
    plan, totals, hashes = checking.plan, checking.totals, checking.hashes
    relations = [
        Relation(table, fk.column, fk.parent_table, fk.parent_column) for fk in plan.foreign_keys
    ]
    ingest_id = uuid.uuid4().hex[:12]
    at = datetime.now(UTC).replace(tzinfo=None)
    with lake.transaction() as tx:
        checking.read_parent_keys(tx.con)
        tx.drop_relations(table)
        tx.add_relations(relations)
        forget_same_file(tx, table, fp.sha256)
        written = tx.replace_table_batches(
            table, checking.ready, plan.primary_key, uncompressed=plan.cpr_columns
        )
        say(f"recording {table}'s keys, quarantine and hash")
        report = IngestReport(
            table=table,
            rows_in_file=totals.rows,
            ingested=totals.rows - totals.failed,
            quarantined=totals.failed,
            reasons=totals.reasons(),
            pseudonymised_columns=plan.cpr_columns,
            contract=contract,
            primary_key=plan.primary_key,
            relations=[str(r) for r in relations],
            unchecked_foreign_keys=[str(fk) for fk in checking.unchecked],
            ingest_id=ingest_id,
            file_sha256=fp.sha256,
            table_hash=(
                hash_of(table, table_columns(tx.con, table), written, hashes.total)
                if hashes.rows == written
                else tx.table_hash(table)
            ),
        )
        quarantine = totals.quarantine()
        if quarantine is not None:
            tx.append_internal(
                QUARANTINE_PREFIX + table, _stamped(quarantine, ingest_id, at, file_name)
            )
        tx.append_internal(INGEST_LOG, log_row(report, file_name, file_format, at, content_key))
    return report


class _Awaited(Mapping[str, ParentKeys]):
    """A mapping another thread fills in: looking at it waits until it is there."""

    def __init__(self, future: Future[dict[str, ParentKeys]]) -> None:
        self._future = future

    def __getitem__(self, key: str) -> ParentKeys:
        return self._future.result()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._future.result())

    def __len__(self) -> int:
        return len(self._future.result())


def _finished(
    lake: Lake, report: IngestReport, file_name: str, fp: Fingerprint, say: Progress
) -> IngestReport:
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


@contextmanager
def _reading(lake: Lake) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection to the lake; None when there is no lake yet."""
    if not lake.path.exists():
        yield None
        return
    with lake.connect(read_only=True) as con:
        yield con


def _tenant_tables(con: duckdb.DuckDBPyConnection | None) -> list[str]:
    """The lake's tenant tables (as :meth:`Lake.tables` names them), on ``con``."""
    if con is None:
        return []
    names = sorted(str(row[0]) for row in con.execute("SHOW TABLES").fetchall())
    return [n for n in names if not n.startswith(INTERNAL_PREFIX)]


def _parent_hashes(
    con: duckdb.DuckDBPyConnection | None,
    table: str,
    source: Contract | None,
    foreign_keys: Sequence[str],
    tables: Sequence[str],
) -> dict[str, str]:
    """Content hashes of the tables in the lake that the ingestion's references may be
    checked against."""
    parents = {fk.parent_table for fk in source.foreign_keys} if source else set()
    parents |= {t for t in tables for spec in foreign_keys if f":{t}." in spec}
    present = sorted(t for t in parents & set(tables) if t != table)
    return {t: table_hash(con, t) for t in present} if con is not None else {}


def _content_key(
    fp: Fingerprint,
    table: str,
    source: Contract | None,
    primary_key: str | None,
    foreign_keys: Sequence[str],
    parents: dict[str, str],
) -> str:
    """What decides an ingestion's result: the file, the table, the checks, and the
    contents of the parent tables its references may be checked against (``parents``,
    see :func:`_parent_hashes`)."""
    body = {
        "file": fp.sha256,
        "table": table,
        "contract": source.source if source else None,
        "primary_key": primary_key,
        "foreign_keys": list(foreign_keys),
        "parents": parents,
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
    with lake.connect(read_only=True) as con:
        return _parent_keys_in(con, fks)


def _parent_keys_in(
    con: duckdb.DuckDBPyConnection, fks: Sequence[ForeignKey]
) -> dict[str, pd.Series]:
    """:func:`_parent_keys` on an open connection to the lake."""
    out = {}
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
            f"FROM lake.{quote_ident(fk.parent_table)}"
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
